package dev.kiln.ops;

/**
 * Row-major matrix-product loops shared by matmul and gemm, in i-k-j order so the innermost loop runs over
 * contiguous rows of B and C: float products accumulate in double, integer ones in long (callers wrap).
 */
final class Matrices {
    private Matrices() {}

    /** {@code c[cOff..] += a[aOff..] (m x k) * b[bOff..] (k x n)}. */
    static void multiplyAdd(double[] a, int aOff, double[] b, int bOff, double[] c, int cOff, int m, int k, int n) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * n;
            for (int p = 0; p < k; p++) {
                double av = a[aOff + i * k + p];
                int bp = bOff + p * n;
                for (int j = 0; j < n; j++) c[ci + j] += av * b[bp + j];
            }
        }
    }

    /** {@code c[cOff..] += a[aOff..] (m x k) * b[bOff..] (k x n)} with wrapping long arithmetic. */
    static void multiplyAdd(long[] a, int aOff, long[] b, int bOff, long[] c, int cOff, int m, int k, int n) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * n;
            for (int p = 0; p < k; p++) {
                long av = a[aOff + i * k + p];
                int bp = bOff + p * n;
                for (int j = 0; j < n; j++) c[ci + j] += av * b[bp + j];
            }
        }
    }

    /** The transpose of the row-major {@code rows x cols} matrix {@code a}. */
    static double[] transpose(double[] a, int rows, int cols) {
        double[] t = new double[a.length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
        return t;
    }

    /** The transpose of the row-major {@code rows x cols} matrix {@code a}. */
    static long[] transpose(long[] a, int rows, int cols) {
        long[] t = new long[a.length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
        return t;
    }
}
