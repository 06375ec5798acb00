package dev.kiln.passes;

import static dev.kiln.passes.PassTesting.count;
import static dev.kiln.passes.PassTesting.op;
import static dev.kiln.passes.PassTesting.runAndCompare;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;
import org.junit.jupiter.api.Test;

class EliminateCommonSubexpressionsTest {
    @Test
    void sameOpSameAttrsSameInputsMerge() {
        Graph g = new Graph("cse");
        Value x = g.addInput("x", TensorType.of(DType.F32, 2, 3));
        Value c1 = g.addConstant("c1", NdArray.ofFloats(Shape.of(3), 1f, 2f, 3f));
        Value c2 = g.addConstant("c2", NdArray.ofFloats(Shape.of(3), 1f, 2f, 3f));
        Value a = op(g, Ops.RELU, List.of(x)), b = op(g, Ops.RELU, List.of(x));
        // equal constants make equal products
        Value m1 = op(g, Ops.MUL, List.of(a, c1)), m2 = op(g, Ops.MUL, List.of(b, c2));
        // different attributes: not the same computation
        Value l1 = op(g, Ops.LEAKY_RELU, List.of(x), "alpha", 0.1), l2 = op(g, Ops.LEAKY_RELU, List.of(x), "alpha", 0.2);
        g.addOutput(op(g, Ops.ADD, List.of(op(g, Ops.ADD, List.of(m1, m2)), op(g, Ops.SUB, List.of(l1, l2)))));

        assertTrue(runAndCompare(g, new EliminateCommonSubexpressions()));
        new EliminateDeadNodes().run(g, new PassContext(null, null));
        assertEquals(1, count(g, Ops.RELU));
        assertEquals(1, count(g, Ops.MUL));
        assertEquals(2, count(g, Ops.LEAKY_RELU));
        assertEquals(1, g.constants().size());
    }
}
