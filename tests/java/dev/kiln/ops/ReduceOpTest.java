package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReduceOpTest {
    private static NdArray run(OpDef op, NdArray x, Attrs a) {
        Graph g = new Graph("t");
        Value in = g.addInput("x", x.type());
        g.addOutput(g.addNode(op, "r", List.of(in), a).output(0));
        return new Interpreter(g).run(List.of(x)).get(0);
    }

    @Test
    void nanWins() {
        NdArray x = NdArray.ofFloats(Shape.of(2, 2), new float[] {Float.NaN, 1, 2, Float.NaN});
        NdArray y = run(Ops.REDUCE_MAX, x, Attrs.of("axes", new long[] {1}, "keepdims", 0L));
        assertTrue(Float.isNaN(y.floats()[0]) && Float.isNaN(y.floats()[1]));
    }

    @Test
    void emptyIntegerSetGivesTheSmallestValue() {
        NdArray x = NdArray.zeros(DType.I32, Shape.of(2, 0));
        assertArrayEquals(new long[] {Integer.MIN_VALUE, Integer.MIN_VALUE}, run(Ops.REDUCE_MAX, x, Attrs.of("axes", new long[] {1})).longs());
    }

    @Test
    void integerMeanTruncatesTowardZeroAndEmptyAxesCopies() {
        NdArray x = NdArray.ofLongs(DType.I8, Shape.of(2, 2), -3, 0, 3, 0);
        assertArrayEquals(new long[] {-1, 1}, run(Ops.REDUCE_MEAN, x, Attrs.of("axes", new long[] {1}, "keepdims", 0L)).longs());
        assertArrayEquals(new long[] {-3, 0, 3, 0}, run(Ops.REDUCE_SUM, x, Attrs.of("axes", new long[0])).longs());
    }

    @Test
    void int8SumWraps() {
        NdArray x = NdArray.ofLongs(DType.I8, Shape.of(2), 100, 100);
        assertArrayEquals(new long[] {-56}, run(Ops.REDUCE_SUM, x, Attrs.EMPTY).longs());
    }
}
