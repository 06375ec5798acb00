package dev.kiln.ops;

import dev.kiln.ir.DType;

/** {@code c = a != b}: logical exclusive or of two bool tensors with broadcasting. */
public final class Xor extends BinaryOp {
    public Xor() { super("xor", Trait.COMMUTATIVE); }

    @Override
    public String summary() { return "logical exclusive or of bool tensors (broadcasting)"; }

    @Override
    protected boolean accepts(DType t) { return t == DType.BOOL; }

    @Override
    protected double applyFloat(double a, double b) { throw new IllegalStateException("xor takes bool tensors only"); }

    @Override
    protected long applyInt(long a, long b) { return a ^ b; }
}
