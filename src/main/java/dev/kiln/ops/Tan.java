package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = tan(x)} (radians). */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class Tan extends UnaryFloatOp {
    public Tan() { super("tan"); }

    @Override
    public String summary() { return "tangent (radians)"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.tan(x); }
}
