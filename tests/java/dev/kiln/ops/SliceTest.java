package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.diag.KilnException;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

class SliceTest {
    private static NdArray slice(NdArray x, Attrs a) {
        Graph g = new Graph("t");
        Value in = g.addInput("x", x.type());
        g.addOutput(g.addNode(Ops.SLICE, "s", List.of(in), a).output(0));
        return new Interpreter(g).run(List.of(x)).get(0);
    }

    private static NdArray i8(long... v) { return NdArray.ofLongs(DType.I8, Shape.of(v.length), v); }

    @Test
    void negativeStepClampsStartToLastAndEndToBeforeFirst() {
        NdArray y = slice(i8(0, 1, 2, 3, 4), Attrs.of("starts", new long[] {Long.MAX_VALUE}, "ends", new long[] {Long.MIN_VALUE}, "steps", new long[] {-2}));
        assertArrayEquals(new long[] {4, 2, 0}, y.longs());
    }

    @Test
    void negativeBoundsCountFromTheEnd() {
        NdArray y = slice(i8(0, 1, 2, 3, 4), Attrs.of("starts", new long[] {-3}, "ends", new long[] {-1}));
        assertArrayEquals(new long[] {2, 3}, y.longs());
    }

    @Test
    void emptyWhenStartPassesEnd() {
        NdArray y = slice(i8(0, 1, 2, 3, 4), Attrs.of("starts", new long[] {3}, "ends", new long[] {1}));
        assertArrayEquals(new int[] {0}, y.shape().dims());
    }

    @Test
    void secondAxisWithStep() {
        NdArray x = NdArray.ofFloats(Shape.of(2, 4), new float[] {0, 1, 2, 3, 4, 5, 6, 7});
        NdArray y = slice(x, Attrs.of("starts", new long[] {1}, "ends", new long[] {100}, "axes", new long[] {-1}, "steps", new long[] {2}));
        assertArrayEquals(new float[] {1, 3, 5, 7}, y.floats());
    }

    @Test
    void zeroStepIsRejected() {
        Graph g = new Graph("t");
        Value in = g.addInput("x", new TensorType(DType.F32, Shape.of(3)));
        assertThrows(KilnException.class, () -> g.addNode(Ops.SLICE, "s", List.of(in), Attrs.of("starts", new long[] {0}, "ends", new long[] {3}, "steps", new long[] {0})));
    }
}
