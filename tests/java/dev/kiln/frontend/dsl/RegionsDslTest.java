package dev.kiln.frontend.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.TestFiles;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.io.Npz;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Regions in the DSL: each control-flow model of {@code tests/models/control_flow} printed as DSL (branches and
 * bodies as {@code { input ... output ... }} literals), read back, run to the same outputs, and printed again
 * to the same text.
 */
class RegionsDslTest {
    @TempDir
    Path tmp;

    static Stream<Path> models() { return TestFiles.caseDirs(TestFiles.models().resolve("control_flow")); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void printsAndReadsBack(Path dir) throws IOException {
        Graph original = Kiln.load(dir.resolve("model.onnx"), new ImportOptions());
        DslPrinter.Printed p = DslPrinter.print(original, "model.npz", "model.onnx");
        assertTrue(p.text().contains("={\n"), p.text());
        Path kiln = tmp.resolve("model.kiln");
        Files.writeString(kiln, p.text(), StandardCharsets.UTF_8);
        if (!p.weights().isEmpty()) Npz.write(tmp.resolve("model.npz"), p.weights());
        Graph back = Kiln.load(kiln, new ImportOptions());

        TestCase.DataSet ds = TestCase.find(List.of(dir)).get(0).dataSets(new ImportOptions().maxTensorBytes()).get(0);
        List<NdArray> want = new Interpreter(original).run(ds.inputs());
        List<NdArray> got = new Interpreter(back).run(ds.inputs());
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) assertEquals(want.get(i), got.get(i), "output " + i + " differs");
        assertEquals(p.text(), DslPrinter.print(back, "model.npz", "model.onnx").text(), "printing the read-back graph changed the text");
    }
}
