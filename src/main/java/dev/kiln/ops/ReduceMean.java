package dev.kiln.ops;

import dev.kiln.ir.DType;

/**
 * Mean over axes. Integer means divide the exact sum and truncate toward zero; the mean of no elements is NaN
 * for floats and 0 for integers.
 */
public final class ReduceMean extends ReduceOp {
    public ReduceMean() { super("reduce_mean"); }

    @Override
    public String summary() { return "mean over axes (keepdims)"; }

    @Override
    protected boolean accepts(DType t) { return t != DType.BOOL; }

    @Override
    protected double startFloat() { return 0.0; }

    @Override
    protected double combineFloat(double acc, double x) { return acc + x; }

    @Override
    protected double finishFloat(double acc, int count) { return acc / count; }

    @Override
    protected long startInt(DType t) { return 0; }

    @Override
    protected long combineInt(long acc, long x) { return acc + x; }

    @Override
    protected long finishInt(long acc, int count) { return count == 0 ? 0 : acc / count; }
}
