package dev.kiln.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.CompileOptions;
import dev.kiln.Kiln;
import dev.kiln.TestFiles;
import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.ir.Graph;
import dev.kiln.toolchain.OpenClHostRunner;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The OpenCL launch description and the standalone host program on small conformance cases (pocl in CI). */
class OpenClProgramTest {
    private static final Target T = Target.load("opencl-cpu");

    private static Graph load(String name) {
        Graph g = Kiln.load(TestFiles.onnxNode().resolve(name).resolve("model.onnx"), new ImportOptions());
        Kiln.optimize(g, T, CompileOptions.defaults());
        return g;
    }

    @Test
    void backendIsRegistered() {
        assertNotNull(Backend.find("opencl"));
        assertEquals("opencl", Backend.find("opencl").kind());
    }

    @Test
    void descriptionNamesBuffersKernelsAndArguments() {
        Graph g = load("test_add_bcast");
        OpenClBackend b = new OpenClBackend();
        OpenClProgram p = b.lower(g, T, new Backend.Options("m", null, "test")).program();
        // arena, weights, two inputs, one output
        assertEquals(5, p.buffers().size());
        assertEquals(OpenClProgram.BufferKind.ARENA, p.buffers().get(0).kind());
        assertEquals(OpenClProgram.BufferKind.WEIGHTS, p.buffers().get(1).kind());
        assertEquals(2, p.inputs().size());
        assertEquals(240, p.outputs().get(0).bytes());
        assertEquals(1, p.kernels().size());
        OpenClProgram.Kernel k = p.kernels().get(0);
        assertEquals("add", k.op());
        // three tensors: (buffer, byte offset) each
        assertEquals(6, k.args().size());
        assertEquals(OpenClProgram.ArgKind.BUFFER, k.args().get(0).kind());
        assertEquals(OpenClProgram.ArgKind.UINT, k.args().get(1).kind());
        assertEquals(p.outputs().get(0).id(), k.args().get(4).buffer());
        assertTrue(k.global()[0] >= 60, "one work item per output element");
        assertTrue(p.source().contains("__kernel void " + k.name() + "("));
        assertEquals(k, p.kernelAtLine(k.line() + 3));
    }

    @Test
    void generatedFilesAreDeterministic() {
        Backend b = Backend.find("opencl");
        GeneratedCode a = b.generate(load("test_relu"), T, new Backend.Options("m", null, "test"));
        GeneratedCode c = b.generate(load("test_relu"), T, new Backend.Options("m", null, "test"));
        assertEquals(List.of("CMakeLists.txt", "m.cl", "m_cl.c", "m_cl.h", "m_cl.json", "m_cl_weights.c"), a.fileNames());
        assertEquals(a.files(), c.files());
        assertTrue(a.files().get("m_cl.json").contains("\"kernels\""));
    }

    @Test
    void hostProgramRunsSmallCasesOnTheDevice() {
        OpenClHostRunner r = new OpenClHostRunner(T, null, -1);
        Checker c = new Checker(r, 1e-3, 1e-5, ImportOptions::new, null, g -> Kiln.optimize(g, T, CompileOptions.defaults()));
        List<TestCase> cases = TestCase.find(List.of(TestFiles.onnxNode().resolve("test_relu"), TestFiles.onnxNode().resolve("test_add"),
                TestFiles.onnxNode().resolve("test_add_bcast")));
        for (Checker.Result res : c.checkAll(cases, 8, x -> {})) assertTrue(res.passed(), res.line());
    }

    /** Control flow through the generated host C: it reads conditions back and enqueues each region's kernels (If, Loop, Scan). */
    @Test
    void hostProgramRunsControlFlow() {
        OpenClHostRunner r = new OpenClHostRunner(T, null, -1);
        Checker c = new Checker(r, 1e-3, 1e-4, ImportOptions::new, null, g -> Kiln.optimize(g, T, CompileOptions.defaults()));
        java.nio.file.Path cf = TestFiles.models().resolve("control_flow");
        List<TestCase> cases = TestCase.find(List.of(TestFiles.onnxNode().resolve("test_if"), TestFiles.onnxNode().resolve("test_loop11"),
                TestFiles.onnxNode().resolve("test_scan9_sum"), cf.resolve("loop_time_steps"), cf.resolve("scan_smoothing"),
                cf.resolve("vad_if_state"), cf.resolve("if_runtime")));
        List<Checker.Result> results = c.checkAll(cases, 8, x -> {});
        assertEquals(7, results.size());
        for (Checker.Result res : results) assertTrue(res.passed(), res.line());
    }
}
