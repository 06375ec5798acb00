package dev.kiln.ops;

import dev.kiln.ir.DType;

/** {@code y = ~x} on an integer tensor (all bits flipped within the element type). */
public final class BitwiseNot extends UnaryNumericOp {
    public BitwiseNot() { super("bitwise_not"); }

    @Override
    public String summary() { return "~x, bitwise on integers"; }

    @Override
    protected boolean accepts(DType t) { return t.isInteger(); }

    @Override
    protected double applyFloat(double x) { throw new IllegalStateException("bitwise_not takes integer tensors only"); }

    @Override
    protected long applyInt(long x) { return ~x; }
}
