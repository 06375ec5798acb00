package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = sinh(x)}. */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class Sinh extends UnaryFloatOp {
    public Sinh() { super("sinh"); }

    @Override
    public String summary() { return "hyperbolic sine"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.sinh(x); }
}
