package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.CompileOptions;
import dev.kiln.Kiln;
import dev.kiln.TestFiles;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.io.Npy;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.GraphVerifier;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.FusedActivation;
import dev.kiln.ops.Ops;
import dev.kiln.ops.Trait;
import dev.kiln.quant.Calibration;
import dev.kiln.quant.Calibrator;
import dev.kiln.quant.Int8Io;
import dev.kiln.quant.Int8Lowering;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * LowerToInt8 through the pipeline: the digits LeNet keeps its top-1 accuracy; a graph with the -O3 fusions
 * (fused activations, a residual, a non-clamp activation, softmax) lowers fully to int8 ops and stays close to
 * float; an op without an int8 lowering stays float between quantize and dequantize with a report line; a
 * float model without --int8 is left alone.
 */
class LowerToInt8Test {
    private static final Path DATA = TestFiles.root().resolve("tests/data");

    /** Runs the -O3 pipeline with calibration on {@code samples} and returns the context. */
    private static PassContext lowerWith(Graph g, List<Map<String, NdArray>> samples) {
        PassContext cx = new PassContext(null, null);
        cx.quant().setCalibration(h -> new Calibrator(Calibrator.Method.MINMAX, 99.99, null, false).calibrate(h, samples));
        Pipelines.level(3).run(g, cx, Instruments.none());
        GraphVerifier.verify(g);
        return cx;
    }

    private static int argmax(NdArray a) {
        int best = 0;
        for (int i = 1; i < a.size(); i++) if (a.getDouble(i) > a.getDouble(best)) best = i;
        return best;
    }

    @Test
    void digitsLenetKeepsItsAccuracyWithinHalfAPoint() {
        Path model = TestFiles.root().resolve("tests/models/digits_lenet5_op13/model.onnx");
        Graph f = Kiln.load(model, new ImportOptions());
        Kiln.optimize(f, null, CompileOptions.defaults());
        Graph g = Kiln.load(model, new ImportOptions());
        PassOptions po = new PassOptions();
        po.int8 = Calibration.of(DATA.resolve("digits_calib32_x.npy"), Calibrator.Method.MINMAX);
        Kiln.optimize(g, null, new CompileOptions(3, po, null));

        assertTrue(Int8Lowering.floatNodes(g).isEmpty(), "nothing left float: " + Int8Lowering.floatOps(g));
        assertEquals(DType.I8, g.inputs().get(0).dtype());
        assertEquals(DType.I8, g.outputs().get(0).dtype());
        assertTrue(g.inputs().get(0).type().quant() != null && g.outputs().get(0).type().quant() != null, "I/O carry their parameters");

        List<NdArray> xs = Calibrator.samples(Npy.read(DATA.resolve("digits_test_x.npy"), 1 << 24), f.inputs().get(0), "x");
        NdArray y = Npy.read(DATA.resolve("digits_test_y.npy"), 1 << 24);
        Interpreter fi = new Interpreter(f), qi = new Interpreter(g);
        int floatRight = 0, int8Right = 0;
        for (int i = 0; i < xs.size(); i++) {
            if (argmax(fi.run(List.of(xs.get(i))).get(0)) == y.getLong(i)) floatRight++;
            NdArray q = qi.run(List.of(Int8Io.toInput(xs.get(i), g.inputs().get(0).type()))).get(0);
            if (argmax(Int8Io.toFloat(q, g.outputs().get(0).type())) == y.getLong(i)) int8Right++;
        }
        double fa = 100.0 * floatRight / xs.size(), qa = 100.0 * int8Right / xs.size();
        assertTrue(fa > 90, "the float model works: " + fa);
        assertTrue(qa >= fa - 0.5, "int8 top-1 " + qa + " % vs float " + fa + " %");
    }

