package dev.kiln.quant;

/**
 * Fixed-point requantization, the one Java definition (its C twin is {@code kiln_requantize_q31} in
 * runtime-c/kiln_runtime.h, and tests compare them on random data).
 *
 * <p>A real multiplier {@code M} (0 &lt; M &lt; 2^15) is represented as an int32 {@code m} in Q31 with
 * {@code 2^30 <= m < 2^31} and an exponent {@code shift}: {@code M ~= m * 2^(shift - 31)}. Requantizing an int32
 * accumulator is then one int64 product and one rounding right shift by {@code 31 - shift} bits:
 * {@code round(acc * m / 2^(31 - shift))}. The rounding rule is <b>round half away from zero</b> (a tie of
 * -2.5 gives -3, of 2.5 gives 3), computed on the magnitude so that no right shift of a negative number is ever
 * needed. Results beyond the int32 range saturate to it; a shift of more than 62 bits gives 0 (every product is
 * below 2^62 in magnitude, so its rounded quotient is 0).
 */
public final class FixedPoint {
    private FixedPoint() {}

    /** The largest multiplier {@link #of} accepts (exclusive). */
    public static final double MAX_MULTIPLIER = 32768.0;

    /** A multiplier in fixed point: {@code M ~= multiplier * 2^(shift - 31)}; multiplier 0 means M = 0. */
    public record Multiplier(int multiplier, int shift) {
        /** The real number this multiplier stands for. */
        public double real() { return multiplier * Math.pow(2, shift - 31); }

        /** {@code round(acc * M)} (see {@link FixedPoint#requantize(int, int, int)}). */
        public int apply(int acc) { return requantize(acc, multiplier, shift); }
    }

    /**
     * The fixed-point form of {@code m} (0 &lt;= m &lt; 2^15): {@code m = q * 2^e} with q in [0.5, 1), the Q31
     * mantissa {@code round(q * 2^31)} (if that rounds up to 2^31 it becomes 2^30 and the exponent grows by one)
     * and {@code shift = e}. Multipliers below 2^-40 become 0 (they turn any int32 into 0 or ±1 at most in
     * ties that cannot occur).
     */
    public static Multiplier of(double m) {
        if (!(m >= 0) || !(m < MAX_MULTIPLIER) || Double.isInfinite(m))
            throw new IllegalArgumentException("fixed-point multiplier must be in [0, 2^15), got " + m);
        if (m < 0x1p-40) return new Multiplier(0, 0);
        int e = Math.getExponent(m) + 1;            // m = q * 2^e with q in [0.5, 1)
        double q = m / Math.pow(2, e);
        long mant = Math.round(q * 0x1p31);
        if (mant == (1L << 31)) {
            mant >>= 1;
            e++;
        }
        return new Multiplier((int) mant, e);
    }

    /**
     * {@code round_half_away(acc * m / 2^(31 - shift))} saturated to int32: one int64 product, one rounding right
     * shift. {@code shift} must be at most 30 (so the right shift is at least one bit); shifts past 62 bits give 0.
     */
    public static int requantize(int acc, int m, int shift) {
        int right = 31 - shift;
        if (right < 1) throw new IllegalArgumentException("shift must be at most 30, got " + shift);
        if (right > 62) return 0;
        long p = (long) acc * (long) m;
        long half = 1L << (right - 1);
        long r = p >= 0 ? (p + half) >> right : -((-p + half) >> right);
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, r));
    }

    /** {@code clamp(v + zeroPoint, lo, hi)} without overflow (the twin of {@code kiln_add_zp_clamp}). */
    public static int addZeroPointAndClamp(int v, int zeroPoint, int lo, int hi) {
        if (v > hi - zeroPoint) return hi;
        if (v < lo - zeroPoint) return lo;
        return v + zeroPoint;
    }

    /** The whole requantization of an accumulator: {@code clamp(round(acc * M) + zeroPoint, lo, hi)}. */
    public static int requantize(int acc, Multiplier m, int zeroPoint, int lo, int hi) {
        return addZeroPointAndClamp(requantize(acc, m.multiplier(), m.shift()), zeroPoint, lo, hi);
    }

    /** {@code round_half_away(num / den)} for int64 {@code num} and positive {@code den} (integer average pools). */
    public static long roundedDivide(long num, long den) {
        if (den <= 0) throw new IllegalArgumentException("divisor must be positive, got " + den);
        return num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
    }
}
