package dev.kiln.ir;

/**
 * Encodes, decodes and rounds the narrow float types ONNX defines: bfloat16 (round to nearest even, NaN kept),
 * the float8 types E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ and float4 E2M1, with ONNX Cast's saturate rules. Rounding
 * is to nearest, ties to even. With {@code saturate} a value beyond the largest finite one, infinities included,
 * becomes that largest value (sign kept); without it, it becomes infinity for E5M2 and NaN for the types that have
 * no infinity. NaN stays NaN (float4 has none: it becomes -0, as the ONNX reference stores it). The FNUZ types have
 * no negative zero: -0 encodes as +0. E8M0 (powers of two 2^-127 to 2^127, 0xFF NaN, no sign) rounds by a mode:
 * up (the default), down or nearest ({@link #encodeE8M0}).
 */
public final class SmallFloats {
    private SmallFloats() {}

    /** One narrow format: its field widths, exponent bias, specials and the value of each code. */
    private static final class Format {
        final int bits, mbits, bias, maxCode, signBit, nanCode;
        final boolean hasInf, uz;
        final float[] values; // the non-negative finite values, by code 0..maxCode

        Format(int bits, int mbits, int bias, int maxCode, int nanCode, boolean hasInf, boolean uz) {
            this.bits = bits;
            this.mbits = mbits;
            this.bias = bias;
            this.maxCode = maxCode;
            this.nanCode = nanCode;
            this.hasInf = hasInf;
            this.uz = uz;
            this.signBit = 1 << (bits - 1);
            values = new float[maxCode + 1];
            for (int c = 0; c <= maxCode; c++) {
                int e = c >> mbits, m = c & ((1 << mbits) - 1);
                values[c] = e == 0 ? (float) Math.scalb((double) m, 1 - bias - mbits)
                        : (float) Math.scalb(1.0 + m / (double) (1 << mbits), e - bias);
            }
        }
    }

    private static final Format E4M3FN = new Format(8, 3, 7, 0x7E, 0x7F, false, false);
    private static final Format E4M3FNUZ = new Format(8, 3, 8, 0x7F, 0x80, false, true);
    private static final Format E5M2 = new Format(8, 2, 15, 0x7B, 0x7F, true, false);
    private static final Format E5M2FNUZ = new Format(8, 2, 16, 0x7F, 0x80, false, true);
    private static final Format E2M1 = new Format(4, 1, 1, 0x7, 0x8, false, false);

    private static Format format(DType t) {
        switch (t) {
            case F8E4M3FN: return E4M3FN;
            case F8E4M3FNUZ: return E4M3FNUZ;
            case F8E5M2: return E5M2;
            case F8E5M2FNUZ: return E5M2FNUZ;
            case F4E2M1: return E2M1;
            default: throw new IllegalArgumentException(t + " is not a float8 or float4 type");
        }
    }

    /** The code of {@code v} in type {@code t} (bf16, float8 or float4), rounded to nearest even. */
    public static int encode(DType t, float v, boolean saturate) {
        if (t == DType.BF16) return bf16Bits(v);
        if (t == DType.F8E8M0) return encodeE8M0(v, "up", saturate);
        Format f = format(t);
        int sign = Float.floatToRawIntBits(v) < 0 ? f.signBit : 0;
        if (Float.isNaN(v)) return f.nanCode;
        float a = Math.abs(v);
        int code;
        if (a >= f.values[f.maxCode]) {
            float max = f.values[f.maxCode], ulp = max - f.values[f.maxCode - 1];
            float mid = max + ulp / 2;
            boolean fits = a < mid || (a == mid && (f.maxCode & 1) == 0);
            if (fits || saturate || f.bits == 4) code = f.maxCode;
            else if (f.hasInf) code = 0x7C;
            else return f.uz ? f.nanCode : sign | f.nanCode;
        } else {
            int lo = 0, hi = f.maxCode; // values[lo] <= a < values[hi]
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                if (f.values[mid] <= a) lo = mid;
                else hi = mid;
            }
            float dl = a - f.values[lo], dh = f.values[hi] - a;
            code = dl < dh ? lo : dh < dl ? hi : ((lo & 1) == 0 ? lo : hi);
        }
        if (code == 0 && f.uz) return 0;
        return sign | code;
    }

    /** The value of code {@code c} of type {@code t} (bf16, float8 or float4). */
    public static float decode(DType t, int c) {
        if (t == DType.BF16) return Float.intBitsToFloat((c & 0xFFFF) << 16);
        if (t == DType.F8E8M0) return (c & 0xFF) == 0xFF ? Float.NaN : Math.scalb(1f, (c & 0xFF) - 127);
        Format f = format(t);
        c &= (1 << f.bits) - 1;
        if (f.uz && c == f.nanCode) return Float.NaN;
        boolean neg = (c & f.signBit) != 0;
        int mag = c & (f.signBit - 1);
        if (!f.uz && f.bits == 8) {
            if (f.hasInf && mag == 0x7C) return neg ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
            if (mag > f.maxCode) return Float.NaN;
        }
        float v = f.values[mag];
        return neg ? -v : v;
    }

    /**
     * The E8M0 code of {@code |v|}: the power of two at or above it ({@code up}), at or below it ({@code down}), or
     * the nearer one, halfway rounding up ({@code nearest}); 0 and anything below 2^-127 give 2^-127 (code 0); above
     * 2^127, or infinity, the largest code 0xFE with {@code saturate}, else NaN (0xFF).
     */
    public static int encodeE8M0(float v, String roundMode, boolean saturate) {
        if (Float.isNaN(v)) return 0xFF;
        double a = Math.abs((double) v);
        if (Double.isInfinite(a)) return saturate ? 0xFE : 0xFF;
        int lo = Math.getExponent(a);
        double p = Math.scalb(1.0, lo);
        int e;
        switch (roundMode) {
            case "down": e = lo; break;
            case "nearest": e = a >= 1.5 * p ? lo + 1 : lo; break;
            default: e = a == p ? lo : lo + 1; break;
        }
        int code = e + 127;
        if (code < 0) return 0;
        if (code > 0xFE) return saturate ? 0xFE : 0xFF;
        return code;
    }

    /** {@code v} rounded to type {@code t} (bf16, float8 or float4) with the given saturate rule. */
    public static float round(DType t, float v, boolean saturate) { return decode(t, encode(t, v, saturate)); }

    /** bfloat16 bits of {@code v}: round to nearest even; NaN stays a quiet NaN of the same sign. */
    private static int bf16Bits(float v) {
        int b = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return ((b >>> 16) & 0x8000) | 0x7FC0;
        return ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16) & 0xFFFF;
    }
}
