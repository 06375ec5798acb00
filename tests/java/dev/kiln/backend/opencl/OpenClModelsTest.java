package dev.kiln.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.CompileOptions;
import dev.kiln.Kiln;
import dev.kiln.TestFiles;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.toolchain.OpenClHostRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every float model of tests/models through the generated standalone host program on the first OpenCL device (pocl in CI). */
class OpenClModelsTest {
    private static final Target T = Target.load("opencl-cpu");

    private static boolean quantized(Path dir) { return dev.kiln.QuantTesting.quantized(dir); }

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

    /** The quantized models run their int8 kernels; each within its rounding tolerance (depth x output step). */
    @Test
    void quantizedModelsMatchTheirRecordedOutputs() {
        List<Path> dirs = new ArrayList<>();
        TestFiles.caseDirs(TestFiles.models()).filter(OpenClModelsTest::quantized).forEach(dirs::add);
        assertTrue(dirs.size() >= 6, "quantized models found: " + dirs);
        OpenClHostRunner r = new OpenClHostRunner(T, null, -1);
        for (Path d : dirs) {
            Checker c = new Checker(r, 1e-3, dev.kiln.QuantTesting.tolerance(d), ImportOptions::new, null, g -> Kiln.optimize(g, T, CompileOptions.defaults()));
            List<Checker.Result> res = c.checkAll(TestCase.find(List.of(d)), 1, x -> {});
            assertEquals(1, res.size());
            assertTrue(res.get(0).passed(), res.get(0).line());
        }
    }
}
