package dev.kiln.ir;

import java.util.Arrays;

/** An immutable static tensor shape. A rank-0 shape is a scalar. */
public final class Shape {
    private static final Shape SCALAR = new Shape(new int[0]);
    private final int[] dims;

    private Shape(int[] dims) { this.dims = dims; }

    /** A shape with the given dimensions; every dimension must be zero or positive. */
    public static Shape of(int... dims) {
        for (int d : dims) if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
        return dims.length == 0 ? SCALAR : new Shape(dims.clone());
    }

    /** A shape from long dimensions, failing if one does not fit an int. */
    public static Shape of(long... dims) {
        int[] d = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) throw new IllegalArgumentException("dimension out of range: " + Arrays.toString(dims));
            d[i] = (int) dims[i];
        }
        return of(d);
    }

    /** The rank-0 shape. */
    public static Shape scalar() { return SCALAR; }

    public int rank() { return dims.length; }

    /** Dimension {@code i}; negative {@code i} counts from the end. */
    public int dim(int i) { return dims[i < 0 ? i + dims.length : i]; }

    /** A copy of the dimensions. */
    public int[] dims() { return dims.clone(); }

    /** The dimensions as longs (ONNX shape tensors are int64). */
    public long[] dimsLong() {
        long[] r = new long[dims.length];
        for (int i = 0; i < dims.length; i++) r[i] = dims[i];
        return r;
    }

    /** Number of elements; fails if it exceeds {@link Integer#MAX_VALUE}. */
    public int size() {
        long n = numel();
        if (n > Integer.MAX_VALUE) throw new ArithmeticException("tensor of shape " + this + " has too many elements (" + n + ")");
        return (int) n;
    }

    /** Number of elements as a long, saturating at {@link Long#MAX_VALUE} instead of overflowing. */
    public long numel() {
        long n = 1;
        for (int d : dims) {
            if (d != 0 && n > Long.MAX_VALUE / d) return Long.MAX_VALUE;
            n *= d;
        }
        return n;
    }

    /** Row-major strides in elements. */
    public int[] strides() {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    /** Product of dims[from..to). */
    public int prod(int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) p *= dims[i];
        return p;
    }

    /** Normalises a possibly negative axis against this rank, or throws with a readable message. */
    public int axis(long axis) { return normalizeAxis(axis, dims.length); }

    /** Normalises a possibly negative axis against a rank. */
    public static int normalizeAxis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.max(rank, 1)) throw new IllegalArgumentException("axis " + axis + " is out of range for rank " + rank);
        return (int) a;
    }

    @Override
    public boolean equals(Object o) { return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims); }

    @Override
    public int hashCode() { return Arrays.hashCode(dims); }

    /** {@code [1, 3, 224, 224]}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) b.append(i == 0 ? "" : ", ").append(dims[i]);
        return b.append(']').toString();
    }
}
