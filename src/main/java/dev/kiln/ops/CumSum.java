package dev.kiln.ops;

/** Running sum along an axis (exclusive, reverse); integers wrap. */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class CumSum extends Cumulative {
    public CumSum() { super("cum_sum"); }

    @Override
    public String summary() { return "running sum along an axis (exclusive, reverse)"; }

    @Override
    protected long identity() { return 0; }

    @Override
    protected double combine(double acc, double x) { return acc + x; }

    @Override
    protected long combine(long acc, long x) { return acc + x; }
}
