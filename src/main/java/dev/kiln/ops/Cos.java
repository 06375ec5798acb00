package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = cos(x)} (radians). */
public final class Cos extends UnaryFloatOp {
    public Cos() { super("cos", Trait.ACTIVATION); }

    @Override
    public String summary() { return "cosine (radians)"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.cos(x); }
}
