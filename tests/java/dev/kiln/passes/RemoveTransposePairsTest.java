package dev.kiln.passes;

import static dev.kiln.passes.PassTesting.count;
import static dev.kiln.passes.PassTesting.op;
import static dev.kiln.passes.PassTesting.randomConstant;
import static dev.kiln.passes.PassTesting.runAndCompare;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Target;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoveTransposePairsTest {
    static final long[] TO_NCHW = {0, 3, 1, 2}, TO_NHWC = {0, 2, 3, 1};

    /** conv in NCHW wrapped in NHWC transposes, as a naive NHWC export writes it. */
    static Value nhwcConv(Graph g, Value x, int cin, int cout, long seed) {
        Value w = randomConstant(g, "w" + seed, seed, cout, cin, 3, 3);
        Value y = op(g, Ops.CONV, List.of(op(g, Ops.TRANSPOSE, List.of(x), "perm", TO_NCHW), w), "pads", new long[] {1, 1, 1, 1});
        return op(g, Ops.TRANSPOSE, List.of(y), "perm", TO_NHWC);
    }

    @Test
    void transposesAroundConvsCancelThroughPerChannelAndActivationOps() {
        Graph g = new Graph("nhwc");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 6, 6, 3));
        Value a = nhwcConv(g, x, 3, 4, 1);
        // NHWC per-channel bias (broadcast over the last axis) and an activation between the convs
        Value h = op(g, Ops.RELU, List.of(op(g, Ops.ADD, List.of(a, randomConstant(g, "bias", 9, 4)))));
        Value b = nhwcConv(g, h, 4, 4, 2);
        // a residual add of two NHWC tensors, then one more conv
        Value r = op(g, Ops.ADD, List.of(b, a));
        g.addOutput(nhwcConv(g, op(g, Ops.MUL, List.of(r, randomConstant(g, "scale", 8, 1, 1, 1, 4))), 4, 2, 3));
        assertEquals(6, count(g, Ops.TRANSPOSE));

        assertTrue(runAndCompare(g, new RemoveTransposePairs(), new PassContext(Target.load("host"), null)));
        assertEquals(2, count(g, Ops.TRANSPOSE), "only the input's and the output's transposes stay");
        assertEquals(x, g.nodes().get(0).input(0));
        assertEquals(Ops.TRANSPOSE, g.outputs().get(0).producer().op());
    }

    @Test
    void aPairThatCancelsVanishesAndOneThatDoesNotBecomesOne() {
        Graph g = new Graph("pairs");
        Value x = g.addInput("x", TensorType.of(DType.F32, 2, 3, 4));
        Value back = op(g, Ops.TRANSPOSE, List.of(op(g, Ops.TRANSPOSE, List.of(x), "perm", new long[] {2, 0, 1})), "perm", new long[] {1, 2, 0});
        g.addOutput(op(g, Ops.EXP, List.of(back)));
        Value twice = op(g, Ops.TRANSPOSE, List.of(op(g, Ops.TRANSPOSE, List.of(x), "perm", new long[] {1, 0, 2})), "perm", new long[] {0, 2, 1});
        g.addOutput(op(g, Ops.EXP, List.of(twice)));

        assertTrue(runAndCompare(g, new RemoveTransposePairs()));
        assertEquals(1, count(g, Ops.TRANSPOSE));
        assertEquals(x, g.outputs().get(0).producer().input(0));
    }

    @Test
    void aLoneTransposeIsNotMovedForNothing() {
        Graph g = new Graph("lone");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 4, 4, 3));
        Value t = op(g, Ops.TRANSPOSE, List.of(x), "perm", TO_NCHW);
        g.addOutput(op(g, Ops.RELU, List.of(t)));
        assertFalse(runAndCompare(g, new RemoveTransposePairs()));
        assertEquals(t, g.outputs().get(0).producer().input(0));
    }

    @Test
    void aTargetPreferringAnotherLayoutIsSkippedWithAReason(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("nhwc-host.properties");
        Files.writeString(f, "name=nhwc-host\ntoolchain=host\nlayout=NHWC\n");
        Graph g = new Graph("skip");
        Value x = g.addInput("x", TensorType.of(DType.F32, 2, 3));
        g.addOutput(op(g, Ops.TRANSPOSE, List.of(op(g, Ops.TRANSPOSE, List.of(x), "perm", new long[] {1, 0})), "perm", new long[] {1, 0}));
        PassContext cx = new PassContext(Target.load(f.toString()), null);
        cx.enter("RemoveTransposePairs");
        assertFalse(runAndCompare(g, new RemoveTransposePairs(), cx));
        assertEquals(2, count(g, Ops.TRANSPOSE));
        assertTrue(cx.notes().get(0).contains("prefers layout nhwc"), cx.notes().toString());
    }
}
