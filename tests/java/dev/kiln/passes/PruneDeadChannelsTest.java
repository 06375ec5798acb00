package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.check.Compare;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.GraphVerifier;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** PruneDeadChannels: planted zero and constant channels go, MACs drop, outputs stay; unsafe cases are kept. */
class PruneDeadChannelsTest {
    private final Random rnd = new Random(9);

    private NdArray random(int... dims) {
        NdArray a = NdArray.zeros(DType.F32, Shape.of(dims));
        for (int i = 0; i < a.size(); i++) a.setDouble(i, rnd.nextGaussian());
        return a;
    }

    /** Zeroes output channel {@code o} of conv weights {@code w} [M, ...]. */
    private static void zeroChannel(NdArray w, int o) {
        int per = w.size() / w.shape().dim(0);
        for (int i = 0; i < per; i++) w.setDouble(o * per + i, 0);
    }

    private static Attrs pads1() { return Attrs.of("pads", new long[] {1, 1, 1, 1}); }

    private static void assertSame(List<NdArray> want, List<NdArray> got, double tol) {
        for (int i = 0; i < want.size(); i++) assertNull(Compare.mismatch(want.get(i), got.get(i), tol, tol), "output " + i);
    }

    @Test
    void plantedZeroChannelsArePruned() {
        // x -> conv A (6 channels, 1 and 4 all zero) -> relu -> conv B (3×3, padded) -> y
        Graph g = new Graph("planted");
        Value x = g.addInput("x", new TensorType(DType.F32, Shape.of(1, 3, 8, 8)));
        NdArray wa = random(6, 3, 3, 3), ba = random(6);
        for (int o : new int[] {1, 4}) {
            zeroChannel(wa, o);
            ba.setDouble(o, 0);
        }
        Node a = g.addNode(Ops.CONV, "a", List.of(x, g.addConstant("wa", wa), g.addConstant("ba", ba)), pads1());
        Node r = g.addNode(Ops.RELU, "r", List.of(a.output(0)), Attrs.EMPTY);
        Node b = g.addNode(Ops.CONV, "b", List.of(r.output(0), g.addConstant("wb", random(5, 6, 3, 3)), g.addConstant("bb", random(5))), pads1());
        g.addOutput(b.output(0));
        List<NdArray> in = RewriteTesting.randomInputs(g, 1);
        List<NdArray> before = RewriteTesting.run(g, in);
        long macsBefore = RewriteTesting.macs(g);
        PassContext cx = RewriteTesting.context(-1);
        assertTrue(new PruneDeadChannels().run(g, cx), cx.notes().toString());
        GraphVerifier.verify(g);
        assertEquals(Shape.of(4, 3, 3, 3), a.input(1).shape());
        assertEquals(Shape.of(1, 4, 8, 8), r.output(0).shape());
        assertEquals(Shape.of(5, 4, 3, 3), b.input(1).shape());
        long macsAfter = RewriteTesting.macs(g);
        assertEquals(macsBefore * 4 / 6, macsAfter);
        assertSame(before, RewriteTesting.run(g, in), 1e-6);
        assertTrue(cx.notes().get(0).contains("a: pruned 2 output channel(s) (2 zero, 0 constant"), cx.notes().toString());
    }

