package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.diag.KilnException;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuantizeLinearTest {
    private static NdArray quantize(NdArray x, NdArray scale, NdArray zp, Attrs attrs) {
        Graph g = new Graph("t");
        Value xv = g.addInput("x", x.type());
        Value sv = g.addConstant("s", scale), zv = g.addConstant("z", zp);
        g.addOutput(g.addNode(Ops.QUANTIZE_LINEAR, "q", List.of(xv, sv, zv), attrs).output(0));
        return new Interpreter(g).run(List.of(x)).get(0);
    }

    @Test
    void roundsHalfToEvenThenAddsZeroPointAndSaturates() {
        NdArray x = NdArray.ofFloats(Shape.of(8), 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 1e9f, -1e9f, 126.5f);
        NdArray y = quantize(x, NdArray.ofFloats(Shape.scalar(), 1f), NdArray.ofLongs(DType.I8, Shape.scalar(), 1), Attrs.EMPTY);
        assertArrayEquals(new long[] {1, 3, 3, 1, -1, 127, -128, 127}, y.longs());
    }

    @Test
    void blockedScalesCoverBlocksAlongTheAxis() {
        NdArray x = NdArray.ofFloats(Shape.of(2, 5), 10, 10, 10, 10, 10, 20, 20, 20, 20, 20);
        NdArray s = NdArray.ofFloats(Shape.of(2, 3), 1, 2, 5, 10, 4, 2);
        NdArray z = NdArray.ofLongs(DType.U8, Shape.of(2, 3), 0, 0, 0, 0, 1, 2);
        NdArray y = quantize(x, s, z, Attrs.of("axis", 1L, "block_size", 2L));
        assertArrayEquals(new long[] {10, 10, 5, 5, 2, 2, 2, 6, 6, 12}, y.longs());
    }

    @Test
    void rejectsAScaleThatFitsNoGranularity() {
        NdArray x = NdArray.ofFloats(Shape.of(2, 4), new float[8]);
        KilnException e = assertThrows(KilnException.class, () -> quantize(x, NdArray.ofFloats(Shape.of(3), 1, 1, 1),
                NdArray.ofLongs(DType.U8, Shape.of(3), 0, 0, 0), Attrs.of("axis", 1L)));
        assertTrue(e.getMessage().contains("has 3 elements but the input has 4 along axis 1"), e.getMessage());
    }
}
