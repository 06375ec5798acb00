package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = ceil(x)}, the smallest integer not below x. */
public final class Ceil extends UnaryFloatOp {
    public Ceil() { super("ceil"); }

    @Override
    public String summary() { return "smallest integer >= x"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.ceil(x); }
}
