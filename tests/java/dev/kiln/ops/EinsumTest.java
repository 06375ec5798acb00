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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Einsum on f32 (ONNX's Einsum cases are all float64, which tests/onnx-node leaves out): products, diagonals, implicit output. */
class EinsumTest {
    private static NdArray run(String eq, NdArray... xs) {
        Graph g = new Graph("t");
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < xs.length; i++) ins.add(g.addInput("x" + i, new TensorType(DType.F32, xs[i].shape())));
        g.addOutput(g.addNode(Ops.EINSUM, "e", ins, Attrs.of("equation", eq)).output(0));
        return new Interpreter(g).run(List.of(xs)).get(0);
    }

    private static final NdArray A = NdArray.ofFloats(Shape.of(2, 3), 1, 2, 3, 4, 5, 6);
    private static final NdArray B = NdArray.ofFloats(Shape.of(3, 2), 1, 0, 0, 1, 2, 2);

    @Test
    void matrixProductExplicitAndImplicit() {
        float[] want = {7, 8, 16, 17};
        assertArrayEquals(want, run("ij,jk->ik", A, B).floats());
        assertArrayEquals(want, run("ij,jk", A, B).floats());
    }

    @Test
    void transposeSumAndBatchedDiagonal() {
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, run("ij->ji", A).floats());
        assertArrayEquals(new float[] {21}, run("ij->", A).floats());
        NdArray sq = NdArray.ofFloats(Shape.of(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8);
        assertArrayEquals(new float[] {1, 4, 5, 8}, run("...ii->...i", sq).floats());
    }

    @Test
    void mismatchedLabelSizesAreAnError() {
        assertThrows(KilnException.class, () -> run("ij,jk->ik", A, A));
    }
}
