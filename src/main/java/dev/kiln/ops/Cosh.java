package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = cosh(x)}. */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class Cosh extends UnaryFloatOp {
    public Cosh() { super("cosh"); }

    @Override
    public String summary() { return "hyperbolic cosine"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.cosh(x); }
}
