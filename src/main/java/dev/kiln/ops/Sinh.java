package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = sinh(x)}. */
public final class Sinh extends UnaryFloatOp {
    public Sinh() { super("sinh", Trait.ACTIVATION); }

    @Override
    public String summary() { return "hyperbolic sine"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.sinh(x); }
}
