package dev.kiln.ops;

import dev.kiln.ir.DType;

/** Element-wise mean of one or more float inputs with broadcasting (sum in double, divided by the count). */
public final class Mean extends VariadicOp {
    public Mean() { super("mean", Trait.COMMUTATIVE); }

    @Override
    public String summary() { return "element-wise mean of the inputs (broadcasting)"; }

    @Override
    protected boolean accepts(DType t) { return t.isFloat(); }

    @Override
    protected double applyFloat(double acc, double x) { return acc + x; }

    @Override
    protected long applyInt(long acc, long x) { throw new IllegalStateException("mean takes float tensors only"); }

    @Override
    protected double finishFloat(double acc, int count) { return acc / count; }
}
