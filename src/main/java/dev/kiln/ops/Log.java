package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = ln(x)}; 0 gives -inf, negative x gives NaN. */
public final class Log extends UnaryFloatOp {
    public Log() { super("log"); }

    @Override
    public String summary() { return "natural logarithm of x"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.log(x); }
}
