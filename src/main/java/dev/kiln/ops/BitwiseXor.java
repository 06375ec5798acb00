package dev.kiln.ops;

import dev.kiln.ir.DType;

/** {@code c = a ^ b}: bitwise exclusive or of two integer tensors with broadcasting (two's complement, like C). */
public final class BitwiseXor extends BinaryOp {
    public BitwiseXor() { super("bitwise_xor", Trait.COMMUTATIVE); }

    @Override
    public String summary() { return "a ^ b, bitwise on integers (broadcasting)"; }

    @Override
    protected boolean accepts(DType t) { return t.isInteger(); }

    @Override
    protected double applyFloat(double a, double b) { throw new IllegalStateException("bitwise_xor takes integer tensors only"); }

    @Override
    protected long applyInt(long a, long b) { return a ^ b; }
}
