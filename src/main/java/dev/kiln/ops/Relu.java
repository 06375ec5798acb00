package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = max(x, 0)}. */
public final class Relu extends UnaryFloatOp {
    public Relu() { super("relu", Trait.ACTIVATION, Trait.QUANTIZABLE); }

    @Override
    public String summary() { return "max(x, 0)"; }

    @Override
    protected double apply(double x, Attrs a) { return x > 0 ? x : (x == 0 ? 0.0 : (Double.isNaN(x) ? x : 0.0)); }
}
