package dev.kiln.frontend.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.cli.Main;
import dev.kiln.frontend.onnx.TensorProtos;
import dev.kiln.io.Npz;
import dev.kiln.ir.NdArray;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The tests/dsl/tiny_mlp case: its recorded output is re-derived here with plain Java arithmetic from the
 * weights archive and the input (so the fixture does not rest on Kiln's interpreter), then {@code kiln check}
 * runs the .kiln model against it.
 */
class TinyMlpTest {
    private static final Path DIR = TestFiles.root().resolve("tests/dsl/tiny_mlp");

    @Test
    void recordedOutputIsTheMlpOfTheRecordedInput() {
        Map<String, NdArray> w = Npz.read(DIR.resolve("tiny_mlp.npz"), 1 << 20);
        NdArray x = TensorProtos.readPb(DIR.resolve("test_data_set_0/input_0.pb"), 1 << 20);
        NdArray y = TensorProtos.readPb(DIR.resolve("test_data_set_0/output_0.pb"), 1 << 20);
        double[][] h = affine(x.toDoubleArray(), 2, 4, w.get("fc1.weight").toDoubleArray(), w.get("fc1.bias").toDoubleArray(), 8);
        for (double[] row : h) for (int j = 0; j < row.length; j++) row[j] = Math.max(0, row[j]);
        double[] flat = new double[16];
        for (int i = 0; i < 2; i++) System.arraycopy(h[i], 0, flat, i * 8, 8);
        double[][] z = affine(flat, 2, 8, w.get("fc2.weight").toDoubleArray(), w.get("fc2.bias").toDoubleArray(), 3);
        for (int i = 0; i < 2; i++) {
            double max = Math.max(z[i][0], Math.max(z[i][1], z[i][2]));
            double sum = 0;
            for (int j = 0; j < 3; j++) sum += Math.exp(z[i][j] - max);
            for (int j = 0; j < 3; j++) assertEquals(Math.exp(z[i][j] - max) / sum, y.getDouble(i * 3 + j), 1e-6, "y[" + i + "][" + j + "]");
        }
    }

    private static double[][] affine(double[] x, int n, int in, double[] w, double[] b, int out) {
        double[][] r = new double[n][out];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < out; j++) {
                double s = b[j];
                for (int k = 0; k < in; k++) s += x[i * in + k] * w[k * out + j];
                r[i][j] = s;
            }
        }
        return r;
    }

    @Test
    void kilnCheckPassesOnTheDslModel() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.execute(new PrintWriter(out), new PrintWriter(err), "check", DIR.toString());
        assertEquals(0, rc, out + "\n" + err);
        assertTrue(out.toString().contains("PASS tiny_mlp"), out.toString());
        assertTrue(out.toString().contains("1 passed, 0 failed"), out.toString());
    }

    @Test
    void checkWithModelOverrideAcceptsAKilnFile() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.execute(new PrintWriter(out), new PrintWriter(err), "check", DIR.toString(), "--model", DIR.resolve("model.kiln").toString());
        assertEquals(0, rc, out + "\n" + err);
        assertTrue(out.toString().contains("1 passed, 0 failed"), out.toString());
    }
}
