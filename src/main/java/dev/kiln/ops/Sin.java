package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = sin(x)} (radians). */
public final class Sin extends UnaryFloatOp {
    public Sin() { super("sin", Trait.ACTIVATION); }

    @Override
    public String summary() { return "sine (radians)"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.sin(x); }
}
