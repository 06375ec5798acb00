package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = tanh(x)}. */
public final class Tanh extends UnaryFloatOp {
    public Tanh() { super("tanh", Trait.ACTIVATION, Trait.QUANTIZABLE); }

    @Override
    public String summary() { return "hyperbolic tangent of x"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.tanh(x); }
}
