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

    /** Significant bits of a compact multiplier's mantissa ({@link #compact}). */
    public static final int COMPACT_BITS = 11;
    /** Bits of a packed multiplier that hold the shift above the layer's base ({@link #pack}). */
    public static final int PACKED_SHIFT_BITS = 5;

    /**
     * The fixed-point form of {@code m} with an 11-bit mantissa: {@code m = q * 2^e}, {@code mant = round(q * 2^11)}
     * in [2^10, 2^11) (a round up to 2^11 becomes 2^10 with the exponent one higher), Q31 multiplier
     * {@code mant * 2^20} and shift e; multipliers below 2^-40 become 0. Its relative error is at most 2^-11, under
     * 0.07 of an output step for any int8 result, and it packs into 16 bits per channel ({@link #pack}).
     */
    public static Multiplier compact(double m) {
        Multiplier f = of(m);
        if (f.multiplier() == 0) return f;
        int e = Math.getExponent(m) + 1;
        long mant = Math.round(m / Math.pow(2, e) * (1 << COMPACT_BITS));
        if (mant == (1L << COMPACT_BITS)) {
            mant >>= 1;
            e++;
        }
        return new Multiplier((int) (mant << (31 - COMPACT_BITS)), e);
    }

    /** Whether {@code m} is a compact multiplier (0, or an 11-bit mantissa in the Q31 word's top bits). */
    public static boolean isCompact(Multiplier m) {
        return m.multiplier() == 0 || (m.multiplier() & ((1 << (31 - COMPACT_BITS)) - 1)) == 0;
    }

    /**
     * Packs a compact multiplier into 16 bits: {@code mantissa << 5 | (shift - base)}, the shift above the layer's
     * {@code base} in [0, 31] (a zero multiplier packs as 0). The C twin of {@link #unpack} is
     * {@code kiln_packed_multiplier} / {@code kiln_packed_shift}.
     */
    public static int pack(Multiplier m, int base) {
        if (!isCompact(m)) throw new IllegalArgumentException("not a compact multiplier: " + m);
        if (m.multiplier() == 0) return 0;
        int off = m.shift() - base;
        if (off < 0 || off >= (1 << PACKED_SHIFT_BITS))
            throw new IllegalArgumentException("shift " + m.shift() + " is not within 31 of base " + base);
        return (m.multiplier() >>> (31 - COMPACT_BITS)) << PACKED_SHIFT_BITS | off;
    }

    /** The multiplier a 16-bit {@link #pack packed} word stands for, with the layer's {@code base} shift. */
    public static Multiplier unpack(int packed, int base) {
        return new Multiplier((packed >>> PACKED_SHIFT_BITS) << (31 - COMPACT_BITS), base + (packed & ((1 << PACKED_SHIFT_BITS) - 1)));
    }

    /** The Taylor coefficients of {@code 2^y = sum (ln 2)^k / k! y^k}, k = 0..8, in Q30 (as in kiln_exp2_neg_q16). */
    static final long[] EXP2_Q30 = {1073741824L, 744261118L, 257941248L, 59597083L, 10327387L, 1431680L, 165394L, 16377L, 1419L};

    /**
     * {@code 2^(-t / 2^16)} in Q16 for {@code t >= 0}, i.e. {@code round(2^16 * 2^-(n + f))} with n = t / 2^16 and
     * f the Q16 fraction, without a table and without float: {@code 2^(1 - f)} in Q30 by Horner's rule over
     * {@link #EXP2_Q30} with truncating shifts (every term is positive), then one rounding right shift by
     * {@code 15 + n} bits; shifts past 40 bits give 0. The C twin is {@code kiln_exp2_neg_q16}.
     */
    public static int exp2NegQ16(int t) {
        if (t < 0) throw new IllegalArgumentException("exponent must not be negative, got " + t);
        int n = t >>> 16;
        long y = 65536 - (t & 0xFFFF);          // 1 - f in Q16, in (0, 1]
        long p = EXP2_Q30[EXP2_Q30.length - 1];
        for (int k = EXP2_Q30.length - 2; k >= 0; k--) p = EXP2_Q30[k] + ((p * y) >> 16);
        int right = 15 + n;
        if (right > 40) return 0;
        return (int) ((p + (1L << (right - 1))) >> right);
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
