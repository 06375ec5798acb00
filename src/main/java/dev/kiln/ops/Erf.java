package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = erf(x)}, the Gauss error function; {@link #erf} and {@link #erfc} are Kiln's one definition of it. */
public final class Erf extends UnaryFloatOp {
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    private static final double ONE_OVER_SQRT_PI = 1.0 / Math.sqrt(Math.PI);
    /** Below this |x| the power series is used, above it the continued fraction of erfc. */
    private static final double SERIES_LIMIT = 3.0;
    /** Below this |x|, erfc is 1 - erf by the series; above it the continued fraction keeps erfc's relative precision. */
    private static final double ERFC_SERIES_LIMIT = 1.5;

    public Erf() { super("erf"); }

    @Override
    public String summary() { return "Gauss error function erf(x)"; }

    @Override
    protected double apply(double x, Attrs a) { return erf(x); }

    /** The error function, accurate to a few units in the last place of a double. */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax <= SERIES_LIMIT) return series(x);
        double r = 1.0 - erfcContinuedFraction(ax);
        return x < 0 ? -r : r;
    }

    /** The complementary error function {@code 1 - erf(x)}, with full relative precision for large positive x. */
    public static double erfc(double x) {
        if (Double.isNaN(x)) return x;
        if (Math.abs(x) <= ERFC_SERIES_LIMIT) return 1.0 - series(x);
        double c = erfcContinuedFraction(Math.abs(x));
        return x < 0 ? 2.0 - c : c;
    }

    /**
     * {@code erf(x) = 2/sqrt(pi) * e^(-x^2) * sum_n (2x^2)^n x / (1*3*...*(2n+1))}: every term has the sign
     * of x, so nothing cancels; for |x| <= 3 it converges within about 60 terms.
     */
    private static double series(double x) {
        double x2 = 2.0 * x * x;
        double term = x, sum = x;
        for (int n = 1; n < 200; n++) {
            term *= x2 / (2 * n + 1);
            sum += term;
            if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
        }
        return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
    }

    /**
     * {@code erfc(x) = e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))} for x > 0,
     * evaluated forwards with the modified Lentz method.
     */
    private static double erfcContinuedFraction(double x) {
        if (Double.isInfinite(x)) return 0.0;
        final double tiny = 1e-300;
        double f = x, c = x, d = 0.0;
        for (int k = 1; k < 500; k++) {
            double ak = 0.5 * k;
            d = x + ak * d;
            d = Math.abs(d) < tiny ? 1 / tiny : 1.0 / d;
            c = x + ak / c;
            if (Math.abs(c) < tiny) c = tiny;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-16) break;
        }
        return Math.exp(-x * x) * ONE_OVER_SQRT_PI / f;
    }
}
