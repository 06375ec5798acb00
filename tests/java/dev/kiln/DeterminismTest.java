package dev.kiln;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.passes.PassOptions;
import dev.kiln.quant.Calibration;
import dev.kiln.quant.Calibrator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiling the same model twice gives byte-identical output: every model of {@code tests/models}, each compile
 * starting from a freshly imported Graph, for the C backend (host and Cortex-M4F) and the OpenCL backend; also a
 * float model quantized with {@code --int8}. Generation only (no compiler runs), so iteration order over hash
 * sets or identity hashes anywhere in import, passes, planning or emission would show up here.
 */
class DeterminismTest {
    /** The backend and target pairs each model is compiled for. */
    private static final List<String[]> BACKENDS = List.of(
            new String[] {"c", "host"}, new String[] {"c", "cortex-m4f"}, new String[] {"opencl", "opencl-gpu"});

    private static GeneratedCode compile(Path model, String backend, String target, CompileOptions co) {
        return Kiln.compile(model, new ImportOptions(), backend, Target.load(target),
                new Backend.Options("model", null, model.getFileName().toString()), co);
    }

    /** Asserts that two generations have the same file names in the same order and the same bytes in each file. */
    private static void assertSame(String what, GeneratedCode a, GeneratedCode b) {
        assertEquals(new ArrayList<>(a.files().keySet()), new ArrayList<>(b.files().keySet()), what + ": file list");
        assertFalse(a.files().isEmpty(), what + ": no files generated");
        for (Map.Entry<String, String> e : a.files().entrySet()) {
            String other = b.files().get(e.getKey());
            // why: assertEquals on two large C files would print both; name the first differing line instead
            if (!e.getValue().equals(other)) {
                String[] x = e.getValue().split("\n", -1), y = other.split("\n", -1);
                int i = 0;
                while (i < x.length && i < y.length && x[i].equals(y[i])) i++;
                throw new AssertionError(what + ": " + e.getKey() + " differs at line " + (i + 1) + ":\n  "
                        + (i < x.length ? x[i] : "(end)") + "\n  " + (i < y.length ? y[i] : "(end)"));
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> everyModelTwiceGivesTheSameFiles() {
        List<Path> models = TestFiles.caseDirs(TestFiles.models()).toList();
        assertTrue(models.size() >= 15, "tests/models: " + models);
        return models.stream().flatMap(d -> BACKENDS.stream().map(bt -> DynamicTest.dynamicTest(
                d.getFileName() + " " + bt[0] + "/" + bt[1], () -> {
                    Path m = d.resolve("model.onnx");
                    GeneratedCode first = compile(m, bt[0], bt[1], CompileOptions.defaults());
                    GeneratedCode second = compile(m, bt[0], bt[1], CompileOptions.defaults());
                    assertSame(d.getFileName() + " " + bt[1], first, second);
                })));
    }

    @Test
    void int8QuantizedModelTwiceGivesTheSameFiles(@TempDir Path tmp) throws IOException {
        Path d = TestFiles.models().resolve("ds_cnn_kws_op13");
        // why: the calibration folder must hold inputs only (the recorded outputs sit beside them)
        Path cal = Files.createDirectories(tmp.resolve("cal"));
        Files.copy(d.resolve("test_data_set_0/input_0.pb"), cal.resolve("input_0.pb"));
        for (String[] bt : BACKENDS) {
            GeneratedCode[] two = new GeneratedCode[2];
            for (int i = 0; i < 2; i++) {
                PassOptions po = new PassOptions();
                po.int8 = Calibration.of(cal, Calibrator.Method.MINMAX);
                two[i] = compile(d.resolve("model.onnx"), bt[0], bt[1], new CompileOptions(CompileOptions.DEFAULT_LEVEL, po, null));
            }
            assertTrue(two[0].files().values().stream().anyMatch(s -> s.contains("int8_t")), bt[1] + ": the model was quantized");
            assertSame("ds_cnn_kws_op13 --int8 " + bt[1], two[0], two[1]);
        }
    }

    @Test
    void writtenFoldersAreByteIdentical(@TempDir Path tmp) throws IOException {
        Path m = TestFiles.models().resolve("digits_lenet5_op13/model.onnx");
        compile(m, "c", "cortex-m4f", CompileOptions.defaults()).writeFolderAtomically(tmp.resolve("a"));
        compile(m, "c", "cortex-m4f", CompileOptions.defaults()).writeFolderAtomically(tmp.resolve("b"));
        Map<String, byte[]> a = readTree(tmp.resolve("a")), b = readTree(tmp.resolve("b"));
        assertEquals(a.keySet(), b.keySet(), "file lists");
        assertTrue(a.size() >= 3, "files written: " + a.keySet());
        for (String f : a.keySet()) assertArrayEquals(a.get(f), b.get(f), f);
    }

    private static Map<String, byte[]> readTree(Path dir) throws IOException {
        Map<String, byte[]> r = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) r.put(dir.relativize(p).toString(), Files.readAllBytes(p));
        }
        return r;
    }
}
