package dev.kiln.ops;

/** {@code y = sign(x)}: -1, 0 or 1 in x's type (NaN stays NaN). */
public final class Sign extends UnaryNumericOp {
    public Sign() { super("sign", Trait.ACTIVATION); }

    @Override
    public String summary() { return "-1, 0 or 1 by the sign of x"; }

    @Override
    protected double applyFloat(double x) { return Math.signum(x); }

    @Override
    protected long applyInt(long x) { return Long.signum(x); }
}
