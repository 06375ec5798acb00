package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.diag.KilnException;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Edge semantics of issue 18's ops that the ONNX node cases do not reach: NaN, ties, wrapping, shifts past the width. */
class Issue18OpsTest {
    private static List<NdArray> run(OpDef op, Attrs a, NdArray... xs) {
        Graph g = new Graph("t");
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < xs.length; i++) ins.add(g.addInput("x" + i, xs[i].type()));
        Node n = g.addNode(op, "n", ins, a, op.signature().maxOutputs() == Integer.MAX_VALUE ? 1 : op.signature().outputs().size());
        for (Value v : n.outputs()) g.addOutput(v);
        return new Interpreter(g).run(List.of(xs));
    }

    private static NdArray floats(float... v) { return NdArray.ofFloats(Shape.of(v.length), v); }

    @Test
    void argMaxTakesNanAndTiesGoFirstOrLast() {
        assertEquals(1, run(Ops.ARG_MAX, Attrs.of("keepdims", 0L), floats(1, Float.NaN, 5)).get(0).getLong(0));
        assertEquals(0, run(Ops.ARG_MIN, Attrs.of("keepdims", 0L), floats(2, 3, 2)).get(0).getLong(0));
        assertEquals(2, run(Ops.ARG_MIN, Attrs.of("keepdims", 0L, "select_last_index", 1L), floats(2, 3, 2)).get(0).getLong(0));
        NdArray big = NdArray.ofLongs(DType.I64, Shape.of(2), (1L << 60) + 1, 1L << 60);
        assertEquals(0, run(Ops.ARG_MAX, Attrs.of("keepdims", 0L), big).get(0).getLong(0), "int64 compares exactly, not as double");
    }

    @Test
    void topKIsStableAndNanIsLargest() {
        List<NdArray> r = run(Ops.TOP_K, Attrs.of("k", 3L), floats(1, 4, Float.NaN, 4));
        assertTrue(Float.isNaN(r.get(0).floats()[0]));
        assertArrayEquals(new long[] {2, 1, 3}, r.get(1).longs());
        List<NdArray> s = run(Ops.TOP_K, Attrs.of("k", 2L, "largest", 0L), floats(3, 1, 1));
        assertArrayEquals(new long[] {1, 2}, s.get(1).longs());
    }

    @Test
    void topKWithARunTimeKGivesKRowsWithinTheAxisBound() {
        NdArray k = NdArray.ofLongs(DType.I64, Shape.of(1), 2);
        List<NdArray> r = run(Ops.TOP_K, Attrs.EMPTY, floats(1, 4, 3, 2), k);
        assertEquals(Shape.of(2), r.get(0).shape(), "the run-time extent, within the bound 4");
        assertArrayEquals(new long[] {1, 2}, r.get(1).longs());
        assertThrows(KilnException.class, () -> run(Ops.TOP_K, Attrs.EMPTY, floats(1, 4), NdArray.ofLongs(DType.I64, Shape.of(1), 3)));
        assertThrows(KilnException.class, () -> run(Ops.TOP_K, Attrs.EMPTY, floats(1, 4), NdArray.ofLongs(DType.I64, Shape.of(1), -1)));
        assertThrows(KilnException.class, () -> run(Ops.TOP_K, Attrs.of("k", 1L), floats(1, 4), k), "k twice");
    }

    @Test
    void hardmaxMarksTheFirstMaximum() {
        assertArrayEquals(new float[] {0, 1, 0}, run(Ops.HARDMAX, Attrs.EMPTY, floats(1, 3, 3)).get(0).floats());
    }

    @Test
    void cumulativeOpsWrapIntegers() {
        NdArray x = NdArray.ofLongs(DType.I8, Shape.of(3), 100, 100, 1);
        assertArrayEquals(new long[] {100, -56, -55}, run(Ops.CUM_SUM, Attrs.of("axis", 0L), x).get(0).longs());
        assertArrayEquals(new long[] {101, 1, 0}, run(Ops.CUM_SUM, Attrs.of("axis", 0L, "reverse", 1L, "exclusive", 1L), x).get(0).longs());
    }

    @Test
    void detOfSingularAndSwappedMatrices() {
        assertEquals(0, run(Ops.DET, Attrs.EMPTY, NdArray.ofFloats(Shape.of(2, 2), 1, 2, 2, 4)).get(0).floats()[0]);
        assertEquals(-1, run(Ops.DET, Attrs.EMPTY, NdArray.ofFloats(Shape.of(2, 2), 0, 1, 1, 0)).get(0).floats()[0]);
    }

    @Test
    void shiftsPastTheWidthAndSignedRightShifts() {
        NdArray u = NdArray.ofLongs(DType.U8, Shape.of(2), 255, 1);
        assertArrayEquals(new long[] {0, 128}, run(Ops.BIT_SHIFT, Attrs.of("direction", "LEFT"), u, NdArray.ofLongs(DType.U8, Shape.of(2), 8, 7)).get(0).longs());
        NdArray s = NdArray.ofLongs(DType.I32, Shape.of(2), -8, 8);
        assertArrayEquals(new long[] {-1, 0}, run(Ops.BIT_SHIFT, Attrs.of("direction", "RIGHT"), s, NdArray.ofLongs(DType.I32, Shape.of(2), 40, -1)).get(0).longs());
    }

    @Test
    void modSignsAndRemainderByZero() {
        NdArray a = NdArray.ofLongs(DType.I32, Shape.of(2), -7, 7), b = NdArray.ofLongs(DType.I32, Shape.of(2), 3, -3);
        assertArrayEquals(new long[] {2, -2}, run(Ops.MOD, Attrs.EMPTY, a, b).get(0).longs());
        assertArrayEquals(new long[] {-1, 1}, run(Ops.MOD, Attrs.of("fmod", 1L), a, b).get(0).longs());
        assertEquals(Double.NEGATIVE_INFINITY, run(Ops.MOD, Attrs.EMPTY, floats(1), floats(Float.NEGATIVE_INFINITY)).get(0).floats()[0]);
        NdArray zero = NdArray.ofLongs(DType.I32, Shape.of(2), 0, 0);
        // IntegerSemantics: x mod 0 is x in both fmod forms (the interpreter, C and OpenCL agree)
        assertArrayEquals(new long[] {-7, 7}, run(Ops.MOD, Attrs.EMPTY, a, zero).get(0).longs());
        assertArrayEquals(new long[] {-7, 7}, run(Ops.MOD, Attrs.of("fmod", 1L), a, zero).get(0).longs());
    }

    @Test
    void badAttributesAreNodeErrors() {
        assertThrows(KilnException.class, () -> run(Ops.BIT_SHIFT, Attrs.of("direction", "UP"), floats(1), floats(1)));
        assertThrows(KilnException.class, () -> run(Ops.TOP_K, Attrs.of("k", 4L), floats(1, 2)));
        assertThrows(KilnException.class, () -> run(Ops.ARG_MAX, Attrs.EMPTY, NdArray.zeros(DType.F32, Shape.of(0))));
    }
}
