package dev.kiln.passes;

import static dev.kiln.passes.PassTesting.count;
import static dev.kiln.passes.PassTesting.op;
import static dev.kiln.passes.PassTesting.randomConstant;
import static dev.kiln.passes.PassTesting.runAndCompare;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

class FoldConstantsTest {
    @Test
    void constantSubgraphsBecomeOneConstant() {
        Graph g = new Graph("fold");
        Value x = g.addInput("x", TensorType.of(DType.F32, 2, 3));
        Value a = randomConstant(g, "a", 1, 3), b = randomConstant(g, "b", 2, 3);
        Value two = g.addConstant("two", NdArray.ofFloats(Shape.scalar(), 2f));
        // (a + b) * 2 is known at compile time; x + that is not
        Value scaled = op(g, Ops.MUL, List.of(op(g, Ops.ADD, List.of(a, b)), two));
        Value w = op(g, Ops.TRANSPOSE, List.of(randomConstant(g, "w", 3, 2, 3)), "perm", new long[] {1, 0});
        g.addOutput(op(g, Ops.MATMUL, List.of(op(g, Ops.ADD, List.of(x, scaled)), w)));

        assertTrue(runAndCompare(g, new FoldConstants()));
        assertEquals(0, count(g, Ops.MUL));
        assertEquals(0, count(g, Ops.TRANSPOSE));
        assertEquals(1, count(g, Ops.ADD), "only x + c stays");
        assertEquals(2, g.nodes().size());
        assertTrue(scaled.isConstant() && w.isConstant());
    }

    @Test
    void quantizationBoundariesGraphOutputsAndGrowingNodesStay() {
        Graph g = new Graph("keep");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 200, 200));
        Value s = g.addConstant("s", NdArray.ofFloats(Shape.scalar(), 0.01f));
        Value zp = g.addConstant("zp", NdArray.ofLongs(DType.I8, Shape.scalar(), 0));
        Value q = op(g, Ops.QUANTIZE_LINEAR, List.of(randomConstant(g, "w", 4, 200), s, zp));
        Value dq = op(g, Ops.DEQUANTIZE_LINEAR, List.of(q, s, zp));
        // expanding one value to 40,000 would grow the weights for a kernel that is nearly free
        Value big = op(g, Ops.EXPAND, List.of(g.addConstant("one", NdArray.ofFloats(Shape.of(1), 1f))), "shape", new long[] {1, 200, 200});
        g.addOutput(op(g, Ops.ADD, List.of(op(g, Ops.MUL, List.of(x, big)), dq)));
        Value constOut = op(g, Ops.NEG, List.of(s));
        g.addOutput(constOut);

        PassContext cx = new PassContext(null, null);
        cx.enter("FoldConstants");
        assertFalse(runAndCompare(g, new FoldConstants(), cx));
        assertEquals(1, count(g, Ops.QUANTIZE_LINEAR));
        assertEquals(1, count(g, Ops.EXPAND));
        assertEquals(1, count(g, Ops.NEG));
        String notes = String.join("\n", cx.notes());
        assertTrue(notes.contains("quantization boundary"), notes);
        assertTrue(notes.contains("grow 1 constant elements to 40000"), notes);
        assertTrue(notes.contains("graph output"), notes);
    }
}
