package dev.kiln.interp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The interpreter returns one result per listed graph output, in order, even when a value is listed twice. */
class InterpreterOutputsTest {
    @Test
    void valueListedTwiceIsReturnedTwice() {
        Graph g = new Graph("twice");
        Value x = g.addInput("x", NdArray.ofFloats(Shape.of(3), 0f, 0f, 0f).type());
        Value r = g.addNode(Ops.CLIP, "c", List.of(x), Attrs.of("min", -1.0, "max", 1.0)).output(0);
        g.addOutput(r);
        g.addOutput(x);
        g.addOutput(r);
        List<NdArray> out = new Interpreter(g).run(List.of(NdArray.ofFloats(Shape.of(3), -2f, 0.5f, 3f)));
        assertEquals(3, out.size());
        assertArrayEquals(new float[] {-1f, 0.5f, 1f}, out.get(0).floats());
        assertArrayEquals(new float[] {-2f, 0.5f, 3f}, out.get(1).floats());
        assertArrayEquals(new float[] {-1f, 0.5f, 1f}, out.get(2).floats());
    }
}
