package dev.kiln.ops;

import dev.kiln.ir.DType;

/** {@code c = a && b}: logical and of two bool tensors with broadcasting. */
public final class And extends BinaryOp {
    public And() { super("and", Trait.COMMUTATIVE); }

    @Override
    public String summary() { return "logical and of bool tensors (broadcasting)"; }

    @Override
    protected boolean accepts(DType t) { return t == DType.BOOL; }

    @Override
    protected double applyFloat(double a, double b) { throw new IllegalStateException("and takes bool tensors only"); }

    @Override
    protected long applyInt(long a, long b) { return a & b; }
}
