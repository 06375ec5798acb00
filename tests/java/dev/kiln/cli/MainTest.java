package dev.kiln.cli;

import static dev.kiln.KilnCli.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnCli.Run;
import dev.kiln.TestFiles;
import dev.kiln.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's contract: output lines, exit status, and clear errors without stack traces. */
class MainTest {
    @TempDir
    Path tmp;


    private static void assertNoStackTrace(Run r) {
        assertFalse(r.err().contains("\tat ") || r.out().contains("\tat "), "stack trace printed:\n" + r.err());
        assertFalse(r.err().contains("Exception") || r.out().contains("Exception"), "exception name printed:\n" + r.err() + r.out());
    }

    @Test
    void checkPassingCaseExitsZero() {
        Run r = kiln("check", TestFiles.onnxNode().resolve("test_relu").toString());
        assertEquals(0, r.rc(), r.err());
        assertEquals("PASS test_relu\n1 passed, 0 failed\n", r.out());
    }

    @Test
    void checkFailingCaseExitsOne() throws IOException {
        Path c = tmp.resolve("case_bad");
        copyCase(TestFiles.onnxNode().resolve("test_relu"), c);
        Files.copy(TestFiles.onnxNode().resolve("test_abs/test_data_set_0/output_0.pb"), c.resolve("test_data_set_0/output_0.pb"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Run r = kiln("check", tmp.toString());
        assertEquals(1, r.rc());
        assertTrue(r.out().startsWith("FAIL case_bad: output 0 'y': "), r.out());
        assertTrue(r.out().endsWith("0 passed, 1 failed\n"), r.out());
    }

    @Test
    void truncatedModelExitsTwoWithClearMessage() throws IOException {
        byte[] full = Files.readAllBytes(TestFiles.models().resolve("digits_mlp_op13/model.onnx"));
        Path bad = tmp.resolve("cut.onnx");
        Files.write(bad, java.util.Arrays.copyOf(full, 300));
        Run r = kiln("run", bad.toString());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("cut.onnx: error K0102: not a valid ONNX model"), r.err());
        assertNoStackTrace(r);
    }

    @Test
    void nonOnnxFileExitsTwo() throws IOException {
        Path bad = tmp.resolve("readme.onnx");
        Files.writeString(bad, "# not a model\nhello\n");
        Run r = kiln("run", bad.toString());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("readme.onnx"), r.err());
        assertNoStackTrace(r);
    }

    @Test
    void usageErrorsExitTwo() {
        Run r = kiln("check");
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("Missing required parameter"), r.err());
        Run r2 = kiln("frobnicate");
        assertEquals(2, r2.rc());
        Run r3 = kiln("check", tmp.resolve("nowhere").toString());
        assertEquals(2, r3.rc());
        assertTrue(r3.err().contains("is not a folder"), r3.err());
        assertNoStackTrace(r3);
    }

    @Test
    void runWritesOutputsAsNpy() throws IOException {
        Path dir = TestFiles.onnxNode().resolve("test_relu");
        Run r = kiln("run", dir.resolve("model.onnx").toString(), "--input", dir.resolve("test_data_set_0/input_0.pb").toString(),
                "-o", tmp.resolve("out").toString());
        assertEquals(0, r.rc(), r.err());
        var y = Npy.read(tmp.resolve("out/y.npy"), 1 << 20);
        var expected = dev.kiln.frontend.onnx.TensorProtos.readPb(dir.resolve("test_data_set_0/output_0.pb"), 1 << 20);
        assertEquals(expected, y);
    }

    @Test
    void opsListsTheRegistry() {
        Run r = kiln("ops");
        assertEquals(0, r.rc());
        for (var op : dev.kiln.ops.Ops.all()) assertTrue(r.out().contains("  " + op.name() + " "), op.name());
    }

    static void copyCase(Path from, Path to) throws IOException {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }

    @Test
    void checkOnTheCBackendBuildsAndRunsTheCases() {
        Run r = kiln("check", "--backend", "c", TestFiles.onnxNode().resolve("test_relu").toString(),
                TestFiles.onnxNode().resolve("test_add_bcast").toString());
        assertEquals(0, r.rc(), r.err() + r.out());
        assertEquals("PASS test_relu\nPASS test_add_bcast\n2 passed, 0 failed\n", r.out());
    }

    @Test
    void compileWritesTheProjectAndASummary() throws IOException {
        Path out = tmp.resolve("gen");
        Run r = kiln("compile", TestFiles.onnxNode().resolve("test_add_bcast/model.onnx").toString(), "-t", "cortex-m4f", "-o",
                out.toString(), "--name", "addb");
        assertEquals(0, r.rc(), r.err());
        assertTrue(Files.exists(out.resolve("addb.h")) && Files.exists(out.resolve("addb.c")) && Files.exists(out.resolve("addb_weights.c")));
        assertTrue(r.out().contains("arena") && r.out().contains("flash") && r.out().contains("MACs"), r.out());
    }

    @Test
    void compileForOpenClWritesTheProgramAndItsHostCode() throws IOException {
        Path out = tmp.resolve("cl");
        Run r = kiln("compile", TestFiles.onnxNode().resolve("test_add_bcast/model.onnx").toString(), "--backend", "opencl", "-o",
                out.toString(), "--name", "addb");
        assertEquals(0, r.rc(), r.err());
        for (String f : new String[] {"addb.cl", "addb_cl.c", "addb_cl.h", "addb_cl_weights.c", "addb_cl.json"})
            assertTrue(Files.exists(out.resolve(f)), f + " missing");
        assertTrue(r.out().startsWith("addb for opencl-gpu"), r.out());
    }

    @Test
    void inspectJsonHasTheContractFields() {
        Run r = kiln("inspect", TestFiles.models().resolve("digits_mlp_op13/model.onnx").toString(), "--json");
        assertEquals(0, r.rc(), r.err());
        for (String f : new String[] {"\"arena_bytes\": ", "\"arena_lower_bound_bytes\": ", "\"weights_bytes\": ",
                "\"code_bytes\": ", "\"macs\": 17024", "\"params\": 17226", "\"nodes\": {"})
            assertTrue(r.out().contains(f), f + " missing in\n" + r.out());
    }

    @Test
    void badTargetAndBadNameExitTwo() {
        Run r = kiln("compile", TestFiles.onnxNode().resolve("test_relu/model.onnx").toString(), "-t", "cortex-z9", "-o", tmp.resolve("x").toString());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("unknown target 'cortex-z9'") && r.err().contains("cortex-m4f"), r.err());
        assertNoStackTrace(r);
        r = kiln("compile", TestFiles.onnxNode().resolve("test_relu/model.onnx").toString(), "-o", tmp.resolve("y").toString(), "--name", "9 lives");
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("not a C identifier"), r.err());
        assertFalse(Files.exists(tmp.resolve("y")), "nothing is written when compilation fails");
    }

    @Test
    void targetsListsTheDescriptors() {
        Run r = kiln("targets");
        assertEquals(0, r.rc());
        for (String t : new String[] {"host", "cortex-m0plus", "cortex-m3", "cortex-m4f", "cortex-m7", "cortex-m33", "cortex-m55"})
            assertTrue(r.out().contains(t), t);
    }
}
