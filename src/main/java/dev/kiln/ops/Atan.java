package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = atan(x)} in (-pi/2, pi/2). */
public final class Atan extends UnaryFloatOp {
    public Atan() { super("atan", Trait.ACTIVATION); }

    @Override
    public String summary() { return "arctangent"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.atan(x); }
}
