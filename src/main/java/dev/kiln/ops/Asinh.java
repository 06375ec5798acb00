package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = asinh(x) = ln(x + sqrt(x^2 + 1))}, computed on |x| so that negative x keeps its precision. */
public final class Asinh extends UnaryFloatOp {
    public Asinh() { super("asinh", Trait.ACTIVATION); }

    @Override
    public String summary() { return "inverse hyperbolic sine"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.copySign(Math.log(Math.abs(x) + Math.sqrt(x * x + 1)), x); }
}
