package dev.kiln.ops;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.quant.FixedPoint;
import java.util.List;

/**
 * Kiln's int8 addition (numpy broadcasting), TFLite-style: both operands, each with its own per-tensor scale and
 * zero point, are moved to a common fixed-point scale: {@code a' = round(((a - z_a) << 20) * s_a / (2 max(s_a, s_b)))}
 * and likewise b'; then {@code y = clamp(round((a' + b') * 2 max(s_a, s_b) / (2^20 out_scale)) + out_zero_point,
 * act_min, act_max)}, every multiplier in fixed point ({@link FixedPoint}). The left shift of 20 keeps about 20
 * bits of precision for the smaller operand; all intermediates stay far inside int32.
 */
public final class Qadd extends OpDef {
    /** The left shift applied to both operands before rescaling. */
    public static final int LEFT_SHIFT = 20;

    public Qadd() {
        super("qadd", QuantAttrs.addOut(Signature.builder().input("A", "B").output("C")).build(), Trait.ELEMENTWISE, Trait.INTEGER);
    }

    @Override
    public String summary() { return "int8 addition of operands with their own scales, rescaled in fixed point, clamp"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        QuantAttrs.activation(cx, 0);
        QuantAttrs.activation(cx, 1);
        Shape s;
        try {
            s = Broadcast.shape(cx.shape(0), cx.shape(1));
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        return List.of(QuantAttrs.outType(cx, s));
    }

    /** The three multipliers: operand A's, operand B's (both onto the common scale) and the output's. */
    public static FixedPoint.Multiplier[] multipliers(QuantParams a, QuantParams b, double outScale) {
        double twiceMax = 2.0 * Math.max(a.scale(0), b.scale(0));
        return new FixedPoint.Multiplier[] {
            FixedPoint.of(a.scale(0) / twiceMax),
            FixedPoint.of(b.scale(0) / twiceMax),
            FixedPoint.of(twiceMax / ((double) (1 << LEFT_SHIFT) * (float) outScale))
        };
    }

    /** The multipliers of a qadd node (see {@link #multipliers(QuantParams, QuantParams, double)}). */
    public static FixedPoint.Multiplier[] multipliers(Node n) {
        return multipliers(n.input(0).type().quant(), n.input(1).type().quant(), n.attrs().getFloat(QuantAttrs.OUT_SCALE));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray a = cx.input(0), b = cx.input(1);
        QuantParams qa = QuantAttrs.params(cx, 0), qb = QuantAttrs.params(cx, 1);
        FixedPoint.Multiplier[] m = multipliers(qa, qb, cx.attrs().getFloat(QuantAttrs.OUT_SCALE));
        NdArray y = cx.newOutput(0);
        int[] ia = Broadcast.indexMap(a.shape(), y.shape()), ib = Broadcast.indexMap(b.shape(), y.shape());
        long[] av = a.longs(), bv = b.longs(), out = y.longs();
        int zp = (int) cx.attrs().getInt(QuantAttrs.OUT_ZERO_POINT), lo = (int) cx.attrs().getInt(QuantAttrs.ACT_MIN), hi = (int) cx.attrs().getInt(QuantAttrs.ACT_MAX);
        for (int i = 0; i < out.length; i++) out[i] = add(av[ia[i]], qa, bv[ib[i]], qb, m, zp, lo, hi);
        return List.of(y);
    }

    /** One element of qadd: {@code a} and {@code b} with their parameters and the multipliers of {@link #multipliers(QuantParams, QuantParams, double)}. */
    private static long add(long a, QuantParams qa, long b, QuantParams qb, FixedPoint.Multiplier[] m, int zp, int lo, int hi) {
        int x1 = m[0].apply(((int) a - (int) qa.zeroPoint(0)) << LEFT_SHIFT);
        int x2 = m[1].apply(((int) b - (int) qb.zeroPoint(0)) << LEFT_SHIFT);
        return FixedPoint.requantize(x1 + x2, m[2], zp, lo, hi);
    }

    /**
     * Element-wise qadd of two same-shaped int8 arrays into {@code out} (which may be either of them): what a qconv
     * with a residual computes after its own requantization, so both stay one definition.
     */
    public static void addInto(long[] a, QuantParams qa, long[] b, QuantParams qb, double outScale, int zp, int lo, int hi, long[] out) {
        FixedPoint.Multiplier[] m = multipliers(qa, qb, outScale);
        for (int i = 0; i < out.length; i++) out[i] = add(a[i], qa, b[i], qb, m, zp, lo, hi);
    }
}
