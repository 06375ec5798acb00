package dev.kiln.passes;

import static dev.kiln.passes.FusionTesting.positive;
import static dev.kiln.passes.FusionTesting.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FoldBatchNormTest {
    private static final DType F = DType.F32;

    /** x -> producer(x, consts...) -> batch_norm with random statistics (mean and bias large enough to matter). */
    private static Graph withBn(int[] in, OpDef op, Attrs a, int channels, int[]... consts) {
        Random rnd = new Random(1);
        Graph g = new Graph("g");
        Value x = g.addInput("x", TensorType.of(F, in));
        Value y = x;
        if (op != null) {
            List<Value> ins = new java.util.ArrayList<>(List.of(x));
            for (int[] c : consts) ins.add(c == null ? null : g.addConstant("c", random(rnd, F, c)));
            y = g.addNode(op, "p", ins, a).output(0);
        }
        Node bn = g.addNode(Ops.BATCH_NORM, "bn", List.of(y, g.addConstant("s", random(rnd, F, channels)),
                g.addConstant("b", random(rnd, F, channels)), g.addConstant("m", random(rnd, F, channels)),
                g.addConstant("v", positive(rnd, channels))), Attrs.of("epsilon", 1e-3));
        g.addOutput(bn.output(0));
        return g;
    }

    @Test
    void convWithoutBiasGetsOne() {
        FusionTesting.Run r = FusionTesting.check(() -> withBn(new int[] {1, 3, 6, 6}, Ops.CONV, Attrs.of("pads", new long[] {1, 1, 1, 1}), 4,
                new int[] {4, 3, 3, 3}), 1e-5, new FoldBatchNorm());
        assertTrue(r.changed());
        assertEquals(0, r.count("batch_norm"));
        Node conv = r.only("conv");
        assertNotNull(conv.input(2), "the folded conv has a bias");
        assertTrue(conv.input(1).isConstant() && conv.input(2).isConstant());
        assertEquals(List.of("bn"), r.graph().outputs().stream().map(Value::name).toList(), "the output keeps its name");
    }

    @Test
    void groupedConvTransposeGemmAndMatmulFold() {
        FusionTesting.Run t = FusionTesting.check(() -> withBn(new int[] {1, 4, 3, 3}, Ops.CONV_TRANSPOSE, Attrs.of("group", 2L, "strides", new long[] {2, 2}),
                6, new int[] {4, 3, 2, 2}, new int[] {6}), 1e-5, new FoldBatchNorm());
        assertEquals(0, t.count("batch_norm"));
        assertEquals(1, t.count("conv_transpose"));
        FusionTesting.Run g = FusionTesting.check(() -> withBn(new int[] {3, 5}, Ops.GEMM, Attrs.of("trans_b", 1L, "beta", 0.5, "alpha", 2.0),
                4, new int[] {4, 5}, new int[] {3, 4}), 1e-5, new FoldBatchNorm());
        assertEquals(0, g.count("batch_norm"));
        assertEquals(1.0, g.only("gemm").attrs().getFloat("beta"));
        FusionTesting.Run m = FusionTesting.check(() -> withBn(new int[] {3, 5}, Ops.MATMUL, Attrs.EMPTY, 4, new int[] {5, 4}), 1e-5, new FoldBatchNorm());
        assertEquals(0, m.count("batch_norm"));
        assertEquals(0, m.count("matmul"));
        assertNotNull(m.only("gemm").input(2), "matmul + shift became gemm with C");
    }

    @Test
    void loneBatchNormBecomesDepthwiseConv() {
        FusionTesting.Run r = FusionTesting.check(() -> withBn(new int[] {2, 3, 4, 5}, null, null, 3), 1e-5, new FoldBatchNorm());
        assertEquals(0, r.count("batch_norm"));
        Node conv = r.only("conv");
        assertEquals(3, conv.attrs().getInt("group"));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {3, 1, 1, 1}, conv.input(1).shape().dims());
        assertTrue(r.noted("lone batch norm became a 1x1 depthwise conv"));
        // why: a rank-2 batch norm has no spatial axis for a conv, so it stays
        FusionTesting.Run r2 = FusionTesting.check(() -> withBn(new int[] {2, 3}, null, null, 3), 0, new FoldBatchNorm());
        assertFalse(r2.changed());
        assertEquals(1, r2.count("batch_norm"));
        assertTrue(r2.noted("stays"));
    }

    @Test
    void sharedOrActivatedProducersAreNotTouched() {
        // the conv's output is also a graph output: its weights must stay, the batch norm becomes a conv of its own
        FusionTesting.Run r = FusionTesting.check(() -> {
            Graph g = withBn(new int[] {1, 2, 4, 4}, Ops.CONV, Attrs.EMPTY, 3, new int[] {3, 2, 1, 1});
            g.addOutput(g.node("p").output(0));
            return g;
        }, 1e-5, new FoldBatchNorm());
        assertTrue(r.noted("has other readers"));
        assertEquals(0, r.count("batch_norm"));
        assertEquals(2, r.count("conv"));
        assertTrue(r.graph().node("p").input(1).isConstant() && r.graph().node("p").numInputs() == 2, "the shared conv is unchanged");
        FusionTesting.Run a = FusionTesting.check(() -> withBn(new int[] {1, 2, 4, 4}, Ops.CONV, Attrs.of("activation", "relu"), 3,
                new int[] {3, 2, 1, 1}), 1e-5, new FoldBatchNorm());
        assertTrue(a.noted("already has a fused activation"));
        assertEquals(2, a.count("conv"), "the activated conv stays; the batch norm became a depthwise conv");
    }
}
