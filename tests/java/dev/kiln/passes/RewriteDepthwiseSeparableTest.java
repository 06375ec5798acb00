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
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** RewriteDepthwiseSeparable: exact at full rank, fewer MACs under a tolerance, off by default. */
class RewriteDepthwiseSeparableTest {
    private static final String RESNET8 = "resnet8_cifar10_op13";

    private static NdArray random(Random rnd, int... dims) {
        NdArray a = NdArray.zeros(DType.F32, Shape.of(dims));
        for (int i = 0; i < a.size(); i++) a.setDouble(i, rnd.nextGaussian());
        return a;
    }

    /** x [1,3,9,8] -> conv 5×3×3×3 (stride 2, asymmetric pads, bias) -> relu. */
    private static Graph smallConv() {
        Random rnd = new Random(3);
        Graph g = new Graph("small");
        Value x = g.addInput("x", new TensorType(DType.F32, Shape.of(1, 3, 9, 8)));
        Node c = g.addNode(Ops.CONV, "conv", List.of(x, g.addConstant("w", random(rnd, 5, 3, 3, 3)), g.addConstant("b", random(rnd, 5))),
                Attrs.of("strides", new long[] {2, 1}, "pads", new long[] {1, 0, 1, 2}));
        g.addOutput(g.addNode(Ops.RELU, "relu", List.of(c.output(0)), Attrs.EMPTY).output(0));
        return g;
    }

