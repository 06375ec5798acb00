package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.quant.FixedPoint;

/**
 * What Kiln's integer ops (qconv, qmatmul, qadd, qaverage_pool, requantize, qlookup, qsoftmax) share: the output
 * attributes {@code out_scale}, {@code out_zero_point} and the clamp {@code act_min}, {@code act_max} (a fused
 * activation as a clamp of the quantized range), the int8 output type they give, and the operands'
 * quantization parameters, which come from the operand types (never from attributes).
 */
public final class QuantAttrs {
    /** Output scale, output zero point and the clamp of the quantized result. */
    public static final String OUT_SCALE = "out_scale", OUT_ZERO_POINT = "out_zero_point", ACT_MIN = "act_min", ACT_MAX = "act_max";
    /**
     * 1: per-channel requantization multipliers in the compact 11-bit form ({@link FixedPoint#compact}, 16 bits of
     * flash per channel); 0 (the default): full Q31 multipliers, the faithful form.
     */
    public static final String COMPACT_MULTIPLIERS = "compact_multipliers";

    private QuantAttrs() {}

    /** Adds {@code out_scale} (required), {@code out_zero_point} (0) and {@code act_min}/{@code act_max} (-128/127). */
    static Signature.Builder addOut(Signature.Builder b) {
        return b.requiredAttr(OUT_SCALE, AttrType.FLOAT).attr(OUT_ZERO_POINT, AttrType.INT, 0L)
                .attr(ACT_MIN, AttrType.INT, -128L).attr(ACT_MAX, AttrType.INT, 127L);
    }

    /** The output's quantization parameters: per tensor, {@code out_scale} (as float) and {@code out_zero_point}. */
    public static QuantParams outParams(Attrs a) {
        return QuantParams.perTensor((float) a.getFloat(OUT_SCALE), a.getInt(OUT_ZERO_POINT));
    }

    /** Checks the output attributes and returns the int8 output type of shape {@code s}. */
    static TensorType outType(InferContext cx, Shape s) {
        Attrs a = cx.attrs();
        double scale = a.getFloat(OUT_SCALE);
        cx.check(scale > 0 && Float.isFinite((float) scale) && (float) scale > 0, "out_scale must be a positive finite float, got %s", scale);
        long zp = a.getInt(OUT_ZERO_POINT), lo = a.getInt(ACT_MIN), hi = a.getInt(ACT_MAX);
        cx.check(zp >= -128 && zp <= 127, "out_zero_point must be in [-128, 127], got %d", zp);
        cx.check(lo >= -128 && hi <= 127 && lo <= hi, "act_min and act_max must satisfy -128 <= act_min <= act_max <= 127, got %d and %d", lo, hi);
        return new TensorType(DType.I8, s, outParams(a));
    }

    /**
     * Checks that input {@code i} is an int8 (or uint8) tensor with per-tensor quantization parameters and returns
     * them.
     */
    static QuantParams activation(InferContext cx, int i) {
        cx.checkDType(i, DType.I8, DType.U8);
        QuantParams q = cx.input(i).quant();
        cx.check(q != null, "input %d (%s) has no quantization parameters", i, cx.input(i));
        cx.check(!q.perChannel(), "input %d must be quantized per tensor, got %s", i, q);
        cx.check(q.scale(0) > 0, "input %d must have a positive scale, got %s", i, q);
        return q;
    }

    /**
     * Checks that input {@code i} is an int8 (or int4) weight quantized per tensor or per channel along {@code axis} (with
     * {@code channels} channels) and returns its parameters.
     */
    static QuantParams weight(InferContext cx, int i, int axis, int channels) {
        // why: int4 weights (--weights int4) are int8 values in [-8, 7], stored packed by the backends
        cx.checkDType(i, DType.I8, DType.I4);
        QuantParams q = cx.input(i).quant();
        cx.check(q != null, "weight input %d (%s) has no quantization parameters", i, cx.input(i));
        cx.check(!q.perChannel() || (q.axis() == axis && q.channels() == channels),
                "weight input %d must be quantized per tensor or per channel along axis %d (%d channels), got %s", i, axis, channels, q);
        for (int c = 0; c < q.channels(); c++) cx.check(q.scale(c) > 0, "weight input %d must have positive scales, got %s", i, q);
        return q;
    }

    /** Input {@code i}'s quantization parameters during evaluation (from the node's static input types). */
    static QuantParams params(EvalContext cx, int i) {
        TensorType t = cx.inputType(i);
        if (t == null || t.quant() == null)
            throw new IllegalArgumentException("input " + i + " has no quantization parameters (evaluate with the node's input types)");
        return t.quant();
    }

    /** The value of a per-tensor or per-channel parameter for channel {@code c}. */
    static float scale(QuantParams q, int c) { return q.scale(q.perChannel() ? c : 0); }

    static long zeroPoint(QuantParams q, int c) { return q.zeroPoint(q.perChannel() ? c : 0); }

    /** Adds {@link #COMPACT_MULTIPLIERS} (default 0: Q31 multipliers) to a product op's signature. */
    static Signature.Builder addCompact(Signature.Builder b) { return b.attr(COMPACT_MULTIPLIERS, AttrType.INT, 0L); }

    /**
     * The per-channel requantization multipliers of a product: {@code M[c] = s_x * s_w[c] / s_out}, in fixed point:
     * Q31 ({@link FixedPoint#of}), or, for weights quantized per channel when {@code compact} (a flash-size choice),
     * {@link FixedPoint#compact compact} with an 11-bit mantissa, so that each channel's multiplier and shift fit in
     * 16 bits. The compact form's relative error (up to 2^-12) moves results near a rounding boundary by one step,
     * which layers with a gain above 1 amplify: the faithful Q31 form is the default.
     */
    public static FixedPoint.Multiplier[] productMultipliers(QuantParams x, QuantParams w, double outScale, int channels, boolean compact) {
        FixedPoint.Multiplier[] r = new FixedPoint.Multiplier[channels];
        for (int c = 0; c < channels; c++) {
            double m = (double) x.scale(0) * (double) scale(w, c) / (double) (float) outScale;
            r[c] = w.perChannel() && compact ? FixedPoint.compact(m) : FixedPoint.of(m);
        }
        return r;
    }

    /** Whether a node's attributes ask for compact multipliers. */
    static boolean compact(Attrs a) { return a.getInt(COMPACT_MULTIPLIERS) != 0; }

    /** Requantizes int32 accumulators laid out [.., channels, plane] per channel into int8 with the node's out attrs. */
    static void requantizeInto(int[] acc, FixedPoint.Multiplier[] m, int plane, Attrs a, long[] out) {
        int zp = (int) a.getInt(OUT_ZERO_POINT), lo = (int) a.getInt(ACT_MIN), hi = (int) a.getInt(ACT_MAX);
        int channels = m.length;
        for (int i = 0; i < acc.length; i++) out[i] = FixedPoint.requantize(acc[i], m[(i / plane) % channels], zp, lo, hi);
    }
}
