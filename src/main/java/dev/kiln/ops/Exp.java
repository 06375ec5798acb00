package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = e^x}. */
public final class Exp extends UnaryFloatOp {
    public Exp() { super("exp"); }

    @Override
    public String summary() { return "e^x"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.exp(x); }
}
