package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.GraphVerifier;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.quant.Calibrator;
import dev.kiln.quant.Int8Io;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * FuseInt8ResidualAdd on a residual block lowered to int8 (conv, relu, conv, add of the block's input, relu): the
 * qadd goes into the second qconv, whose output then has the sum's type, and the interpreter's bytes do not change;
 * a conv read by others and a depthwise conv keep their qadd, with the reason.
 */
class FuseInt8ResidualAddTest {
    @Test
    void residualQaddBecomesTheConvsResidualAndTheBytesStay() {
        Graph g = lowered(1, false);
        assertEquals(1, PassTesting.count(g, Ops.QADD), g.toString());
        PassContext cx = new PassContext(null, null);
        assertTrue(runAndCompare(g, cx), "changed");
        assertEquals(0, PassTesting.count(g, Ops.QADD), g.toString());
        Node conv = g.outputs().get(0).producer();
        assertEquals(Ops.QCONV, conv.op());
        assertEquals(Ops.QCONV, conv.input(3).producer().op(), "the residual is the first conv's (relu-clamped) output");
        assertEquals(conv.attrs().getInt("sum_zero_point"), conv.attrs().getInt("sum_act_min"), "the relu after the add is the sum's clamp: " + conv.attrs());
    }

    @Test
    void convWithOtherReadersKeepsItsQadd() {
        Graph g = lowered(1, true);
        PassContext cx = new PassContext(null, null);
        assertFalse(runAndCompare(g, cx));
        assertEquals(1, PassTesting.count(g, Ops.QADD));
        assertTrue(cx.notes().stream().anyMatch(s -> s.contains("has other readers")), cx.notes().toString());
    }

    @Test
    void depthwiseConvKeepsItsQadd() {
        Graph g = lowered(4, false);
        PassContext cx = new PassContext(null, null);
        assertFalse(runAndCompare(g, cx));
        assertEquals(1, PassTesting.count(g, Ops.QADD));
        assertTrue(cx.notes().stream().anyMatch(s -> s.contains("is depthwise")), cx.notes().toString());
    }

    /** Runs the pass, checks the graph verifies and the int8 outputs are the same bytes on three inputs. */
    private static boolean runAndCompare(Graph g, PassContext cx) {
        List<List<NdArray>> ins = new ArrayList<>(), before = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            ins.add(List.of(Int8Io.toInput(PassTesting.random(g.inputs().get(0).shape(), 40 + s), g.inputs().get(0).type())));
            before.add(new Interpreter(g).run(ins.get(s)));
        }
        boolean changed = new FuseInt8ResidualAdd().run(g, cx);
        GraphVerifier.verify(g);
        for (int s = 0; s < 3; s++) {
            List<NdArray> after = new Interpreter(g).run(ins.get(s));
            for (int i = 0; i < after.size(); i++)
                assertEquals(Arrays.toString(before.get(s).get(i).toDoubleArray()), Arrays.toString(after.get(i).toDoubleArray()), "output " + i);
        }
        return changed;
    }

    /**
     * x -> conv -> relu -> r; conv(r, group) + r -> relu, lowered to int8 alone (no fusion after it); with
     * {@code alsoOut} the second conv's output is a graph output too.
     */
    private static Graph lowered(int group, boolean alsoOut) {
        Graph g = new Graph("m");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 3, 6, 6));
        Value c1 = PassTesting.op(g, Ops.CONV, List.of(x, PassTesting.randomConstant(g, "w1", 1, 4, 3, 3, 3), PassTesting.randomConstant(g, "b1", 2, 4)),
                "pads", new long[] {1, 1, 1, 1});
        Value r = PassTesting.op(g, Ops.RELU, List.of(c1));
        Value c2 = PassTesting.op(g, Ops.CONV, List.of(r, PassTesting.randomConstant(g, "w2", 3, 4, 4 / group, 3, 3), PassTesting.randomConstant(g, "b2", 4, 4)),
                "pads", new long[] {1, 1, 1, 1}, "group", (long) group);
        g.addOutput(PassTesting.op(g, Ops.RELU, List.of(PassTesting.op(g, Ops.ADD, List.of(c2, r)))));
        if (alsoOut) g.addOutput(c2);
        List<Map<String, NdArray>> samples = new ArrayList<>();
        for (int i = 0; i < 6; i++) samples.add(Map.of("x", PassTesting.random(x.shape(), 10 + i)));
        PassContext cx = new PassContext(null, null);
        cx.quant().setCalibration(h -> new Calibrator(Calibrator.Method.MINMAX, 99.99, null, false).calibrate(h, samples));
        new Pipeline("lower", List.of(new LowerToInt8(), new EliminateDeadNodes())).run(g, cx, Instruments.none());
        GraphVerifier.verify(g);
        return g;
    }
}
