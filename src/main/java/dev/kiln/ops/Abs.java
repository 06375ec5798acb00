package dev.kiln.ops;

/** {@code y = |x|}; on signed integers the most negative value stays itself (it wraps, like C). */
public final class Abs extends UnaryNumericOp {
    public Abs() { super("abs"); }

    @Override
    public String summary() { return "|x|"; }

    @Override
    protected double applyFloat(double x) { return Math.abs(x); }

    @Override
    protected long applyInt(long x) { return Math.abs(x); }
}
