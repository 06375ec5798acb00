package dev.kiln.passes;

import static dev.kiln.passes.FusionTesting.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FusePadTest {
    private static final DType F = DType.F32;

    private static Value pad(Graph g, Value x, String name, long[] pads, double value, String mode) {
        return g.addNode(Ops.PAD, name, List.of(x), Attrs.of("pads", pads, "value", value, "mode", mode)).output(0);
    }

    private static Graph model() {
        Random rnd = new Random(6);
        Graph g = new Graph("g");
        Value x = g.addInput("x", TensorType.of(F, 1, 2, 6, 5));
        // zero pad -> conv with pads of its own
        Value p1 = pad(g, x, "pad_conv", new long[] {0, 0, 1, 2, 0, 0, 0, 1}, 0, "constant");
        g.addOutput(g.addNode(Ops.CONV, "conv", List.of(p1, g.addConstant("w", random(rnd, F, 3, 2, 3, 3))), Attrs.of("pads", new long[] {1, 0, 1, 0})).output(0));
        // -inf pad -> max_pool
        Value p2 = pad(g, x, "pad_max", new long[] {0, 0, 1, 1, 0, 0, 1, 1}, Double.NEGATIVE_INFINITY, "constant");
        g.addOutput(g.addNode(Ops.MAX_POOL, "max", List.of(p2), Attrs.of("kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2})).output(0));
        // zero pad -> average_pool without pads (starts counting them)
        Value p3 = pad(g, x, "pad_avg", new long[] {0, 0, 1, 0, 0, 0, 1, 2}, 0, "constant");
        g.addOutput(g.addNode(Ops.AVERAGE_POOL, "avg", List.of(p3), Attrs.of("kernel_shape", new long[] {2, 3})).output(0));
        // not fusable: zero pad before max_pool, reflect pad, channel pad, average pool with uncounted pads of its own
        Value p4 = pad(g, x, "pad_max0", new long[] {0, 0, 1, 1, 0, 0, 1, 1}, 0, "constant");
        g.addOutput(g.addNode(Ops.MAX_POOL, "max0", List.of(p4), Attrs.of("kernel_shape", new long[] {2, 2})).output(0));
        Value p5 = pad(g, x, "pad_reflect", new long[] {0, 0, 1, 1, 0, 0, 1, 1}, 0, "reflect");
        g.addOutput(g.addNode(Ops.CONV, "conv_r", List.of(p5, g.addConstant("w2", random(rnd, F, 1, 2, 3, 3))), Attrs.EMPTY).output(0));
        Value p6 = pad(g, x, "pad_channel", new long[] {0, 1, 0, 0, 0, 0, 0, 0}, 0, "constant");
        g.addOutput(g.addNode(Ops.CONV, "conv_c", List.of(p6, g.addConstant("w3", random(rnd, F, 1, 3, 1, 1))), Attrs.EMPTY).output(0));
        Value p7 = pad(g, x, "pad_avg2", new long[] {0, 0, 1, 1, 0, 0, 1, 1}, 0, "constant");
        g.addOutput(g.addNode(Ops.AVERAGE_POOL, "avg2", List.of(p7), Attrs.of("kernel_shape", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1})).output(0));
        return g;
    }

    @Test
    void padsMoveIntoConvsAndPoolsWhereSafe() {
        FusionTesting.Run r = FusionTesting.check(FusePadTest::model, 1e-6, new FusePad());
        assertTrue(r.changed());
        assertEquals(4, r.count("pad"));
        assertArrayEquals(new long[] {2, 2, 1, 1}, r.graph().node("conv").attrs().getInts("pads"));
        assertEquals(r.graph().inputs().get(0), r.graph().node("conv").input(0));
        assertArrayEquals(new long[] {1, 1, 1, 1}, r.graph().node("max").attrs().getInts("pads"));
        assertEquals(1, r.graph().node("avg").attrs().getInt("count_include_pad"));
        assertTrue(r.noted("pad_max0: it pads with 0.0, which may win a max"));
        assertTrue(r.noted("pad_reflect: mode reflect is not constant"));
        assertTrue(r.noted("pad_channel: it pads the batch or channel axis"));
        assertTrue(r.noted("pad_avg2: avg2 has pads of its own that it does not count"));
    }

    @Test
    void maxPoolRefusesWindowsWhollyInThePadding() {
        FusionTesting.Run r = FusionTesting.check(() -> {
            Graph g = new Graph("g");
            Value x = g.addInput("x", TensorType.of(F, 1, 1, 4, 4));
            Value p = pad(g, x, "pad", new long[] {0, 0, 2, 0, 0, 0, 0, 0}, Double.NEGATIVE_INFINITY, "constant");
            g.addOutput(g.addNode(Ops.MAX_POOL, "max", List.of(p), Attrs.of("kernel_shape", new long[] {2, 2})).output(0));
            return g;
        }, 0, new FusePad());
        assertEquals(1, r.count("pad"));
        assertTrue(r.noted("a window would lie wholly in the padding"));
    }
}
