package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = ln(1 + e^x)}, evaluated without overflow for large x. */
public final class Softplus extends UnaryFloatOp {
    public Softplus() { super("softplus", Trait.ACTIVATION); }

    @Override
    public String summary() { return "ln(1 + e^x)"; }

    @Override
    protected double apply(double x, Attrs a) { return softplus(x); }

    /** {@code ln(1 + e^x)} as {@code max(x, 0) + ln(1 + e^-|x|)}, which cannot overflow. */
    public static double softplus(double x) {
        if (Double.isNaN(x)) return x;
        return Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)));
    }
}
