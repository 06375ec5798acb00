package dev.kiln.passes;

import static dev.kiln.passes.FusionTesting.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KeepBlockedWeightsPackedTest {
    /** A dequantize_linear of a random int4 constant {@code dims} with positive scales in blocks along {@code axis}. */
    private static Value dq(Graph g, Random rnd, String name, DType t, int axis, int block, int... dims) {
        return dq(g, rnd, name, t, false, axis, block, dims);
    }

    /** As {@link #dq}, with random zero points of type {@code t} per block when {@code zp}; codes of t's range. */
    private static Value dq(Graph g, Random rnd, String name, DType t, boolean zp, int axis, int block, int... dims) {
        long[] q = new long[(int) Shape.of(dims).numel()];
        long lo = t.isSigned() ? -7 : 0;
        for (int i = 0; i < q.length; i++) q[i] = lo + rnd.nextInt(15);
        Value qv = g.addConstant(name + "_q", NdArray.ofLongs(t, Shape.of(dims), q));
        int[] sd = dims.clone();
        sd[axis] = (dims[axis] + block - 1) / block;
        NdArray s = NdArray.zeros(DType.F32, Shape.of(sd));
        for (int i = 0; i < s.size(); i++) s.setDouble(i, 0.01 + 0.1 * rnd.nextDouble());
        List<Value> ins = new java.util.ArrayList<>(List.of(qv, g.addConstant(name + "_s", s)));
        if (zp) {
            long[] z = new long[s.size()];
            for (int i = 0; i < z.length; i++) z[i] = lo + rnd.nextInt(15);
            ins.add(g.addConstant(name + "_z", NdArray.ofLongs(t, Shape.of(sd), z)));
        }
        return g.addNode(Ops.DEQUANTIZE_LINEAR, name + "_dq", ins,
                Attrs.of("axis", (long) axis, "block_size", (long) block)).output(0);
    }

    private static Graph model() {
        Random rnd = new Random(3);
        Graph g = new Graph("g");
        Value x = g.addInput("x", TensorType.of(DType.F32, 2, 40));
        // gemm with B [N, K] (trans_b) in blocks of 16 along K (a short last block) and a bias
        Value w1 = dq(g, rnd, "w1", DType.I4, 1, 16, 6, 40);
        g.addOutput(g.addNode(Ops.GEMM, "fc1", List.of(x, w1, g.addConstant("b1", random(rnd, DType.F32, 6))),
                Attrs.of("trans_b", 1L)).output(0));
        // matmul with B [K, N] in blocks of 8 along K
        g.addOutput(g.addNode(Ops.MATMUL, "fc2", List.of(x, dq(g, rnd, "w2", DType.I4, 0, 8, 40, 5)), Attrs.EMPTY).output(0));
        // uint4 with zero points: gemm without bias (trans_b, blocks of 16), matmul (blocks of 8); int4 with zero points
        g.addOutput(g.addNode(Ops.GEMM, "fc3", List.of(x, dq(g, rnd, "w6", DType.U4, true, 1, 16, 3, 40)), Attrs.of("trans_b", 1L)).output(0));
        g.addOutput(g.addNode(Ops.MATMUL, "fc4", List.of(x, dq(g, rnd, "w7", DType.U4, true, 0, 8, 40, 4)), Attrs.EMPTY).output(0));
        g.addOutput(g.addNode(Ops.MATMUL, "fc5", List.of(x, dq(g, rnd, "w8", DType.I4, true, 0, 10, 40, 2)), Attrs.EMPTY).output(0));
        // matmul then add of a per-column bias: the add becomes dequant_gemm's C
        Value m6 = g.addNode(Ops.MATMUL, "fc6", List.of(x, dq(g, rnd, "w9", DType.I4, 0, 8, 40, 3)), Attrs.EMPTY).output(0);
        g.addOutput(g.addNode(Ops.ADD, "fc6_bias", List.of(g.addConstant("b6", random(rnd, DType.F32, 3)), m6), Attrs.EMPTY).output(0));
        // not fitting: blocks along N, an int8 weight, a dequantized weight with two readers
        g.addOutput(g.addNode(Ops.MATMUL, "across", List.of(x, dq(g, rnd, "w3", DType.I4, 1, 2, 40, 4)), Attrs.EMPTY).output(0));
        g.addOutput(g.addNode(Ops.MATMUL, "wide", List.of(x, dq(g, rnd, "w4", DType.I8, 0, 8, 40, 3)), Attrs.EMPTY).output(0));
        Value w5 = dq(g, rnd, "w5", DType.I4, 0, 8, 40, 2);
        g.addOutput(g.addNode(Ops.MATMUL, "shared", List.of(x, w5), Attrs.EMPTY).output(0));
        g.addOutput(w5);
        return g;
    }

    @Test
    void blockedInt4ProductsKeepTheirWeightPacked() {
        // why: fc6's absorbed bias add rounds the sum once (as gemm) instead of after the product and after the add
        FusionTesting.Run r = FusionTesting.check(KeepBlockedWeightsPackedTest::model, 1e-6, new KeepBlockedWeightsPacked());
        assertTrue(r.changed());
        assertEquals(6, r.count("dequant_gemm"));
        assertEquals(0, r.count("add"), "fc6's bias add is absorbed");
        assertEquals(0, r.count("gemm"));
        assertEquals(3, r.count("matmul"));
        assertEquals(3, r.count("dequantize_linear"));
        assertTrue(r.noted("across: its blocks do not run along the reduction axis"));
        assertTrue(r.noted("wide: its weight is not a constant int4 or uint4 one"));
        assertTrue(r.noted("shared: its dequantized weight has other readers"));
        int zps = 0;
        for (var n : r.graph().nodes())
            if (n.op() == Ops.DEQUANT_GEMM) {
                assertTrue(n.input(1).dtype() == DType.I4 || n.input(1).dtype() == DType.U4, n.toString());
                if (n.input(4) != null) {
                    zps++;
                    assertEquals(n.input(1).dtype(), n.input(4).dtype(), n.toString());
                }
            }
        assertEquals(3, zps, "fc3, fc4 and fc5 keep their zero points");
    }

    private static Graph convModel() {
        Random rnd = new Random(5);
        Graph g = new Graph("c");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 6, 7, 7));
        Attrs window = Attrs.of("strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1});
        // int4 in blocks of 4 along 6 input channels (a short last block), with a bias, stride 2 and pads
        g.addOutput(g.addNode(Ops.CONV, "c1", List.of(x, dq(g, rnd, "k1", DType.I4, 1, 4, 3, 6, 3, 3), g.addConstant("cb1", random(rnd, DType.F32, 3))),
                window).output(0));
        // uint4 with zero points, no bias, dilation 2
        g.addOutput(g.addNode(Ops.CONV, "c2", List.of(x, dq(g, rnd, "k2", DType.U4, true, 1, 3, 2, 6, 2, 2)),
                Attrs.of("dilations", new long[] {2, 2})).output(0));
        // not fitting: blocks along the output channels
        g.addOutput(g.addNode(Ops.CONV, "c3", List.of(x, dq(g, rnd, "k3", DType.I4, 0, 2, 4, 6, 3, 3)), Attrs.EMPTY).output(0));
        // a grouped conv (2 groups of 3 input channels, blocks of 2: 2 + 1), packed; a depthwise one (one weight a
        // block and scale: 6 * 9 * (0.5 + 4 + 0.5) = 270 bytes packed against 216 as float) left to fold
        g.addOutput(g.addNode(Ops.CONV, "c4", List.of(x, dq(g, rnd, "k4", DType.I4, 1, 2, 4, 3, 1, 1)), Attrs.of("group", 2L)).output(0));
        g.addOutput(g.addNode(Ops.CONV, "c5", List.of(x, dq(g, rnd, "k5", DType.U4, true, 1, 1, 6, 1, 3, 3), g.addConstant("cb5", random(rnd, DType.F32, 6))),
                Attrs.of("group", 6L, "pads", new long[] {1, 1, 1, 1})).output(0));
        return g;
    }

    @Test
    void blockedInt4ConvolutionsKeepTheirWeightPacked() {
        FusionTesting.Run r = FusionTesting.check(KeepBlockedWeightsPackedTest::convModel, 1e-6, new KeepBlockedWeightsPacked());
        assertTrue(r.changed());
        assertEquals(3, r.count("dequant_conv"));
        assertEquals(2, r.count("conv"));
        assertTrue(r.noted("c3: its blocks do not run along the input channels"));
        assertTrue(r.noted("c5: packed it would take 270 bytes against 216 as a float weight (1 weight(s) a scale), which holds the same numbers"));
        for (var n : r.graph().nodes())
            if (n.op() == Ops.DEQUANT_CONV) {
                boolean signed = n.name().startsWith("c1") || n.name().startsWith("c4");
                assertEquals(signed ? DType.I4 : DType.U4, n.input(1).dtype(), n.toString());
                // why: the grouped conv keeps its group, or it would read every input channel
                assertEquals(n.name().startsWith("c4") ? 2 : 1, n.attrs().getInt("group", 1), n.toString());
            }
    }
}
