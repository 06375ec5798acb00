package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = cos(x)} (radians). */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class Cos extends UnaryFloatOp {
    public Cos() { super("cos"); }

    @Override
    public String summary() { return "cosine (radians)"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.cos(x); }
}
