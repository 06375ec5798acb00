package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = asin(x)} in [-pi/2, pi/2]; NaN outside [-1, 1]. */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class Asin extends UnaryFloatOp {
    public Asin() { super("asin"); }

    @Override
    public String summary() { return "arcsine"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.asin(x); }
}
