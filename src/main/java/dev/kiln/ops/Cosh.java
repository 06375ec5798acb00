package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = cosh(x)}. */
public final class Cosh extends UnaryFloatOp {
    public Cosh() { super("cosh", Trait.ACTIVATION); }

    @Override
    public String summary() { return "hyperbolic cosine"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.cosh(x); }
}
