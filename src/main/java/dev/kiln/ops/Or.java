package dev.kiln.ops;

import dev.kiln.ir.DType;

/** {@code c = a || b}: logical or of two bool tensors with broadcasting. */
public final class Or extends BinaryOp {
    public Or() { super("or", Trait.COMMUTATIVE); }

    @Override
    public String summary() { return "logical or of bool tensors (broadcasting)"; }

    @Override
    protected boolean accepts(DType t) { return t == DType.BOOL; }

    @Override
    protected double applyFloat(double a, double b) { throw new IllegalStateException("or takes bool tensors only"); }

    @Override
    protected long applyInt(long a, long b) { return a | b; }
}
