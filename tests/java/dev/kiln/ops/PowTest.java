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

/** Pow with mixed element types: the result has the base's type; integer powers are exact and wrap. */
class PowTest {
    private static NdArray pow(NdArray x, NdArray y) {
        Graph g = new Graph("pow");
        Value a = g.addInput("x", x.type()), b = g.addInput("y", y.type());
        g.addOutput(g.addNode(Ops.POW, "p", List.of(a, b), Attrs.EMPTY).output(0));
        return new Interpreter(g).run(List.of(x, y)).get(0);
    }

    @Test
    void integerBaseIntegerExponentIsExact() {
        NdArray x = NdArray.ofLongs(DType.I64, Shape.of(4), 3, -2, 7, 2);
        NdArray y = NdArray.ofLongs(DType.I64, Shape.of(4), 39, 3, -1, 0);
        assertArrayEquals(new long[] {4052555153018976267L, -8, 0, 1}, pow(x, y).longs());
        NdArray x8 = NdArray.ofLongs(DType.I32, Shape.of(1), 2);
        assertArrayEquals(new long[] {Integer.MIN_VALUE}, pow(x8, NdArray.ofLongs(DType.I32, Shape.of(1), 31)).longs());
    }

    @Test
    void resultHasTheBaseType() {
        NdArray xi = NdArray.ofLongs(DType.I32, Shape.of(3), 1, 2, 3);
        NdArray yf = NdArray.ofFloats(Shape.of(3), 4f, 5f, 0.5f);
        assertArrayEquals(new long[] {1, 32, 1}, pow(xi, yf).longs());
        NdArray xf = NdArray.ofFloats(Shape.of(2), 2f, -3f);
        assertArrayEquals(new float[] {0.25f, -27f}, pow(xf, NdArray.ofLongs(DType.I64, Shape.of(2), -2, 3)).floats());
    }
}