    /** x -> conv(relu) -> conv(+ residual, hard_swish) -> global average pool -> flatten -> gemm -> softmax. */
    private static Graph fusedModel() {
        Graph g = new Graph("m");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 3, 8, 8));
        Value c1 = PassTesting.op(g, Ops.CONV, List.of(x, PassTesting.randomConstant(g, "w1", 1, 4, 3, 3, 3), PassTesting.randomConstant(g, "b1", 2, 4)),
                "pads", new long[] {1, 1, 1, 1});
        Value r1 = PassTesting.op(g, Ops.RELU, List.of(c1));
        Value c2 = PassTesting.op(g, Ops.CONV, List.of(r1, PassTesting.randomConstant(g, "w2", 3, 4, 4, 3, 3), PassTesting.randomConstant(g, "b2", 4, 4)),
                "pads", new long[] {1, 1, 1, 1});
        Value s = PassTesting.op(g, Ops.ADD, List.of(c2, r1));
        Value h = PassTesting.op(g, Ops.HARD_SWISH, List.of(s));
        Value p = PassTesting.op(g, Ops.GLOBAL_AVERAGE_POOL, List.of(h));
        Value fl = PassTesting.op(g, Ops.FLATTEN, List.of(p));
        Value gm = PassTesting.op(g, Ops.GEMM, List.of(fl, PassTesting.randomConstant(g, "wg", 5, 5, 4), PassTesting.randomConstant(g, "bg", 6, 5)),
                "trans_b", 1L);
        g.addOutput(PassTesting.op(g, Ops.SOFTMAX, List.of(gm), "axis", -1L));
        return g;
    }

    private static List<Map<String, NdArray>> samples(Graph g, int n) {
        List<Map<String, NdArray>> r = new ArrayList<>();
        for (int i = 0; i < n; i++) r.add(Map.of(g.inputs().get(0).name(), PassTesting.random(g.inputs().get(0).shape(), 100 + i)));
        return r;
    }

    @Test
    void fusedGraphLowersFullyAndStaysCloseToFloat() {
        Graph f = fusedModel();
        Kiln.optimize(f, null, CompileOptions.defaults());
        boolean fused = false;
        for (Node n : f.nodes()) fused |= FusedActivation.present(n.attrs()) || (n.op() == Ops.CONV && n.input(3) != null);
        assertTrue(fused, "the float pipeline fused activations or the residual");

        Graph g = fusedModel();
        PassContext cx = lowerWith(g, samples(g, 8));
        assertTrue(Int8Lowering.floatNodes(g).isEmpty(), "nothing left float: " + Int8Lowering.floatOps(g));
        assertTrue(PassTesting.count(g, Ops.QCONV) == 2 && PassTesting.count(g, Ops.QADD) == 0 && PassTesting.count(g, Ops.QLOOKUP) == 1
                && PassTesting.count(g, Ops.QAVERAGE_POOL) == 1 && PassTesting.count(g, Ops.QMATMUL) == 1 && PassTesting.count(g, Ops.QSOFTMAX) == 1, g.toString());
        for (Node n : g.nodes()) assertTrue(n.op().has(Trait.INTEGER) || n.op().has(Trait.DATA_MOVEMENT), n + " is integer or moves data");
        assertTrue(cx.notes().stream().anyMatch(s -> s.contains("LowerToInt8: split")), "the residual conv was split: " + cx.notes());

        for (Map<String, NdArray> in : samples(g, 4)) {
            NdArray want = new Interpreter(f).run(in).values().iterator().next();
            NdArray q = new Interpreter(g).run(List.of(Int8Io.toInput(in.values().iterator().next(), g.inputs().get(0).type()))).get(0);
            NdArray got = Int8Io.toFloat(q, g.outputs().get(0).type());
            for (int i = 0; i < want.size(); i++)
                assertEquals(want.getDouble(i), got.getDouble(i), 0.06, "softmax output " + i);
        }
    }

    @Test
    void opsWithoutLoweringStayFloatBetweenBoundaries() {
        Graph g = new Graph("m");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 8));
        Value y = g.addInput("y", TensorType.of(DType.F32, 1, 8));
        Value a = PassTesting.op(g, Ops.MATMUL, List.of(x, PassTesting.randomConstant(g, "w0", 8, 8, 8)));
        Value m = PassTesting.op(g, Ops.MUL, List.of(a, y)); // a product of two tensors has no int8 lowering
        g.addOutput(PassTesting.op(g, Ops.MATMUL, List.of(m, PassTesting.randomConstant(g, "w", 9, 8, 3))));
        List<Map<String, NdArray>> data = new ArrayList<>();
        for (int i = 0; i < 6; i++) data.add(Map.of("x", PassTesting.random(Shape.of(1, 8), 10 + i), "y", PassTesting.random(Shape.of(1, 8), 20 + i)));
        Map<String, NdArray> in = data.get(0);
        NdArray want = new Interpreter(g).run(in).values().iterator().next();
        PassContext cx = lowerWith(g, data);
        List<Node> left = Int8Lowering.floatNodes(g);
        assertEquals(1, left.size(), "only the product stays float: " + left);
        assertEquals(Ops.MUL, left.get(0).op());
        assertTrue(cx.notes().stream().anyMatch(s -> s.contains("left float") && s.contains("mul")), cx.notes().toString());
        assertEquals(2, PassTesting.count(g, Ops.QMATMUL));
        assertTrue(PassTesting.count(g, Ops.DEQUANTIZE_LINEAR) == 2 && PassTesting.count(g, Ops.QUANTIZE_LINEAR) == 1, "boundaries around it: " + g);
        assertEquals(DType.I8, g.outputs().get(0).dtype());
        List<NdArray> qin = List.of(Int8Io.toInput(in.get("x"), g.inputs().get(0).type()), Int8Io.toInput(in.get("y"), g.inputs().get(1).type()));
        NdArray got = Int8Io.toFloat(new Interpreter(g).run(qin).get(0), g.outputs().get(0).type());
        double range = 0;
        for (int i = 0; i < want.size(); i++) range = Math.max(range, Math.abs(want.getDouble(i)));
        for (int i = 0; i < want.size(); i++) assertEquals(want.getDouble(i), got.getDouble(i), 0.05 * range + 1e-3, "output " + i);
    }

    @Test
    void globalAveragePoolRoundsOnceToItsOutputsParameters() {
        // the mean of 36 values in [-1, 1) spans a few times less than its input, so its output grid is finer; rounding
        // first to the input's grid and then requantizing (the old lowering) lost up to half an input step
        Graph g = new Graph("m");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 16, 6, 6));
        g.addOutput(PassTesting.op(g, Ops.GLOBAL_AVERAGE_POOL, List.of(x)));
        List<Map<String, NdArray>> data = new ArrayList<>();
        for (int i = 0; i < 4; i++) data.add(Map.of("x", PassTesting.random(Shape.of(1, 16, 6, 6), 40 + i)));
        lowerWith(g, data);
        Node pool = g.nodes().stream().filter(n -> n.op() == Ops.QAVERAGE_POOL).findFirst().orElseThrow();
        dev.kiln.ir.QuantParams qx = g.inputs().get(0).type().quant(), qo = g.outputs().get(0).type().quant();
        assertTrue(qo.scale(0) < qx.scale(0) / 2, "the mean's grid is finer: " + qx + " vs " + qo);
        assertEquals((double) qo.scale(0), pool.attrs().getFloat(dev.kiln.ops.QuantAttrs.OUT_SCALE), 0.0, pool.toString());
        assertEquals(0, PassTesting.count(g, Ops.REQUANTIZE), "no second rounding: " + g);
        NdArray xq = Int8Io.toInput(data.get(0).get("x"), g.inputs().get(0).type());
        NdArray got = new Interpreter(g).run(List.of(xq)).get(0);
        for (int c = 0; c < 16; c++) {
            double sum = 0;
            for (int i = 0; i < 36; i++) sum += (xq.getDouble(c * 36 + i) - qx.zeroPoint(0)) * (double) qx.scale(0);
            double want = Math.max(-128, Math.min(127, Math.rint(sum / 36 / qo.scale(0)) + qo.zeroPoint(0)));
            assertEquals(want, got.getDouble(c), 0.0, "channel " + c);
        }
    }

    @Test
    void floatModelWithoutInt8IsLeftAlone() {
        Graph g = fusedModel();
        PassContext cx = new PassContext(null, null);
        assertFalse(new LowerToInt8().run(g, cx), "no annotations, no calibration: nothing to do");
        for (Node n : g.nodes()) assertFalse(n.op().has(Trait.INTEGER), n.toString());
    }
}
