package dev.kiln.ops;

import dev.kiln.ir.Shape;

/**
 * A tensor seen along one axis as {@code [outer, n, inner]}: element {@code (o, k, i)} is at
 * {@code (o * n + k) * inner + i}. The ops that work along a single axis (softmax, hardmax, arg-reductions,
 * scans, top-k) check and loop this way.
 */
record AxisRun(int axis, int outer, int n, int inner) {
    /** The run of shape {@code s} along {@code axis} (negative counts from the end; already checked). */
    static AxisRun of(Shape s, long axis) {
        int a = s.axis(axis);
        return new AxisRun(a, s.prod(0, a), s.dim(a), s.prod(a + 1, s.rank()));
    }

    /** Fails at {@code cx} unless {@code axis} names an axis of a tensor of shape {@code s}; returns it non-negative. */
    static int check(InferContext cx, Shape s, long axis) {
        int r = s.rank();
        cx.check(r > 0, "needs a tensor of rank 1 or more, got a scalar");
        cx.check(axis >= -r && axis < r, "axis %d is out of range for rank %d", axis, r);
        return s.axis(axis);
    }

    /** The output type of an op that keeps a float input's type and works along attribute {@code axis} (softmax, hardmax). */
    static java.util.List<dev.kiln.ir.TensorType> floatAlongAxis(InferContext cx) {
        cx.checkFloat(0);
        check(cx, cx.shape(0), cx.attrs().getInt("axis"));
        return java.util.List.of(new dev.kiln.ir.TensorType(cx.dtype(0), cx.shape(0)));
    }

    /** The flat index of element {@code (o, k, i)}. */
    int at(int o, int k, int i) { return (o * n + k) * inner + i; }
}
