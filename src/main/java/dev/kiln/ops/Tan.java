package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = tan(x)} (radians). */
public final class Tan extends UnaryFloatOp {
    public Tan() { super("tan", Trait.ACTIVATION); }

    @Override
    public String summary() { return "tangent (radians)"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.tan(x); }
}
