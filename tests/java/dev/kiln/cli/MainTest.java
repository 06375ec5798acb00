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
import java.util.List;
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
    void checkOfModelsThatDoNotImportExitsTwoWithAFailLinePerCase() throws IOException {
        for (String n : new String[] {"case_a", "case_b"}) {
            Path c = tmp.resolve("bad/" + n);
            copyCase(TestFiles.onnxNode().resolve("test_relu"), c);
            Files.write(c.resolve("model.onnx"), java.util.Arrays.copyOf(Files.readAllBytes(c.resolve("model.onnx")), 20));
        }
        Run r = kiln("check", tmp.resolve("bad").toString());
        assertEquals(2, r.rc(), r.out() + r.err());
        assertTrue(r.out().startsWith("FAIL case_a: "), r.out());
        assertTrue(r.out().contains("\nFAIL case_b: "), r.out());
        assertTrue(r.out().contains("not a valid ONNX model"), r.out());
        assertTrue(r.out().endsWith("0 passed, 2 failed\n"), r.out());
        assertTrue(r.err().contains("did not import (bad input): exit status 2"), r.err());
        assertNoStackTrace(r);
        // one case that imports but gives a wrong result among them: a failed check, exit 1
        Path c = tmp.resolve("bad/case_wrong");
        copyCase(TestFiles.onnxNode().resolve("test_relu"), c);
        Files.copy(TestFiles.onnxNode().resolve("test_abs/test_data_set_0/output_0.pb"), c.resolve("test_data_set_0/output_0.pb"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Run mixed = kiln("check", tmp.resolve("bad").toString());
        assertEquals(1, mixed.rc(), mixed.out() + mixed.err());
        assertTrue(mixed.out().endsWith("0 passed, 3 failed\n"), mixed.out());
        // and options before the command mean the same
        Run before = kiln("--debug", "--rtol", "0.5", "check", tmp.resolve("bad/case_a").toString());
        assertEquals(2, before.rc(), before.out() + before.err());
        assertTrue(before.out().startsWith("FAIL case_a: "), before.out());
    }

    @Test
    void optionsBeforeTheCommandWork() {
        String relu = TestFiles.onnxNode().resolve("test_relu").toString();
        for (String[] args : new String[][] {
                {"--backend", "interp", "check", relu},
                {"--backend=interp", "-O", "1", "check", relu},
                {"-O1", "check", relu},
                {"--no-progress", "check", "--rtol", "1e-3", relu},
                {"--debug", "--no-progress", "check", relu}}) {
            Run r = kiln(args);
            assertEquals(0, r.rc(), String.join(" ", args) + ": " + r.err());
            assertEquals("PASS test_relu\n1 passed, 0 failed\n", r.out(), String.join(" ", args));
        }
        // an option the command does not have is still a usage error, naming the option
        Run bad = kiln("--no-progress", "ops");
        assertEquals(2, bad.rc());
        assertTrue(bad.err().contains("--no-progress"), bad.err());
        Run unknown = kiln("--frobnicate", "check", relu);
        assertEquals(2, unknown.rc());
        assertTrue(unknown.err().contains("--frobnicate"), unknown.err());
        assertEquals(List.of("check", "--backend", "c", "x"), List.of(Main.commandFirst(new picocli.CommandLine(new Main()), new String[] {"--backend", "c", "check", "x"})));
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
    void targetSpecReplacesDescriptorKeys() throws IOException {
        String model = TestFiles.onnxNode().resolve("test_relu/model.onnx").toString();
        Path out = tmp.resolve("spec");
        Run r = kiln("compile", model, "-t", "host,conv.winograd=off,vector.bytes=32", "-o", out.toString(), "--name", "r");
        assertEquals(0, r.rc(), r.err());
        String banner = Files.readString(out.resolve("README.md"));
        assertTrue(banner.contains("[with conv.winograd=off, vector.bytes=32]"), banner);
        // a misspelt key, the name, a pair without '=' and a bad value: exit 2 with what to write instead
        String[][] bad = {{"host,conv.winogard=off", "'conv.winogard' is not a descriptor key"},
                {"host,name=mine", "'name' is not a descriptor key"}, {"host,off", "'off' is not KEY=VALUE"},
                {"host,conv.winograd=maybe", "conv.winograd=maybe: use on or off"}};
        for (String[] b : bad) {
            r = kiln("compile", model, "-t", b[0], "-o", tmp.resolve("bad").toString());
            assertEquals(2, r.rc(), b[0] + ": " + r.err());
            assertTrue(r.err().contains(b[1]), r.err());
            assertNoStackTrace(r);
            assertFalse(Files.exists(tmp.resolve("bad")));
        }
        assertTrue(kiln("compile", model, "-t", "host,conv.winogard=off", "-o", tmp.resolve("bad").toString()).err()
                .contains("host,conv.winograd=off"), "the hint shows the form");
    }

    @Test
    void targetsListsTheDescriptors() {
        Run r = kiln("targets");
        assertEquals(0, r.rc());
        for (String t : new String[] {"host", "cortex-m0plus", "cortex-m3", "cortex-m4f", "cortex-m7", "cortex-m33", "cortex-m55"})
            assertTrue(r.out().contains(t), t);
    }
}
