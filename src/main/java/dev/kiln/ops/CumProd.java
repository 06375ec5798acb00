package dev.kiln.ops;

/** Running product along an axis (exclusive, reverse); integers wrap. */
public final class CumProd extends Cumulative {
    public CumProd() { super("cum_prod"); }

    @Override
    public String summary() { return "running product along an axis (exclusive, reverse)"; }

    @Override
    protected long identity() { return 1; }

    @Override
    protected double combine(double acc, double x) { return acc * x; }

    @Override
    protected long combine(long acc, long x) { return acc * x; }
}
