package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = sin(x)} (radians). */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class Sin extends UnaryFloatOp {
    public Sin() { super("sin"); }

    @Override
    public String summary() { return "sine (radians)"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.sin(x); }
}
