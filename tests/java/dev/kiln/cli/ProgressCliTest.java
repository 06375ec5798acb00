package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.diag.Progress;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/**
 * Progress bars on the command line: drawn on a terminal (here a fake one, forced on) while checks, calibration
 * and evaluation run, erased when done, never mixed into stdout, and absent when stderr is not a terminal or with
 * {@code --no-progress}.
 */
class ProgressCliTest {
    private static final String LENET = TestFiles.root().resolve("tests/models/digits_lenet5_op13").toString();
    private static final String DATA = TestFiles.root().resolve("tests/data").toString();

    record Run(int rc, String out, String err) {}

    /** Runs kiln with stderr as a fake terminal that always shows progress. */
    private static Run onTerminal(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        PrintWriter errW = new PrintWriter(err);
        int rc = Main.execute(new PrintWriter(out), errW, Progress.forced(errW, () -> 0L, 79), args);
        return new Run(rc, out.toString(), err.toString());
    }

    @Test
    void checkDrawsABarOnATerminalAndErasesIt() {
        Run r = onTerminal("check", TestFiles.onnxNode().resolve("test_relu").toString(), TestFiles.onnxNode().resolve("test_abs").toString());
        assertEquals(0, r.rc(), r.err());
        assertEquals("PASS test_relu\nPASS test_abs\n2 passed, 0 failed\n", r.out(), "stdout stays clean");
        assertTrue(r.err().contains("checking [") && r.err().contains("/2"), r.err());
        assertEquals("", dev.kiln.diag.ProgressTest.screen(r.err()).strip(), "the bar is erased when done");
    }

    @Test
    void calibrationAndEvaluationDrawBars() {
        Run r = onTerminal("eval", LENET + "/model.onnx", "--inputs", DATA + "/digits_test_x.npy", "--labels", DATA + "/digits_test_y.npy",
                "--int8", "--calibrate", DATA + "/digits_calib32_x.npy");
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.err().contains("calibrating (minmax) ["), r.err());
        assertTrue(r.err().contains("evaluating ["), r.err());
        assertFalse(r.out().contains("\r"), r.out());
        String screen = dev.kiln.diag.ProgressTest.screen(r.err());
        assertTrue(screen.strip().startsWith("calibrated 9 values on 32 samples"), "only the summary line stays: " + screen);
    }

    @Test
    void noProgressAndPlainStderrDrawNothing() {
        Run off = onTerminal("check", "--no-progress", TestFiles.onnxNode().resolve("test_relu").toString());
        assertEquals(0, off.rc(), off.err());
        assertEquals("", off.err());
        // options may come before the command too
        Run before = onTerminal("--no-progress", "check", TestFiles.onnxNode().resolve("test_relu").toString());
        assertEquals(0, before.rc(), before.err());
        assertEquals("", before.err(), "--no-progress before the command must turn the bar off");
        assertEquals("PASS test_relu\n1 passed, 0 failed\n", before.out());
        dev.kiln.KilnCli.Run plain = dev.kiln.KilnCli.kiln("check", TestFiles.onnxNode().resolve("test_relu").toString());
        assertEquals("", plain.err(), "a stderr that is not a terminal gets no bar");
    }
}
