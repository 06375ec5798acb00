package dev.kiln.ops;

import dev.kiln.ir.DType;

/**
 * Maximum over axes (NaN wins; for bool it is logical or). The maximum of no elements is -inf for floats and
 * the type's smallest value for integers (false for bool).
 */
public final class ReduceMax extends ReduceOp {
    public ReduceMax() { super("reduce_max", Trait.QUANTIZABLE); }

    @Override
    protected boolean selectsElements() { return true; }

    @Override
    public String summary() { return "maximum over axes (keepdims)"; }

    @Override
    protected boolean accepts(DType t) { return true; }

    @Override
    protected double startFloat() { return Double.NEGATIVE_INFINITY; }

    @Override
    protected double combineFloat(double acc, double x) { return Double.isNaN(acc) ? acc : Double.isNaN(x) || x > acc ? x : acc; }

    @Override
    protected long startInt(DType t) { return t.minValue(); }

    @Override
    protected long combineInt(long acc, long x) { return Math.max(acc, x); }
}
