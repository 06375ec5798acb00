package dev.kiln.quant;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;

/**
 * Compile-time quantization arithmetic of the int8 scheme: activation parameters from a real range (asymmetric,
 * per tensor), symmetric per-channel weights, int32 biases, and the worst-case accumulator bound that decides
 * whether a layer may be lowered at all.
 */
public final class QuantMath {
    private QuantMath() {}

    /**
     * Asymmetric int8 parameters covering {@code [lo, hi]} (widened to include 0, so 0 is exact):
     * {@code scale = (hi - lo) / 255}, {@code zero_point = round(-128 - lo / scale)} clamped into int8. A range of
     * one point gets scale 1/255 around it.
     */
    public static QuantParams activation(double lo, double hi) {
        lo = Math.min(lo, 0);
        hi = Math.max(hi, 0);
        if (!(hi - lo > 1e-12) || !Double.isFinite(hi - lo)) {
            if (!Double.isFinite(lo) || !Double.isFinite(hi)) throw new IllegalArgumentException("range is not finite: [" + lo + ", " + hi + "]");
            hi = lo + 1.0;
        }
        float scale = (float) ((hi - lo) / 255.0);
        long zp = Math.round(-128 - lo / scale);
        return QuantParams.perTensor(scale, Math.max(-128, Math.min(127, zp)));
    }

    /** Symmetric per-channel int8 weights: the data ({@code q = round(w / s[c])} in [-127, 127]) and its parameters. */
    public record Weights(NdArray data, QuantParams params) {}

    /**
     * Quantizes float weights symmetrically per channel along {@code axis}: {@code s[c] = max |w[c]| / 127} (1 for an
     * all-zero channel), {@code q = clamp(round_half_even(w / s[c]), -127, 127)}, zero point 0.
     */
    public static Weights weights(NdArray w, int axis) { return weights(w, axis, null); }

    /**
     * Like {@link #weights(NdArray, int)}, each channel's scale raised to at least {@code minScale[c]} (null: no
     * floor). A channel whose weights all but vanished (weight decay leaves such "dead" channels) would otherwise
     * get a scale so small that its bias overflows int32; see {@link #biasFloor}.
     */
    public static Weights weights(NdArray w, int axis, double[] minScale) { return weights(w, axis, minScale, DType.I8); }