    private static void assertClose(List<NdArray> want, List<NdArray> got, double rtol, double atol) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) assertNull(Compare.mismatch(want.get(i), got.get(i), rtol, atol), "output " + i);
    }

    @Test
    void fullRankIsExactOnASmallConv() {
        Graph g = smallConv();
        List<NdArray> in = RewriteTesting.randomInputs(g, 5);
        List<NdArray> before = RewriteTesting.run(g, in);
        long macsBefore = RewriteTesting.macs(g);
        PassContext cx = RewriteTesting.context(0);
        assertTrue(new RewriteDepthwiseSeparable().run(g, cx));
        GraphVerifier.verify(g);
        assertEquals(2, RewriteTesting.count(g, "conv"));
        Node dw = g.nodes().get(0), pw = g.nodes().get(1);
        assertEquals(3, dw.attrs().getInt("group"));
        assertEquals(Shape.of(3 * 5, 1, 3, 3), dw.input(1).shape()); // full rank min(M=5, K·K=9) = 5
        assertEquals(Shape.of(5, 15, 1, 1), pw.input(1).shape());
        assertTrue(Arrays.equals(new long[] {2, 1}, dw.attrs().getInts("strides")));
        assertFalse(pw.attrs().has("pads"));
        assertTrue(RewriteTesting.macs(g) > macsBefore, "full rank costs more MACs");
        assertClose(before, RewriteTesting.run(g, in), 1e-5, 1e-5);
        assertTrue(cx.notes().stream().anyMatch(s -> s.contains("conv: r=5 of 5")), cx.notes().toString());
    }

    @Test
    void fullRankIsExactOnResnet8() {
        Graph g = RewriteTesting.model(RESNET8);
        List<NdArray> in = RewriteTesting.recordedInputs(RESNET8);
        List<NdArray> before = RewriteTesting.run(g, in);
        long convs = g.nodes().stream().filter(n -> n.op() == Ops.CONV && n.input(1).shape().dim(2) > 1).count();
        assertTrue(new RewriteDepthwiseSeparable().run(g, RewriteTesting.context(0)));
        GraphVerifier.verify(g);
        long depthwise = g.nodes().stream().filter(n -> n.op() == Ops.CONV && n.attrs().getInt("group") > 1).count();
        assertEquals(convs, depthwise, "every 3×3 conv became depthwise + pointwise");
        assertClose(before, RewriteTesting.run(g, in), 1e-5, 1e-5);
    }

    @Test
    void lowRankPicksTheSmallestRankUnderTheTolerance() {
        // a conv whose per-input-channel slices W[:, c] are rank 2 plus a little noise: E = 0.05 must choose r = 2
        Random rnd = new Random(11);
        int m = 16, c = 4, taps = 9;
        NdArray w = NdArray.zeros(DType.F32, Shape.of(m, c, 3, 3));
        for (int ch = 0; ch < c; ch++) {
            NdArray u = random(rnd, 2, m), v = random(rnd, 2, taps);
            for (int o = 0; o < m; o++)
                for (int t = 0; t < taps; t++)
                    w.setDouble((o * c + ch) * taps + t, u.getDouble(o) * v.getDouble(t) + u.getDouble(m + o) * v.getDouble(taps + t)
                            + 1e-3 * rnd.nextGaussian());
        }
        Graph g = new Graph("lowrank");
        Value x = g.addInput("x", new TensorType(DType.F32, Shape.of(1, c, 10, 10)));
        g.addOutput(g.addNode(Ops.CONV, "conv", List.of(x, g.addConstant("w", w)), Attrs.of("pads", new long[] {1, 1, 1, 1})).output(0));
        List<NdArray> in = RewriteTesting.randomInputs(g, 2);
        NdArray before = RewriteTesting.run(g, in).get(0);
        long macsBefore = RewriteTesting.macs(g);
        PassContext cx = RewriteTesting.context(0.05);
        assertTrue(new RewriteDepthwiseSeparable().run(g, cx), cx.notes().toString());
        GraphVerifier.verify(g);
        assertEquals(Shape.of(c * 2, 1, 3, 3), g.nodes().get(0).input(1).shape(), cx.notes().toString());
        long macsAfter = RewriteTesting.macs(g);
        assertEquals(100L * (c * 2 * taps + m * c * 2), macsAfter);
        assertTrue(macsAfter < macsBefore / 2, macsBefore + " -> " + macsAfter);
        NdArray after = RewriteTesting.run(g, in).get(0);
        double num = 0, den = 0;
        for (int i = 0; i < before.size(); i++) {
            num += Math.pow(after.getDouble(i) - before.getDouble(i), 2);
            den += Math.pow(before.getDouble(i), 2);
        }
        assertTrue(Math.sqrt(num / den) < 0.05, "relative error " + Math.sqrt(num / den));
        assertTrue(cx.notes().get(0).matches(".*conv: r=2 of 9, MACs 57600 -> 20000 .*measured error.*"), cx.notes().toString());
    }

    @Test
    void resnet8FiltersAreFullRankSoFivePercentKeepsThem() {
        // resnet8's trained 3×3 filters have flat singular spectra: every rank that saves MACs errs by 25 % or more
        Graph g = RewriteTesting.model(RESNET8);
        long macsBefore = RewriteTesting.macs(g);
        PassContext cx = RewriteTesting.context(0.05);
        assertFalse(new RewriteDepthwiseSeparable().run(g, cx));
        assertEquals(macsBefore, RewriteTesting.macs(g));
        assertEquals(7, cx.notes().stream().filter(s -> s.contains("save MACs but the best reaches error")).count(), cx.notes().toString());
    }

    @Test
    void lowRankSavesMacsOnResnet8WithinALoosenedTolerance() {
        Graph g = RewriteTesting.model(RESNET8);
        List<NdArray> in = RewriteTesting.recordedInputs(RESNET8);
        List<NdArray> before = RewriteTesting.run(g, in);
        long macsBefore = RewriteTesting.macs(g);
        PassContext cx = RewriteTesting.context(0.35);
        assertTrue(new RewriteDepthwiseSeparable().run(g, cx), cx.notes().toString());
        GraphVerifier.verify(g);
        long macsAfter = RewriteTesting.macs(g);
        assertTrue(macsAfter < macsBefore, "MACs " + macsBefore + " -> " + macsAfter);
        assertTrue(cx.notes().stream().anyMatch(s -> s.matches(".*r=\\d+ of 9, MACs \\d+ -> \\d+ .*measured error 0\\.\\d+")), cx.notes().toString());
        // the softmax outputs move by less than 0.03 (check --dws-tolerance 0.35 --atol 0.03 --rtol 0)
        assertClose(before, RewriteTesting.run(g, in), 0, 0.03);
        assertClose(RewriteTesting.recordedOutputs(RESNET8), RewriteTesting.run(g, in), 0, 0.03);
    }

    @Test
    void offByDefault() {
        Graph g = smallConv();
        PassContext cx = new PassContext(null, new PassOptions());
        assertFalse(new RewriteDepthwiseSeparable().run(g, cx));
        assertEquals(1, RewriteTesting.count(g, "conv"));
        assertEquals(1, cx.notes().size());
        assertTrue(cx.notes().get(0).contains("off"));
    }
}
