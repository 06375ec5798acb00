package dev.kiln.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.diag.KilnException;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The calibration methods on data with a known distribution: minmax covers every value; percentile and entropy
 * clip a rare outlier; the parameters are asymmetric int8 with 0 exact; .npy data splits along its first axis.
 */
class CalibratorTest {
    /** x -> relu -> y, fed with N(0, 1) values plus one huge outlier in the last sample. */
    private static Graph graph() {
        Graph g = new Graph("c");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 1000));
        g.addOutput(g.addNode(Ops.RELU, "r", List.of(x), Attrs.EMPTY).output(0));
        return g;
    }

    private static List<Map<String, NdArray>> data() {
        Random r = new Random(5);
        List<Map<String, NdArray>> s = new ArrayList<>();
        for (int k = 0; k < 20; k++) {
            float[] f = new float[1000];
            for (int i = 0; i < f.length; i++) f[i] = (float) r.nextGaussian();
            if (k == 19) f[7] = 100f;
            s.add(Map.of("x", NdArray.ofFloats(Shape.of(1, 1000), f)));
        }
        return s;
    }

    private static double hi(QuantParams q) { return q.scale(0) * (127 - q.zeroPoint(0)); }

    private static double lo(QuantParams q) { return q.scale(0) * (-128 - q.zeroPoint(0)); }

    @Test
    void minmaxCoversEveryValue() {
        Map<String, QuantParams> p = new Calibrator(Calibrator.Method.MINMAX, 99.99, null, false).calibrate(graph(), data());
        QuantParams x = p.get("x"), y = p.get("r");
        assertTrue(hi(x) >= 100 - x.scale(0) && hi(x) < 101, "max " + hi(x) + " within one step of 100");
        assertTrue(lo(x) <= -3 && lo(x) > -6, "min " + lo(x));
        assertEquals(-128, y.zeroPoint(0), "relu output: [0, max] puts 0 at -128");
        assertEquals(0.0, lo(y), "the relu output range starts exactly at 0");
    }

    @Test
    void percentileAndEntropyClipTheOutlier() {
        for (Calibrator.Method m : new Calibrator.Method[] {Calibrator.Method.PERCENTILE, Calibrator.Method.ENTROPY}) {
            Map<String, QuantParams> p = new Calibrator(m, 99.9, null, false).calibrate(graph(), data());
            double h = hi(p.get("r"));
            assertTrue(h > 2 && h < 20, m + ": relu output clipped to " + h + " (the outlier is 100)");
        }
    }

    @Test
    void entropyThresholdKeepsAUniformRangeWhole() {
        long[] hist = new long[Calibrator.BINS];
        for (int i = 0; i < 1024; i++) hist[i] = 1000;
        double t = Calibrator.entropyThreshold(hist, 1.0, 128);
        assertTrue(t > 900 && t < 1100, "a flat histogram up to bin 1024 is clipped near 1024, got " + t);
    }

    @Test
    void npyDataSplitsAlongTheFirstAxisAndBadMethodsAreUsageErrors() {
        Graph g = new Graph("d");
        g.addInput("input", TensorType.of(DType.F32, 1, 1, 8, 8));
        List<Map<String, NdArray>> s = Calibrator.load(TestFiles.root().resolve("tests/data/digits_calib32_x.npy"), g);
        assertEquals(32, s.size());
        assertEquals(Shape.of(1, 1, 8, 8), s.get(0).get("input").shape());
        assertThrows(KilnException.class, () -> Calibrator.method("median"));
        assertThrows(KilnException.class, () -> new Calibrator(Calibrator.Method.PERCENTILE, 20, null, false));
        Graph two = new Graph("two");
        two.addInput("a", TensorType.of(DType.F32, 1, 64));
        two.addInput("b", TensorType.of(DType.F32, 1, 64));
        assertThrows(KilnException.class, () -> Calibrator.load(TestFiles.root().resolve("tests/data/digits_calib32_x.npy"), two),
                "a .npy file feeds a single input");
    }

    @Test
    void aTestDataSetFolderIsOneSampleAndItsOutputsAreNotInputs() {
        java.nio.file.Path model = dev.kiln.TestFiles.models().resolve("digits_mlp_op13");
        Graph g = dev.kiln.Kiln.load(model.resolve("model.onnx"), new dev.kiln.frontend.onnx.ImportOptions());
        java.util.List<Map<String, dev.kiln.ir.NdArray>> one = Calibrator.load(model.resolve("test_data_set_0"), g);
        assertEquals(1, one.size());
        assertEquals(java.util.Set.of(g.inputs().get(0).name()), one.get(0).keySet());
        assertEquals(1, Calibrator.load(model, g).size(), "the model folder holds one test_data_set");
    }

    @Test
    void aSinglePbOrNpySampleIsOneSample(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        java.nio.file.Path model = dev.kiln.TestFiles.models().resolve("digits_lenet5_op13");
        Graph g = dev.kiln.Kiln.load(model.resolve("model.onnx"), new dev.kiln.frontend.onnx.ImportOptions());
        java.nio.file.Path pb = model.resolve("test_data_set_0/input_0.pb");
        List<Map<String, NdArray>> one = Calibrator.load(pb, g);
        assertEquals(1, one.size());
        NdArray x = one.get(0).get(g.inputs().get(0).name());
        assertEquals(g.inputs().get(0).shape(), x.shape());
        java.nio.file.Path npy = tmp.resolve("one.npy");
        try {
            java.nio.file.Files.write(npy, dev.kiln.io.Npy.toBytes(x));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        List<Map<String, NdArray>> fromNpy = Calibrator.load(npy, g);
        assertEquals(1, fromNpy.size());
        assertEquals(x.getDouble(5), fromNpy.get(0).get(g.inputs().get(0).name()).getDouble(5));
    }
}