    /**
     * Like {@link #weights(NdArray, int, double[])} in {@code type}, i8 or i4: i4 weights take
     * {@code s[c] = max |w[c]| / 7} and {@code q = clamp(round_half_even(w / s[c]), -7, 7)} (symmetric, so -8 is
     * never used), stored as i4 and used by the int8 products as int8 values.
     */
    public static Weights weights(NdArray w, int axis, double[] minScale, DType type) {
        if (type != DType.I8 && type != DType.I4) throw new IllegalArgumentException("weights are i8 or i4, not " + type);
        long qmax = type.maxValue();
        Shape s = w.shape();
        int channels = s.dim(axis), inner = 1;
        for (int i = axis + 1; i < s.rank(); i++) inner *= s.dim(i);
        double[] v = w.toDoubleArray();
        double[] amax = new double[channels];
        for (int i = 0; i < v.length; i++) {
            int c = (i / inner) % channels;
            amax[c] = Math.max(amax[c], Math.abs(v[i]));
        }
        float[] scale = new float[channels];
        for (int c = 0; c < channels; c++) {
            double sc = amax[c] > 0 ? amax[c] / qmax : 1.0;
            if (minScale != null) sc = Math.max(sc, minScale[c]);
            scale[c] = (float) sc;
        }
        long[] q = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            long r = (long) Math.rint(v[i] / scale[(i / inner) % channels]);
            q[i] = Math.max(-qmax, Math.min(qmax, r));
        }
        return new Weights(NdArray.ofLongs(type, s, q), new QuantParams(scale, new long[channels], axis));
    }

    /**
     * Quantizes float weights with given parameters (a quantized model's own, from its annotation):
     * {@code q = clamp(round_half_even(w / s[c]) + z[c], -128, 127)}, per tensor or per channel along {@code axis};
     * null when the parameters do not fit (another axis or channel count).
     */
    public static Weights weightsWith(NdArray w, QuantParams p, int axis) {
        Shape s = w.shape();
        int channels = s.dim(axis), inner = 1;
        if (p.perChannel() && (p.axis() != axis || p.channels() != channels)) return null;
        for (int i = axis + 1; i < s.rank(); i++) inner *= s.dim(i);
        long[] q = new long[w.size()];
        for (int i = 0; i < q.length; i++) {
            int c = p.perChannel() ? (i / inner) % channels : 0;
            long r = (long) Math.rint(w.getDouble(i) / p.scale(c)) + p.zeroPoint(c);
            q[i] = Math.max(-128, Math.min(127, r));
        }
        return new Weights(NdArray.ofLongs(DType.I8, s, q), p);
    }

    /**
     * Weights {@code r} stored as int4 when every value lies in int4's range (a quantized model's int4 grid,
     * requantized exactly); {@code r} itself otherwise.
     */
    public static Weights narrowToInt4(Weights r) {
        NdArray d = r.data();
        for (int i = 0; i < d.size(); i++) if (d.getLong(i) < DType.I4.minValue() || d.getLong(i) > DType.I4.maxValue()) return r;
        return new Weights(d.cast(DType.I4), r.params());
    }

    /**
     * The int32 bias {@code round_half_even(b[c] / (s_x * s_w[c]))}, or null when a value does not fit in int32.
     * {@code b} may be null (no bias): then null too.
     */
    public static NdArray bias(double[] b, float xScale, QuantParams w) {
        if (b == null) return null;
        long[] q = new long[b.length];
        for (int c = 0; c < b.length; c++) {
            double r = Math.rint(b[c] / ((double) xScale * w.scale(w.perChannel() ? c : 0)));
            if (!(Math.abs(r) <= Integer.MAX_VALUE)) return null;
            q[c] = (long) r;
        }
        return NdArray.ofLongs(DType.I32, Shape.of(b.length), q);
    }

    /**
     * The smallest weight scale per channel that keeps the int32 bias within 2^30 in magnitude (half the int32
     * range, the rest left to the products): {@code |b[c]| / (s_x 2^30)}; null when there is no bias.
     */
    public static double[] biasFloor(double[] b, float xScale) {
        if (b == null) return null;
        double[] r = new double[b.length];
        for (int c = 0; c < b.length; c++) r[c] = Math.abs(b[c]) / ((double) xScale * 0x1p30);
        return r;
    }

    /** The largest {@code |x - z_x|} an int8 input with parameters {@code x} can give. */
    public static long maxAbsInput(QuantParams x) {
        long z = x.zeroPoint(0);
        return Math.max(127 - z, z + 128);
    }

    /**
     * Whether every output channel's accumulator stays inside int32 in the worst case:
     * {@code max|x - z_x| * sum over the channel's weights |w| + |bias|}, where {@code absWeightSums[c]} is the
     * channel's sum of |w| (at most taps × 127) and {@code bias} may be null.
     */
    public static boolean accumulatorFits(QuantParams x, long[] absWeightSums, NdArray bias) {
        long ax = maxAbsInput(x);
        for (int c = 0; c < absWeightSums.length; c++) {
            long b = bias == null ? 0 : Math.abs(bias.getLong(c));
            if (ax * absWeightSums[c] + b > Integer.MAX_VALUE) return false;
        }
        return true;
    }

    /** Per channel along {@code axis}, the sum of |q| of int8 weights. */
    public static long[] absSums(NdArray q, int axis) {
        Shape s = q.shape();
        int channels = s.dim(axis), inner = 1;
        for (int i = axis + 1; i < s.rank(); i++) inner *= s.dim(i);
        long[] r = new long[channels];
        long[] v = q.longs();
        for (int i = 0; i < v.length; i++) r[(i / inner) % channels] += Math.abs(v[i]);
        return r;
    }

    /** {@code q = saturate(round_half_even(v / s) + z)} into int8, for one real value. */
    public static long quantize(double v, QuantParams q) {
        double r = Math.rint(v / q.scale(0));
        r = Math.max(-1e6, Math.min(1e6, r));
        return Math.max(-128, Math.min(127, (long) r + q.zeroPoint(0)));
    }
}
