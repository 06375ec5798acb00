package dev.kiln.passes;

import static dev.kiln.passes.PassTesting.count;
import static dev.kiln.passes.PassTesting.op;
import static dev.kiln.passes.PassTesting.randomConstant;
import static dev.kiln.passes.PassTesting.runAndCompare;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;
import org.junit.jupiter.api.Test;

class EliminateDeadNodesTest {
    @Test
    void unusedChainsAndConstantsGo() {
        Graph g = new Graph("dead");
        Value x = g.addInput("x", TensorType.of(DType.F32, 4));
        Value c = randomConstant(g, "c", 1, 4);
        randomConstant(g, "unused", 2, 4);
        // a dead chain: its last node is unused, which makes the ones before it unused too
        op(g, Ops.TANH, List.of(op(g, Ops.EXP, List.of(op(g, Ops.ADD, List.of(x, c))))));
        g.addOutput(op(g, Ops.RELU, List.of(x)));

        assertTrue(runAndCompare(g, new EliminateDeadNodes()));
        assertEquals(1, g.nodes().size());
        assertEquals(1, count(g, Ops.RELU));
        assertNull(g.value("unused"));
        assertNull(g.value("c"));
        assertFalse(new EliminateDeadNodes().run(g, new PassContext(null, null)), "a second run finds nothing");
    }
}
