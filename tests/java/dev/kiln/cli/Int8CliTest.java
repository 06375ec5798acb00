package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The int8 command line: {@code kiln eval} with {@code --int8 --calibrate} reports accuracy and agreement,
 * {@code check --int8} quantizes and dequantizes the test data around the int8 model, and option mistakes are
 * usage errors (exit 2).
 */
class Int8CliTest {
    private static final String MODEL = TestFiles.root().resolve("tests/models/digits_lenet5_op13/model.onnx").toString();
    private static final String DATA = TestFiles.root().resolve("tests/data").toString();

    private static double percent(String out, String label) {
        Matcher m = Pattern.compile(Pattern.quote(label) + "[^0-9]*([0-9.]+) %").matcher(out);
        assertTrue(m.find(), "no '" + label + "' in:\n" + out);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void evalReportsInt8AccuracyAndAgreement() {
        dev.kiln.KilnCli.Run r = dev.kiln.KilnCli.kiln("eval", MODEL, "--inputs", DATA + "/digits_test_x.npy", "--labels", DATA + "/digits_test_y.npy",
                "--int8", "--calibrate", DATA + "/digits_calib32_x.npy", "--calibration", "percentile");
        assertEquals(0, r.rc(), r.err());
        double q = percent(r.out(), "top-1 accuracy"), f = percent(r.out(), "float model (interp)"), a = percent(r.out(), "agreement");
        assertTrue(r.out().contains(" int8 on interp"), r.out());
        assertTrue(q >= f - 0.5, "int8 " + q + " vs float " + f);
        assertTrue(a > 95 && a <= 100, "agreement " + a);
        assertTrue(r.err().contains("calibrated") && r.err().contains("percentile"), "one summary line on a non-terminal stderr: " + r.err());
    }

    @Test
    void evalOfAQdqModelQuantizesTheFloatSamples() {
        // why: a QDQ model's input becomes int8 when it is lowered; the samples are float and must be quantized, not truncated
        String qdq = TestFiles.root().resolve("tests/models/digits_mlp_int8_qdq/model.onnx").toString();
        dev.kiln.KilnCli.Run r = dev.kiln.KilnCli.kiln("eval", qdq, "--inputs", DATA + "/digits_test_x.npy", "--labels", DATA + "/digits_test_y.npy");
        assertEquals(0, r.rc(), r.err());
        double q = percent(r.out(), "top-1 accuracy"), f = percent(r.out(), "float model (interp)"), a = percent(r.out(), "agreement");
        assertTrue(r.out().contains(" int8 on interp"), r.out());
        // ONNX Runtime: 97.22 % on these 360 samples
        assertTrue(q > 95 && f > 95, "int8 " + q + ", float (QDQ at -O0) " + f);
        assertTrue(a > 95, "agreement " + a);
    }

    @Test
    void checkInt8ComparesDequantizedOutputs() {
        String dir = TestFiles.root().resolve("tests/models/digits_lenet5_op13").toString();
        dev.kiln.KilnCli.Run ok = dev.kiln.KilnCli.kiln("check", dir, "--int8", "--calibrate", DATA + "/digits_calib32_x.npy", "--atol", "1.0", "--rtol", "0.05");
        assertEquals(0, ok.rc(), ok.out() + ok.err());
        dev.kiln.KilnCli.Run tight = dev.kiln.KilnCli.kiln("check", dir, "--int8", "--calibrate", DATA + "/digits_calib32_x.npy", "--atol", "0", "--rtol", "0");
        assertEquals(1, tight.rc(), "int8 is not bit-exact with float: " + tight.out());
    }

    @Test
    void optionMistakesAreUsageErrors() {
        dev.kiln.KilnCli.Run noInt8 = dev.kiln.KilnCli.kiln("run", MODEL, "--calibrate", DATA + "/digits_calib32_x.npy");
        assertEquals(2, noInt8.rc());
        assertTrue(noInt8.err().contains("--calibrate needs --int8"), noInt8.err());
        dev.kiln.KilnCli.Run method = dev.kiln.KilnCli.kiln("eval", MODEL, "--inputs", DATA + "/digits_test_x.npy", "--labels", DATA + "/digits_test_y.npy",
                "--int8", "--calibrate", DATA + "/digits_calib32_x.npy", "--calibration", "median");
        assertEquals(2, method.rc());
        assertTrue(method.err().contains("minmax, percentile or entropy"), method.err());
        dev.kiln.KilnCli.Run missing = dev.kiln.KilnCli.kiln("eval", MODEL, "--inputs", DATA + "/digits_test_x.npy", "--labels", DATA + "/digits_test_y.npy",
                "--int8", "--calibrate", DATA + "/nothing.npy");
        assertEquals(2, missing.rc());
        assertTrue(!missing.err().contains("\tat "), "no stack trace: " + missing.err());
    }
}
