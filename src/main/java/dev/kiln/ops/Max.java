package dev.kiln.ops;

/** Element-wise maximum of one or more inputs with broadcasting; NaN wins. */
public final class Max extends VariadicOp {
    public Max() { super("max", Trait.COMMUTATIVE, Trait.QUANTIZABLE); }

    @Override
    public String summary() { return "element-wise maximum of the inputs (broadcasting)"; }

    @Override
    protected double applyFloat(double acc, double x) { return Math.max(acc, x); }

    @Override
    protected boolean ordersOperands() { return true; }

    @Override
    protected long applyInt(long acc, long x) { return Math.max(acc, x); }
}
