package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

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

/** Integer division truncates toward zero and wraps; division by zero gives 0 ({@link IntegerSemantics}). */
class DivTest {
    private static NdArray div(DType t, long[] a, long[] b) {
        Graph g = new Graph("div");
        Value x = g.addInput("a", new TensorType(t, Shape.of(a.length)));
        Value y = g.addInput("b", new TensorType(t, Shape.of(b.length)));
        g.addOutput(g.addNode(Ops.DIV, "d", List.of(x, y), Attrs.EMPTY).output(0));
        return new Interpreter(g).run(List.of(NdArray.ofLongs(t, Shape.of(a.length), a), NdArray.ofLongs(t, Shape.of(b.length), b))).get(0);
    }

    @Test
    void integersTruncateTowardZero() {
        assertArrayEquals(new long[] {-1, 1, 1, -1, 3}, div(DType.I32, new long[] {-3, 3, -3, 3, 7}, new long[] {2, 2, -2, -2, 2}).longs());
        assertArrayEquals(new long[] {-128, -64}, div(DType.I8, new long[] {-128, -128}, new long[] {-1, 2}).longs());
        assertArrayEquals(new long[] {127, 0}, div(DType.U8, new long[] {255, 3}, new long[] {2, 4}).longs());
    }

    @Test
    void integerDivisionByZeroIsZero() {
        assertArrayEquals(new long[] {0, 0, 0}, div(DType.I32, new long[] {1, -1, 0}, new long[] {0, 0, 0}).longs());
    }
}
