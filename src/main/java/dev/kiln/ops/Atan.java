package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = atan(x)} in (-pi/2, pi/2). */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class Atan extends UnaryFloatOp {
    public Atan() { super("atan"); }

    @Override
    public String summary() { return "arctangent"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.atan(x); }
}