    @Test
    void constantChannelsFoldThroughBatchNormDepthwiseAndGemm() {
        // x -> conv A (channel 2: zero weights, bias 0.5; channel 4: zero) -> batch_norm -> relu -> depthwise ×2 (no pads)
        //   -> relu -> conv 1×1 -> global_average_pool -> flatten -> gemm -> y
        Graph g = new Graph("constant");
        Value x = g.addInput("x", new TensorType(DType.F32, Shape.of(1, 3, 8, 8)));
        NdArray wa = random(5, 3, 3, 3), ba = random(5);
        zeroChannel(wa, 2);
        ba.setDouble(2, 0.5);
        zeroChannel(wa, 4);
        ba.setDouble(4, 0);
        Node a = g.addNode(Ops.CONV, "a", List.of(x, g.addConstant("wa", wa), g.addConstant("ba", ba)), pads1());
        NdArray var = random(5);
        for (int i = 0; i < 5; i++) var.setDouble(i, Math.abs(var.getDouble(i)) + 0.1);
        Node bn = g.addNode(Ops.BATCH_NORM, "bn", List.of(a.output(0), g.addConstant("s", random(5)), g.addConstant("t", random(5)),
                g.addConstant("mu", random(5)), g.addConstant("var", var)), Attrs.EMPTY);
        Node r1 = g.addNode(Ops.RELU, "r1", List.of(bn.output(0)), Attrs.EMPTY);
        Node dw = g.addNode(Ops.CONV, "dw", List.of(r1.output(0), g.addConstant("wd", random(10, 1, 3, 3)), g.addConstant("bd", random(10))),
                Attrs.of("group", 5L));
        Node r2 = g.addNode(Ops.RELU, "r2", List.of(dw.output(0)), Attrs.EMPTY);
        Node pw = g.addNode(Ops.CONV, "pw", List.of(r2.output(0), g.addConstant("wp", random(4, 10, 1, 1))), Attrs.EMPTY);
        Node gap = g.addNode(Ops.GLOBAL_AVERAGE_POOL, "gap", List.of(pw.output(0)), Attrs.EMPTY);
        Node fl = g.addNode(Ops.FLATTEN, "fl", List.of(gap.output(0)), Attrs.of("axis", 1L));
        Node fc = g.addNode(Ops.GEMM, "fc", List.of(fl.output(0), g.addConstant("wf", random(4, 3)), g.addConstant("bf", random(3))), Attrs.EMPTY);
        g.addOutput(fc.output(0));
        List<NdArray> in = RewriteTesting.randomInputs(g, 2);
        List<NdArray> before = RewriteTesting.run(g, in);
        long macsBefore = RewriteTesting.macs(g);
        PassContext cx = RewriteTesting.context(-1);
        assertTrue(new PruneDeadChannels().run(g, cx), cx.notes().toString());
        GraphVerifier.verify(g);
        assertEquals(3, a.output(0).shape().dim(1));
        assertEquals(Shape.of(3), bn.input(1).shape());
        assertEquals(Shape.of(6, 1, 3, 3), dw.input(1).shape());
        assertEquals(3L, dw.attrs().getInt("group"));
        assertEquals(Shape.of(4, 6, 1, 1), pw.input(1).shape());
        assertEquals(Shape.of(4), pw.input(2).shape(), "the constant channels' contribution became a bias");
        assertTrue(RewriteTesting.macs(g) < macsBefore);
        assertSame(before, RewriteTesting.run(g, in), 1e-5);
    }

    @Test
    void constantChannelIntoAPaddedConvIsKept() {
        Graph g = new Graph("padded");
        Value x = g.addInput("x", new TensorType(DType.F32, Shape.of(1, 2, 6, 6)));
        NdArray wa = random(3, 2, 3, 3), ba = random(3);
        zeroChannel(wa, 0);
        ba.setDouble(0, 1.5);
        Node a = g.addNode(Ops.CONV, "a", List.of(x, g.addConstant("wa", wa), g.addConstant("ba", ba)), pads1());
        Node b = g.addNode(Ops.CONV, "b", List.of(a.output(0), g.addConstant("wb", random(2, 3, 3, 3))), pads1());
        g.addOutput(b.output(0));
        PassContext cx = RewriteTesting.context(-1);
        assertFalse(new PruneDeadChannels().run(g, cx));
        assertEquals(Shape.of(3, 2, 3, 3), a.input(1).shape());
        assertTrue(cx.notes().get(0).contains("zero-pads a constant non-zero channel"), cx.notes().toString());
    }

    @Test
    void channelsReachingAGraphOutputAreKept() {
        Graph g = new Graph("out");
        Value x = g.addInput("x", new TensorType(DType.F32, Shape.of(1, 2, 6, 6)));
        NdArray wa = random(3, 2, 3, 3);
        zeroChannel(wa, 1);
        Node a = g.addNode(Ops.CONV, "a", List.of(x, g.addConstant("wa", wa)), pads1());
        Node r = g.addNode(Ops.RELU, "r", List.of(a.output(0)), Attrs.EMPTY);
        g.addOutput(r.output(0));
        PassContext cx = RewriteTesting.context(-1);
        assertFalse(new PruneDeadChannels().run(g, cx));
        assertTrue(cx.notes().get(0).contains("reach graph output"), cx.notes().toString());
    }

    @Test
    void vwwModelHasNoZeroChannelsToPrune() {
        // the MLPerf reference VWW model is ~83 % zeros; the one in tests/models (trained differently) has none
        Graph g = RewriteTesting.model("mobilenet_v1_025_vww_op13");
        long macs = RewriteTesting.macs(g);
        assertFalse(new PruneDeadChannels().run(g, RewriteTesting.context(-1)));
        assertEquals(macs, RewriteTesting.macs(g));
    }
}
