package dev.kiln.ops;

/** Running sum along an axis (exclusive, reverse); integers wrap. */
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
