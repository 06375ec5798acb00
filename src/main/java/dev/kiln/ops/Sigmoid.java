package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = 1 / (1 + e^-x)}, evaluated so that no intermediate overflows for large |x|. */
public final class Sigmoid extends UnaryFloatOp {
    public Sigmoid() { super("sigmoid", Trait.ACTIVATION, Trait.QUANTIZABLE); }

    @Override
    public String summary() { return "1 / (1 + e^-x)"; }

    @Override
    protected double apply(double x, Attrs a) { return sigmoid(x); }

    /** The logistic function; {@code e^-|x|} never overflows, so large |x| give exactly 0 or 1 without NaN. */
    public static double sigmoid(double x) {
        if (x >= 0) return 1.0 / (1.0 + Math.exp(-x));
        double e = Math.exp(x);
        return e / (1.0 + e);
    }
}
