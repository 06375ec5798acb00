package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Clip's absent bounds, min > max (everything becomes max), and integer bounds. */
class ClipTest {
    private static NdArray clip(NdArray x, Attrs a) {
        Graph g = new Graph("clip");
        Value in = g.addInput("x", x.type());
        g.addOutput(g.addNode(Ops.CLIP, "c", List.of(in), a).output(0));
        return new Interpreter(g).run(List.of(x)).get(0);
    }

    @Test
    void floatBounds() {
        NdArray x = NdArray.ofFloats(Shape.of(4), -2f, 0.5f, 3f, Float.NaN);
        assertArrayEquals(new float[] {-1f, 0.5f, 1f, Float.NaN}, clip(x, Attrs.of("min", -1.0, "max", 1.0)).floats());
        assertArrayEquals(new float[] {-2f, 0.5f, 1f, Float.NaN}, clip(x, Attrs.of("max", 1.0)).floats());
        assertArrayEquals(new float[] {1f, 1f, 1f, Float.NaN}, clip(x, Attrs.of("min", 2.0, "max", 1.0)).floats());
    }

    @Test
    void int8BoundsSaturate() {
        NdArray x = NdArray.ofLongs(DType.I8, Shape.of(4), -128, -5, 5, 127);
        assertArrayEquals(new long[] {-128, -5, 5, 6}, clip(x, Attrs.of("max", 6.0)).longs());
        assertArrayEquals(new long[] {-3, -3, 5, 127}, clip(x, Attrs.of("min", -3.0, "max", 1000.0)).longs());
    }
}
