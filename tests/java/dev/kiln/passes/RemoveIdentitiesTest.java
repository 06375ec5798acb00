package dev.kiln.passes;

import static dev.kiln.passes.PassTesting.count;
import static dev.kiln.passes.PassTesting.op;
import static dev.kiln.passes.PassTesting.runAndCompare;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;
import org.junit.jupiter.api.Test;

class RemoveIdentitiesTest {
    @Test
    void noOpsGoAndAliasChainsBecomeOneReshape() {
        Graph g = new Graph("ids");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 2, 3, 4));
        Value r = op(g, Ops.RELU, List.of(op(g, Ops.DROPOUT, List.of(op(g, Ops.IDENTITY, List.of(x))))));
        // unsqueeze -> reshape -> flatten: one reshape of r
        Value chain = op(g, Ops.FLATTEN, List.of(op(g, Ops.RESHAPE, List.of(op(g, Ops.UNSQUEEZE, List.of(r), "axes", new long[] {0})),
                "shape", new long[] {2, 12})), "axis", 1L);
        g.addOutput(op(g, Ops.EXP, List.of(op(g, Ops.CAST, List.of(chain), "to", "f32"))));
        // moving only an axis of size 1 keeps the data order: a reshape
        g.addOutput(op(g, Ops.SIGMOID, List.of(op(g, Ops.TRANSPOSE, List.of(r), "perm", new long[] {1, 0, 2, 3}))));
        // a transpose that really moves data stays
        g.addOutput(op(g, Ops.TANH, List.of(op(g, Ops.TRANSPOSE, List.of(r), "perm", new long[] {0, 1, 3, 2}))));

        assertTrue(runAndCompare(g, new RemoveIdentities()));
        for (var op : List.of(Ops.IDENTITY, Ops.DROPOUT, Ops.CAST, Ops.FLATTEN, Ops.UNSQUEEZE)) assertEquals(0, count(g, op), op.name());
        assertEquals(2, count(g, Ops.RESHAPE), "the chain and the unit-axis transpose");
        assertEquals(1, count(g, Ops.TRANSPOSE));
        for (Node n : g.nodes()) if (n.op() == Ops.RESHAPE) assertTrue(n.input(0) == r, "reshapes read relu's output directly");
        assertArrayEquals(new int[] {2, 12}, g.node(g.outputs().get(0).producer().name()).input(0).shape().dims());
    }

    @Test
    void aGraphOutputKeepsItsName() {
        Graph g = new Graph("out");
        Value x = g.addInput("x", TensorType.of(DType.F32, 3));
        g.addOutput(op(g, Ops.IDENTITY, List.of(op(g, Ops.RELU, List.of(x)))));
        String name = g.outputs().get(0).name();

        assertTrue(runAndCompare(g, new RemoveIdentities()));
        assertEquals(1, g.nodes().size());
        assertEquals(name, g.outputs().get(0).name());
        assertEquals(Ops.RELU, g.outputs().get(0).producer().op());
    }

    @Test
    void anInputPassedStraightToAnOutputStays() {
        Graph g = new Graph("passthrough");
        Value x = g.addInput("x", TensorType.of(DType.F32, 3));
        g.addOutput(op(g, Ops.IDENTITY, List.of(x)));
        PassContext cx = new PassContext(null, null);
        cx.enter("RemoveIdentities");
        assertEquals(false, runAndCompare(g, new RemoveIdentities(), cx));
        assertEquals(1, count(g, Ops.IDENTITY));
        assertTrue(cx.notes().get(0).contains("graph output"), cx.notes().toString());
    }
}
