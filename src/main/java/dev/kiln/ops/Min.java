package dev.kiln.ops;

/** Element-wise minimum of one or more inputs with broadcasting; NaN wins. */
public final class Min extends VariadicOp {
    public Min() { super("min", Trait.COMMUTATIVE, Trait.QUANTIZABLE); }

    @Override
    public String summary() { return "element-wise minimum of the inputs (broadcasting)"; }

    @Override
    protected double applyFloat(double acc, double x) { return Math.min(acc, x); }

    @Override
    protected boolean ordersOperands() { return true; }

    @Override
    protected long applyInt(long acc, long x) { return Math.min(acc, x); }
}
