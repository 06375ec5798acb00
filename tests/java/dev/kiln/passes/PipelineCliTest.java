package dev.kiln.passes;

import static dev.kiln.KilnCli.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnCli.Run;
import dev.kiln.TestFiles;
import dev.kiln.cli.Main;
import org.junit.jupiter.api.Test;

/** The pipeline options on the command line: -O, --print-after, --verify-each, -v. */
class PipelineCliTest {

    static final String MODEL = TestFiles.models().resolve("owjs_hello_deepa").toString();

    @Test
    void checkRunsThePipelineWithInstruments() {
        Run r = kiln("check", MODEL, "-O3", "--verify-each", "-v", "--print-after", "EliminateDeadNodes", "--atol", "1e-4");
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().startsWith("PASS owjs_hello_deepa"), r.out());
        assertTrue(r.err().contains("pipeline -O3 on"), r.err());
        assertTrue(r.err().contains("FoldConstants"), r.err());
        assertTrue(r.err().contains("# after EliminateDeadNodes\nmodel "), r.err());
    }

    @Test
    void levelZeroRunsNoPassAndCompilesTheSame() {
        Run r = kiln("check", MODEL, "-O0", "-v", "--atol", "1e-4");
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.err().contains("0 passes"), r.err());
        Run i0 = kiln("inspect", TestFiles.models().resolve("owjs_hello_deepa/model.onnx").toString(), "--json", "-O0");
        Run i3 = kiln("inspect", TestFiles.models().resolve("owjs_hello_deepa/model.onnx").toString(), "--json");
        assertEquals(0, i0.rc(), i0.err());
        assertEquals(0, i3.rc(), i3.err());
        assertTrue(i0.out().contains("\"nodes\""), i0.out());
    }

    @Test
    void badPipelineOptionsAreUsageErrors() {
        Run level = kiln("inspect", TestFiles.models().resolve("owjs_hello_deepa/model.onnx").toString(), "-O7");
        assertEquals(Main.BAD_INPUT, level.rc());
        assertTrue(level.err().contains("-O7"), level.err());
        Run pass = kiln("check", MODEL, "--print-after", "NoSuchPass");
        assertEquals(Main.BAD_INPUT, pass.rc());
        assertTrue(pass.err().contains("NoSuchPass") && pass.err().contains("FoldConstants"), pass.err());
        Run dws = kiln("check", MODEL, "--dws-tolerance", "-1");
        assertEquals(Main.BAD_INPUT, dws.rc());
    }
}
