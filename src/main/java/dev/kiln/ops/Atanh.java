package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = atanh(x) = ln((1 + x) / (1 - x)) / 2}; infinite at +-1, NaN outside [-1, 1]. */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class Atanh extends UnaryFloatOp {
    public Atanh() { super("atanh"); }

    @Override
    public String summary() { return "inverse hyperbolic tangent"; }

    @Override
    protected double apply(double x, Attrs a) { return 0.5 * Math.log1p(2 * x / (1 - x)); }
}
