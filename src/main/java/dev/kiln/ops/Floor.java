package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = floor(x)}, the largest integer not above x. */
public final class Floor extends UnaryFloatOp {
    public Floor() { super("floor"); }

    @Override
    public String summary() { return "largest integer <= x"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.floor(x); }
}
