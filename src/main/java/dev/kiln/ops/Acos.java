package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = acos(x)} in [0, pi]; NaN outside [-1, 1]. */
public final class Acos extends UnaryFloatOp {
    public Acos() { super("acos", Trait.ACTIVATION); }

    @Override
    public String summary() { return "arccosine"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.acos(x); }
}
