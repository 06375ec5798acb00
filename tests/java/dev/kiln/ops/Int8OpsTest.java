package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.diag.KilnException;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Kiln's int8 ops: each evaluate against an independent float computation (dequantize, compute in double with the
 * float op, quantize with the output parameters: within one step), exact integer results on tiny hand cases, and
 * the data-movement ops keeping their input's quantization parameters.
 */
class Int8OpsTest {
    private static NdArray i8(Shape s, long... v) { return NdArray.ofLongs(DType.I8, s, v); }

    private static NdArray randomI8(Random r, Shape s) {
        long[] v = new long[s.size()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(256) - 128;
        return i8(s, v);
    }

    private static NdArray dequantize(NdArray a, QuantParams q, int axis) {
        double[] d = new double[a.size()];
        int[] dims = a.shape().dims();
        int inner = 1;
        for (int i = axis + 1; i < dims.length; i++) inner *= dims[i];
        for (int i = 0; i < d.length; i++) {
            int c = q.perChannel() ? (i / inner) % dims[axis] : 0;
            d[i] = (a.getLong(i) - q.zeroPoint(c)) * (double) q.scale(c);
        }
        return NdArray.ofDoubles(a.shape(), d);
    }

    /** A graph input of int8 type with parameters. */
    private static Value input(Graph g, String name, Shape s, QuantParams q) { return g.addInput(name, new TensorType(DType.I8, s, q)); }

    private static Value constant(Graph g, String name, NdArray data, QuantParams q) {
        Value v = g.addConstant(name, data);
        if (q != null) v.setType(v.type().withQuant(q));
        return v;
    }

    /** Runs one node of {@code op} and returns its output and output type. */
    private static NdArray run(Graph g, OpDef op, List<Value> ins, Attrs a, Map<String, NdArray> feeds) {
        Value y = g.addNode(op, "n", ins, a).output(0);
        g.addOutput(y);
        return new Interpreter(g).run(feeds).get(y.name());
    }

    /** Runs one float node of {@code op} on double inputs. */
    private static NdArray runFloat(OpDef op, List<NdArray> ins, Attrs a) {
        Graph g = new Graph("f");
        List<Value> vs = new ArrayList<>();
        Map<String, NdArray> feeds = new LinkedHashMap<>();
        for (int i = 0; i < ins.size(); i++) {
            if (ins.get(i) == null) {
                vs.add(null);
                continue;
            }
            vs.add(g.addInput("i" + i, ins.get(i).type()));
            feeds.put("i" + i, ins.get(i));
        }
        Value y = g.addNode(op, "n", vs, a).output(0);
        g.addOutput(y);
        return new Interpreter(g).run(feeds).get(y.name());
    }

    /** Fails unless every int8 result is within {@code steps} of the quantized float reference. */
    private static void withinSteps(NdArray ref, NdArray got, QuantParams out, int lo, int hi, int steps) {
        assertEquals(ref.size(), got.size());
        int worst = 0;
        for (int i = 0; i < ref.size(); i++) {
            long want = Math.max(lo, Math.min(hi, Math.round(ref.getDouble(i) / out.scale(0)) + out.zeroPoint(0)));
            worst = Math.max(worst, (int) Math.abs(want - got.getLong(i)));
        }
        assertTrue(worst <= steps, "worst difference " + worst + " steps");
    }

    private static Attrs out(QuantParams q) {
        return Attrs.EMPTY.with(QuantAttrs.OUT_SCALE, (double) q.scale(0)).with(QuantAttrs.OUT_ZERO_POINT, q.zeroPoint(0));
    }

    private static Attrs merge(Attrs a, Attrs b) {
        for (String n : b.names()) a = a.with(n, b.get(n));
        return a;
    }

    @Test
    void qconvMatchesFloatConvWithinOneStep() {
        Random r = new Random(1);
        for (int group : new int[] {1, 4}) {
            Graph g = new Graph("q");
            Shape xs = Shape.of(1, 4, 7, 6), ws = Shape.of(8, 4 / group, 3, 3);
            QuantParams qx = QuantParams.perTensor(0.05f, -7);
            float[] sw = new float[8];
            for (int c = 0; c < 8; c++) sw[c] = 0.002f + 0.001f * c;
            QuantParams qw = new QuantParams(sw, new long[8], 0);
            NdArray x = randomI8(r, xs), w = randomI8(r, ws);
            long[] b = new long[8];
            for (int c = 0; c < 8; c++) b[c] = r.nextInt(2001) - 1000;
            QuantParams qo = QuantParams.perTensor(0.04f, 3);
            Attrs a = out(qo).with("group", (long) group).with("strides", new long[] {2, 1}).with("pads", new long[] {1, 0, 1, 2});
            NdArray y = run(g, Ops.QCONV, List.of(input(g, "x", xs, qx), constant(g, "w", w, qw), constant(g, "b", NdArray.ofLongs(DType.I32, Shape.of(8), b), null)),
                    a, Map.of("x", x));
            double[] bf = new double[8];
            for (int c = 0; c < 8; c++) bf[c] = b[c] * (double) qx.scale(0) * sw[c];
            NdArray ref = runFloat(Ops.CONV, List.of(dequantize(x, qx, 0), dequantize(w, qw, 0), NdArray.ofDoubles(Shape.of(8), bf)),
                    Attrs.EMPTY.with("group", (long) group).with("strides", new long[] {2, 1}).with("pads", new long[] {1, 0, 1, 2}));
            withinSteps(ref, y, qo, -128, 127, 1);
        }
    }

    @Test
    void qconvHandCase() {
        Graph g = new Graph("q");
        // acc = 2x + 4 = [6, 8, 10, 12]; M = 0.5 * 0.25 / 0.25 = 0.5 -> [3, 4, 5, 6]; + 1 -> [4, 5, 6, 7]; act_max 6
        NdArray y = run(g, Ops.QCONV, List.of(input(g, "x", Shape.of(1, 1, 2, 2), QuantParams.perTensor(0.5f, 0)),
                constant(g, "w", i8(Shape.of(1, 1, 1, 1), 2), QuantParams.perTensor(0.25f, 0)),
                constant(g, "b", NdArray.ofLongs(DType.I32, Shape.of(1), 4), null)),
                out(QuantParams.perTensor(0.25f, 1)).with(QuantAttrs.ACT_MAX, 6L), Map.of("x", i8(Shape.of(1, 1, 2, 2), 1, 2, 3, 4)));
        assertArrayEquals(new long[] {4, 5, 6, 6}, y.longs());
    }

    @Test
    void qconvPaddingReadsTheZeroPoint() {
        Graph g = new Graph("q");
        // x = zero point everywhere: the padded 3x3 sum is 0 whatever the pads, so y = out zero point
        NdArray y = run(g, Ops.QCONV, List.of(input(g, "x", Shape.of(1, 1, 2, 2), QuantParams.perTensor(0.1f, 17)),
                constant(g, "w", i8(Shape.of(1, 1, 3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9), QuantParams.perTensor(0.1f, 0))),
                out(QuantParams.perTensor(0.1f, -5)).with("pads", new long[] {1, 1, 1, 1}), Map.of("x", i8(Shape.of(1, 1, 2, 2), 17, 17, 17, 17)));
        assertArrayEquals(new long[] {-5, -5, -5, -5}, y.longs());
    }

    @Test
    void qmatmulMatchesFloatWithinOneStepAndByHand() {
        Random r = new Random(2);
        Graph g = new Graph("q");
        QuantParams qx = QuantParams.perTensor(0.03f, 10), qo = QuantParams.perTensor(0.5f, -20);
        float[] sw = {0.01f, 0.02f, 0.005f};
        QuantParams qw = new QuantParams(sw, new long[3], 1);
        NdArray x = randomI8(r, Shape.of(2, 16)), w = randomI8(r, Shape.of(16, 3));
        NdArray y = run(g, Ops.QMATMUL, List.of(input(g, "x", Shape.of(2, 16), qx), constant(g, "w", w, qw)), out(qo), Map.of("x", x));
        withinSteps(runFloat(Ops.MATMUL, List.of(dequantize(x, qx, 0), dequantize(w, qw, 1)), Attrs.EMPTY), y, qo, -128, 127, 1);

        Graph h = new Graph("h");
        // [1, 2] x [[1, 0], [1, 3]] = [3, 6]; + b [1, -2] = [4, 4]; M = 1 * 1 / 2 -> [2, 2]
        NdArray z = run(h, Ops.QMATMUL, List.of(input(h, "x", Shape.of(1, 2), QuantParams.perTensor(1f, 0)),
                constant(h, "w", i8(Shape.of(2, 2), 1, 0, 1, 3), QuantParams.perTensor(1f, 0)),
                constant(h, "b", NdArray.ofLongs(DType.I32, Shape.of(2), 1, -2), null)), out(QuantParams.perTensor(2f, 0)),
                Map.of("x", i8(Shape.of(1, 2), 1, 2)));
        assertArrayEquals(new long[] {2, 2}, z.longs());
    }

    @Test
    void qaddRescalesBothOperands() {
        Random r = new Random(3);
        Graph g = new Graph("q");
        QuantParams qa = QuantParams.perTensor(0.07f, -3), qb = QuantParams.perTensor(0.02f, 40), qo = QuantParams.perTensor(0.09f, 5);
        NdArray a = randomI8(r, Shape.of(2, 3, 4)), b = randomI8(r, Shape.of(3, 1));
        NdArray y = run(g, Ops.QADD, List.of(input(g, "a", a.shape(), qa), input(g, "b", b.shape(), qb)), out(qo), Map.of("a", a, "b", b));
        withinSteps(runFloat(Ops.ADD, List.of(dequantize(a, qa, 0), dequantize(b, qb, 0)), Attrs.EMPTY), y, qo, -128, 127, 1);

        Graph h = new Graph("h");
        // 10 * 0.5 + 20 * 0.25 = 10.0 = 100 * 0.1
        NdArray z = run(h, Ops.QADD, List.of(input(h, "a", Shape.of(1), QuantParams.perTensor(0.5f, 0)), input(h, "b", Shape.of(1), QuantParams.perTensor(0.25f, 0))),
                out(QuantParams.perTensor(0.1f, 0)), Map.of("a", i8(Shape.of(1), 10), "b", i8(Shape.of(1), 20)));
        assertArrayEquals(new long[] {100}, z.longs());
    }

    @Test
    void qaveragePoolRoundsHalfAwayFromZero() {
        Graph g = new Graph("q");
        QuantParams q = QuantParams.perTensor(0.1f, 0);
        // means 2.5 and -2.5 -> 3 and -3
        NdArray y = run(g, Ops.QAVERAGE_POOL, List.of(input(g, "x", Shape.of(1, 2, 2, 2), q)), out(q).with("global", 1L),
                Map.of("x", i8(Shape.of(1, 2, 2, 2), 1, 2, 3, 4, -1, -2, -3, -4)));
        assertArrayEquals(new long[] {3, -3}, y.longs());
        assertEquals(Shape.of(1, 2, 1, 1), y.shape());
    }

    @Test
    void qaveragePoolMatchesFloatWithinOneStep() {
        Random r = new Random(4);
        QuantParams qx = QuantParams.perTensor(0.05f, 12);
        NdArray x = randomI8(r, Shape.of(1, 3, 7, 7));
        Attrs win = Attrs.EMPTY.with("kernel_shape", new long[] {3, 3}).with("strides", new long[] {2, 2}).with("pads", new long[] {1, 1, 1, 1});
        for (QuantParams qo : new QuantParams[] {qx, QuantParams.perTensor(0.03f, -4)}) {
            Graph g = new Graph("q");
            NdArray y = run(g, Ops.QAVERAGE_POOL, List.of(input(g, "x", x.shape(), qx)), merge(out(qo), win), Map.of("x", x));
            withinSteps(runFloat(Ops.AVERAGE_POOL, List.of(dequantize(x, qx, 0)), win), y, qo, -128, 127, 1);
        }
    }

    @Test
    void requantizeMovesToNewParameters() {
        Random r = new Random(5);
        Graph g = new Graph("q");
        QuantParams qx = QuantParams.perTensor(0.013f, -9), qo = QuantParams.perTensor(0.021f, 30);
        NdArray x = randomI8(r, Shape.of(50));
        NdArray y = run(g, Ops.REQUANTIZE, List.of(input(g, "x", x.shape(), qx)), out(qo).with(QuantAttrs.ACT_MIN, 30L), Map.of("x", x));
        withinSteps(dequantize(x, qx, 0), y, qo, 30, 127, 1);
        for (long v : y.longs()) assertTrue(v >= 30, "clamped at act_min (relu at the zero point)");
    }

    @Test
    void qlookupTablesAnyFloatFunction() {
        Graph g = new Graph("q");
        QuantParams qx = QuantParams.perTensor(0.05f, 0), qo = QuantParams.perTensor(1f / 256, -128);
        long[] table = Qlookup.table(Ops.SIGMOID, Attrs.EMPTY, DType.I8, qx, qo);
        NdArray x = i8(Shape.of(256), java.util.stream.LongStream.range(-128, 128).toArray());
        NdArray y = run(g, Ops.QLOOKUP, List.of(input(g, "x", x.shape(), qx)), out(qo).with("table", table), Map.of("x", x));
        withinSteps(runFloat(Ops.SIGMOID, List.of(dequantize(x, qx, 0)), Attrs.EMPTY), y, qo, -128, 127, 1);
        assertEquals(table[128], y.getLong(128), "x = 0 reads entry 128");
        assertEquals(0, y.getLong(128), "sigmoid(0) = 0.5 = 128/256 - 128 + 128");
    }

    @Test
    void qsoftmaxMatchesFloatWithinOneStep() {
        Random r = new Random(6);
        Graph g = new Graph("q");
        QuantParams qx = QuantParams.perTensor(0.06f, 4);
        NdArray x = randomI8(r, Shape.of(3, 10));
        NdArray y = run(g, Ops.QSOFTMAX, List.of(input(g, "x", x.shape(), qx)), Attrs.EMPTY, Map.of("x", x));
        withinSteps(runFloat(Ops.SOFTMAX, List.of(dequantize(x, qx, 0)), Attrs.EMPTY.with("axis", -1L)), y, Qsoftmax.OUT, -128, 127, 1);

        Graph h = new Graph("h");
        NdArray z = run(h, Ops.QSOFTMAX, List.of(input(h, "x", Shape.of(4), qx)), Attrs.EMPTY, Map.of("x", i8(Shape.of(4), 9, 9, 9, 9)));
        assertArrayEquals(new long[] {-64, -64, -64, -64}, z.longs(), "four equal values: 0.25 = 64/256");
    }

    @Test
    void inputsWithoutQuantizationParametersAreRejected() {
        Graph g = new Graph("q");
        Value x = g.addInput("x", TensorType.of(DType.I8, 1, 1, 2, 2));
        Value w = constant(g, "w", i8(Shape.of(1, 1, 1, 1), 1), QuantParams.perTensor(1f, 0));
        assertThrows(KilnException.class, () -> g.addNode(Ops.QCONV, "n", List.of(x, w), out(QuantParams.perTensor(1f, 0))));
        Value xq = input(g, "xq", Shape.of(1, 1, 2, 2), QuantParams.perTensor(1f, 0));
        assertThrows(KilnException.class, () -> g.addNode(Ops.QCONV, "m", List.of(xq, w), out(QuantParams.perTensor(1f, 0)).with(QuantAttrs.ACT_MIN, 5L).with(QuantAttrs.ACT_MAX, 4L)));
    }

    @Test
    void dataMovementKeepsQuantizationParameters() {
        Graph g = new Graph("q");
        QuantParams q = QuantParams.perTensor(0.2f, -3);
        Value x = input(g, "x", Shape.of(1, 2, 4, 4), q);
        List<Value> outs = List.of(
                g.addNode(Ops.RESHAPE, "r", List.of(x), Attrs.EMPTY.with("shape", new long[] {1, 32})).output(0),
                g.addNode(Ops.FLATTEN, "f", List.of(x), Attrs.EMPTY).output(0),
                g.addNode(Ops.TRANSPOSE, "t", List.of(x), Attrs.EMPTY.with("perm", new long[] {0, 2, 3, 1})).output(0),
                g.addNode(Ops.MAX_POOL, "m", List.of(x), Attrs.EMPTY.with("kernel_shape", new long[] {2, 2})).output(0),
                g.addNode(Ops.GLOBAL_MAX_POOL, "gm", List.of(x), Attrs.EMPTY).output(0),
                g.addNode(Ops.CONCAT, "c", List.of(x, x), Attrs.EMPTY.with("axis", 1L)).output(0),
                g.addNode(Ops.PAD, "p", List.of(x), Attrs.EMPTY.with("pads", new long[] {0, 0, 1, 1, 0, 0, 1, 1}).with("value", -3.0)).output(0),
                g.addNode(Ops.SLICE, "s", List.of(x), Attrs.EMPTY.with("starts", new long[] {1}).with("ends", new long[] {3}).with("axes", new long[] {2})).output(0),
                g.addNode(Ops.UNSQUEEZE, "u", List.of(x), Attrs.EMPTY.with("axes", new long[] {0})).output(0),
                g.addNode(Ops.SQUEEZE, "q", List.of(x), Attrs.EMPTY.with("axes", new long[] {0})).output(0));
        for (Value v : outs) {
            assertEquals(DType.I8, v.dtype(), v.name());
            assertEquals(q, v.type().quant(), v.name() + " keeps its input's parameters");
        }
    }
}
