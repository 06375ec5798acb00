package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = sqrt(x)}; negative x gives NaN. */
public final class Sqrt extends UnaryFloatOp {
    public Sqrt() { super("sqrt"); }

    @Override
    public String summary() { return "sqrt(x)"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.sqrt(x); }
}
