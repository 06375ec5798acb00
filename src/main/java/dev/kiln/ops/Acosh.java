package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = acosh(x) = ln(x + sqrt(x^2 - 1))}; NaN below 1. */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class Acosh extends UnaryFloatOp {
    public Acosh() { super("acosh"); }

    @Override
    public String summary() { return "inverse hyperbolic cosine"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.log(x + Math.sqrt(x * x - 1)); }
}
