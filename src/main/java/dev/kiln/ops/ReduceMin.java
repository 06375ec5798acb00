package dev.kiln.ops;

import dev.kiln.ir.DType;

/**
 * Minimum over axes (NaN wins; for bool it is logical and). The minimum of no elements is +inf for floats and
 * the type's largest value for integers (true for bool).
 */
public final class ReduceMin extends ReduceOp {
    public ReduceMin() { super("reduce_min"); }

    @Override
    protected boolean selectsElements() { return true; }

    @Override
    public String summary() { return "minimum over axes (keepdims)"; }

    @Override
    protected boolean accepts(DType t) { return true; }

    @Override
    protected double startFloat() { return Double.POSITIVE_INFINITY; }

    @Override
    protected double combineFloat(double acc, double x) { return Double.isNaN(acc) ? acc : Double.isNaN(x) || x < acc ? x : acc; }

    @Override
    protected long startInt(DType t) { return t.maxValue(); }

    @Override
    protected long combineInt(long acc, long x) { return Math.min(acc, x); }
}
