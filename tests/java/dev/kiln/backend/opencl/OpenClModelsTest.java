package dev.kiln.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.CompileOptions;
import dev.kiln.Kiln;
import dev.kiln.TestFiles;
import dev.kiln.backend.Backend;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.check.TestCase;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.ir.Graph;
import dev.kiln.toolchain.OpenClHostRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every float model of tests/models through the generated standalone host program on the first OpenCL device (pocl in CI). */
class OpenClModelsTest {
    private static final Target T = Target.load("opencl-cpu");

    /** Quantized models: their int8 ops (quantize_linear, dequantize_linear, qlinear_*) have no OpenCL kernels yet. */
    private static boolean quantized(Path dir) { return dir.getFileName().toString().contains("int8"); }

    @Test
    void floatModelsMatchTheirRecordedOutputs() {
        List<Path> dirs = new ArrayList<>();
        TestFiles.caseDirs(TestFiles.models()).filter(d -> !quantized(d)).forEach(dirs::add);
        assertTrue(dirs.size() >= 10, "float models found: " + dirs);
        OpenClHostRunner r = new OpenClHostRunner(T, null, -1);
        Checker c = new Checker(r, 1e-3, 1e-4, ImportOptions::new, null, g -> Kiln.optimize(g, T, CompileOptions.defaults()));
        List<Checker.Result> res = c.checkAll(TestCase.find(dirs), 64, x -> {});
        assertEquals(dirs.size(), res.size());
        for (Checker.Result x : res) assertTrue(x.passed(), x.line());
    }

    @Test
    void quantizedModelsAreRefusedUpFrontNamingEveryNode() {
        Path dir = TestFiles.models().resolve("digits_mlp_int8_qdq");
        Graph g = Kiln.load(dir.resolve("model.onnx"), new ImportOptions());
        Kiln.optimize(g, T, CompileOptions.defaults());
        KilnException e = assertThrows(KilnException.class,
                () -> Backend.find("opencl").generate(g, T, new Backend.Options("m", null, "test")));
        assertEquals(Code.UNSUPPORTED_BY_BACKEND, e.code());
        assertTrue(e.getMessage().contains("qmatmul"), e.getMessage());
    }
}
