package dev.kiln.ops;

/** Element-wise sum of one or more inputs with broadcasting; integers wrap. */
public final class Sum extends VariadicOp {
    public Sum() { super("sum", Trait.COMMUTATIVE); }

    @Override
    public String summary() { return "element-wise sum of the inputs (broadcasting)"; }

    @Override
    protected double applyFloat(double acc, double x) { return acc + x; }

    @Override
    protected long applyInt(long acc, long x) { return acc + x; }
}
