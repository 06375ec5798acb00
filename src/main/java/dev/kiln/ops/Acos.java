package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = acos(x)} in [0, pi]; NaN outside [-1, 1]. */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class Acos extends UnaryFloatOp {
    public Acos() { super("acos"); }

    @Override
    public String summary() { return "arccosine"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.acos(x); }
}
