package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = 1 / x}. */
public final class Reciprocal extends UnaryFloatOp {
    public Reciprocal() { super("reciprocal"); }

    @Override
    public String summary() { return "1 / x"; }

    @Override
    protected double apply(double x, Attrs a) { return 1.0 / x; }
}
