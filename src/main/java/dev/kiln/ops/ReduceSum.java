package dev.kiln.ops;

import dev.kiln.ir.DType;

/** Sum over axes; integers wrap; the sum of no elements is 0. */
public final class ReduceSum extends ReduceOp {
    public ReduceSum() { super("reduce_sum"); }

    @Override
    public String summary() { return "sum over axes (keepdims)"; }

    @Override
    protected boolean accepts(DType t) { return t != DType.BOOL; }

    @Override
    protected double startFloat() { return 0.0; }

    @Override
    protected double combineFloat(double acc, double x) { return acc + x; }

    @Override
    protected long startInt(DType t) { return 0; }

    @Override
    protected long combineInt(long acc, long x) { return acc + x; }
}
