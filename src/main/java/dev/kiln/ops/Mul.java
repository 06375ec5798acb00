package dev.kiln.ops;

import dev.kiln.ir.DType;

/** {@code c = a * b} with broadcasting; integers wrap. */
public final class Mul extends BinaryOp {
    public Mul() { super("mul", Trait.COMMUTATIVE, Trait.QUANTIZABLE); }

    @Override
    public String summary() { return "a * b (broadcasting)"; }

    @Override
    protected boolean accepts(DType t) { return t != DType.BOOL; }

    @Override
    protected double applyFloat(double a, double b) { return a * b; }

    @Override
    protected long applyInt(long a, long b) { return a * b; }
}
