package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = x * tanh(ln(1 + e^x))}. */
public final class Mish extends UnaryFloatOp {
    public Mish() { super("mish", Trait.ACTIVATION); }

    @Override
    public String summary() { return "x * tanh(softplus(x))"; }

    @Override
    protected double apply(double x, Attrs a) { return x * Math.tanh(Softplus.softplus(x)); }
}
