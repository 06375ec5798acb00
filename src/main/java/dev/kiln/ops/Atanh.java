package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = atanh(x) = ln((1 + x) / (1 - x)) / 2}; infinite at +-1, NaN outside [-1, 1]. */
public final class Atanh extends UnaryFloatOp {
    public Atanh() { super("atanh", Trait.ACTIVATION); }

    @Override
    public String summary() { return "inverse hyperbolic tangent"; }

    @Override
    protected double apply(double x, Attrs a) { return 0.5 * Math.log1p(2 * x / (1 - x)); }
}
