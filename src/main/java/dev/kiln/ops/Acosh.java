package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = acosh(x) = ln(x + sqrt(x^2 - 1))}; NaN below 1. */
public final class Acosh extends UnaryFloatOp {
    public Acosh() { super("acosh", Trait.ACTIVATION); }

    @Override
    public String summary() { return "inverse hyperbolic cosine"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.log(x + Math.sqrt(x * x - 1)); }
}
