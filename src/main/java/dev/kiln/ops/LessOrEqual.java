package dev.kiln.ops;

import dev.kiln.ir.DType;

/** {@code c = (a <= b)} with broadcasting: a bool tensor; a comparison with NaN is false. */
public final class LessOrEqual extends BinaryOp {
    public LessOrEqual() { super("less_or_equal"); }

    @Override
    public String summary() { return "a <= b (broadcasting, bool result)"; }

    @Override
    protected boolean accepts(DType t) { return t != DType.BOOL; }

    @Override
    protected DType resultType(DType in) { return DType.BOOL; }

    @Override
    protected double applyFloat(double a, double b) { return a <= b ? 1 : 0; }

    @Override
    protected long applyInt(long a, long b) { return a <= b ? 1 : 0; }
}
