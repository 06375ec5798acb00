package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = asin(x)} in [-pi/2, pi/2]; NaN outside [-1, 1]. */
public final class Asin extends UnaryFloatOp {
    public Asin() { super("asin", Trait.ACTIVATION); }

    @Override
    public String summary() { return "arcsine"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.asin(x); }
}
