package dev.kiln.ops;

/** {@code y = sign(x)}: -1, 0 or 1 in x's type (NaN stays NaN). */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class Sign extends UnaryNumericOp {
    public Sign() { super("sign"); }

    @Override
    public String summary() { return "-1, 0 or 1 by the sign of x"; }

    @Override
    protected double applyFloat(double x) { return Math.signum(x); }

    @Override
    protected long applyInt(long x) { return Long.signum(x); }
}
