package dev.kiln.ops;

import dev.kiln.ir.DType;

/** {@code y = !x} on a bool tensor. */
public final class Not extends UnaryNumericOp {
    public Not() { super("not"); }

    @Override
    public String summary() { return "logical not of a bool tensor"; }

    @Override
    protected boolean accepts(DType t) { return t == DType.BOOL; }

    @Override
    protected double applyFloat(double x) { throw new IllegalStateException("not takes bool tensors only"); }

    @Override
    protected long applyInt(long x) { return x == 0 ? 1 : 0; }
}
