package dev.kiln.ops;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Determinant of each square matrix in the last two dimensions of a float tensor {@code [*, M, M]}: output
 * {@code [*]}. Computed in double precision by LU decomposition with partial pivoting.
 */
public final class Det extends OpDef {
    public Det() { super("det", Signature.builder().input("X").output("Y").build()); }

    @Override
    public String summary() { return "determinant of the square matrices in the last two dimensions"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        Shape s = cx.shape(0);
        int r = s.rank();
        cx.check(r >= 2 && s.dim(r - 1) == s.dim(r - 2), "needs square matrices [*, M, M], got shape %s", s);
        return List.of(new TensorType(cx.dtype(0), Shape.of(Arrays.copyOf(s.dims(), r - 2))));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        int m = x.shape().dim(x.shape().rank() - 1);
        double[][] a = new double[m][m];
        for (int b = 0, n = y.size(); b < n; b++) {
            for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) a[i][j] = x.getDouble((b * m + i) * m + j);
            y.setDouble(b, determinant(a));
        }
        return List.of(y);
    }

    /** The determinant of {@code a} (destroyed), by Gaussian elimination with partial pivoting. */
    private static double determinant(double[][] a) {
        int m = a.length;
        double det = 1;
        for (int c = 0; c < m; c++) {
            int p = c;
            for (int i = c + 1; i < m; i++) if (Math.abs(a[i][c]) > Math.abs(a[p][c])) p = i;
            if (a[p][c] == 0) return 0;
            if (p != c) {
                double[] t = a[p];
                a[p] = a[c];
                a[c] = t;
                det = -det;
            }
            det *= a[c][c];
            for (int i = c + 1; i < m; i++) {
                double f = a[i][c] / a[c][c];
                for (int j = c; j < m; j++) a[i][j] -= f * a[c][j];
            }
        }
        return det;
    }
}
