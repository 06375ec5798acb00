package dev.kiln.ops;

import dev.kiln.ir.DType;

/** {@code c = (a == b)} with broadcasting: a bool tensor; NaN equals nothing. */
public final class Equal extends BinaryOp {
    public Equal() { super("equal", Trait.COMMUTATIVE); }

    @Override
    public String summary() { return "a == b (broadcasting, bool result)"; }

    @Override
    protected DType resultType(DType in) { return DType.BOOL; }

    @Override
    protected double applyFloat(double a, double b) { return a == b ? 1 : 0; }

    @Override
    protected long applyInt(long a, long b) { return a == b ? 1 : 0; }
}
