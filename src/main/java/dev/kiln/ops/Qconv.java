package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.quant.FixedPoint;
import java.util.List;

/**
 * Kiln's int8 convolution: X i8 [N, C, in...] (per-tensor scale s_x, zero point z_x), W i8 [M, C / group, k...]
 * (symmetric, per output channel along axis 0 or per tensor, scales s_w), optional bias B i32 [M] (scale
 * s_x * s_w[m], zero point 0). The accumulator {@code acc = B[m] + sum (x - z_x) * (w - z_w[m])} is exact int32
 * (padding reads x = z_x, i.e. contributes nothing); the output is
 * {@code clamp(round(acc * M[m]) + out_zero_point, act_min, act_max)} with {@code M[m] = s_x * s_w[m] / out_scale}
 * in fixed point ({@link FixedPoint}). Same window attributes as {@link Conv}, plus {@code group}.
 *
 * <p>An optional residual Z i8 (the output's shape, per tensor) makes it a qconv followed by a {@link Qadd}: the int8
 * value above is added to Z element for element exactly as qadd adds its two operands, and the {@code sum_*}
 * attributes are that qadd's output scale, zero point and clamp (the output's type); {@code out_*} and {@code act_*}
 * stay the conv's own requantization. Z is read at each element just before that element is written, so the
 * output may take Z's buffer.
 */
public final class Qconv extends OpDef {
    /** With a residual Z: the output's scale, zero point and clamp (those of the qadd the conv absorbed). */
    public static final String SUM_SCALE = "sum_scale", SUM_ZERO_POINT = "sum_zero_point", SUM_ACT_MIN = "sum_act_min", SUM_ACT_MAX = "sum_act_max";

    public Qconv() {
        super("qconv", QuantAttrs.addCompact(QuantAttrs.addOut(ConvGeometry.windowAttrs(Signature.builder().input("X", "W").optionalInput("B", "Z").output("Y"))
                .attr("group", AttrType.INT, 1L).attr(SUM_SCALE, AttrType.FLOAT, 0.0).attr(SUM_ZERO_POINT, AttrType.INT, 0L)
                .attr(SUM_ACT_MIN, AttrType.INT, -128L).attr(SUM_ACT_MAX, AttrType.INT, 127L))).build(), Trait.MAC, Trait.INTEGER);
    }

    @Override
    public String summary() { return "int8 convolution: int32 accumulation, fixed-point requantization per output channel, clamp"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        QuantAttrs.activation(cx, 0);
        ConvGeometry g;
        try {
            g = ConvGeometry.forConv(cx.attrs(), cx.shape(0), cx.shape(1));
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        int m = cx.shape(1).dim(0);
        QuantAttrs.weight(cx, 1, 0, m);
        if (cx.has(2)) {
            cx.checkDType(2, DType.I32);
            cx.check(cx.shape(2).equals(Shape.of(m)), "bias B must have shape [%d] (one value per output channel), got %s", m, cx.shape(2));
        }
        Shape out = g.outputShape(cx.shape(0).dim(0), m);
        TensorType conv = QuantAttrs.outType(cx, out);
        if (!cx.has(3)) return List.of(conv);
        QuantAttrs.activation(cx, 3);
        cx.checkDType(3, DType.I8);
        cx.check(cx.shape(3).equals(out), "residual Z must have the output's shape %s, got %s", out, cx.shape(3));
        double scale = cx.attrs().getFloat(SUM_SCALE);
        cx.check(scale > 0 && Float.isFinite((float) scale) && (float) scale > 0, "sum_scale must be a positive finite float with a residual Z, got %s", scale);
        long zp = cx.attrs().getInt(SUM_ZERO_POINT), lo = cx.attrs().getInt(SUM_ACT_MIN), hi = cx.attrs().getInt(SUM_ACT_MAX);
        cx.check(zp >= -128 && zp <= 127 && lo >= -128 && hi <= 127 && lo <= hi, "sum_zero_point, sum_act_min and sum_act_max must lie in [-128, 127] with sum_act_min <= sum_act_max, got %d, %d and %d", zp, lo, hi);
        return List.of(new TensorType(DType.I8, out, QuantParams.perTensor((float) scale, zp)));
    }

    /** The qadd multipliers of a qconv with a residual Z (see {@link Qadd#multipliers(QuantParams, QuantParams, double)}): the conv's value, Z, the sum. */
    public static FixedPoint.Multiplier[] sumMultipliers(Node n) {
        return Qadd.multipliers(QuantAttrs.outParams(n.attrs()), n.input(3).type().quant(), n.attrs().getFloat(SUM_SCALE));
    }

    /** The fixed-point multipliers of a qconv node, one per output channel (what its C lowering emits). */
    public static FixedPoint.Multiplier[] multipliers(Node n) {
        return QuantAttrs.productMultipliers(n.input(0).type().quant(), n.input(1).type().quant(),
                n.attrs().getFloat(QuantAttrs.OUT_SCALE), n.input(1).shape().dim(0), QuantAttrs.compact(n.attrs()));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), w = cx.input(1);
        QuantParams qx = QuantAttrs.params(cx, 0), qw = QuantAttrs.params(cx, 1);
        ConvGeometry g = ConvGeometry.forConv(cx.attrs(), x.shape(), w.shape());
        int m = w.shape().dim(0);
        long[] wzp = new long[m];
        for (int c = 0; c < m; c++) wzp[c] = QuantAttrs.zeroPoint(qw, c);
        int[] xi = ConvKernel.minusZeroPoint(x, qx.zeroPoint(0));
        int[] wi = ConvKernel.weightsMinusZeroPoints(w, wzp);
        int[] bias = null;
        if (cx.has(2)) {
            long[] b = cx.input(2).longs();
            bias = new int[m];
            for (int i = 0; i < m; i++) bias[i] = (int) b[i];
        }
        NdArray y = cx.newOutput(0);
        int[] acc = new int[y.size()];
        new ConvKernel(g, x.shape().dim(1), m, (int) cx.attrs().getInt("group")).run(xi, wi, bias, acc, x.shape().dim(0));
        FixedPoint.Multiplier[] mult = QuantAttrs.productMultipliers(qx, qw, cx.attrs().getFloat(QuantAttrs.OUT_SCALE), m, QuantAttrs.compact(cx.attrs()));
        QuantAttrs.requantizeInto(acc, mult, g.outSize(), cx.attrs(), y.longs());
        if (cx.has(3)) {
            QuantParams qz = QuantAttrs.params(cx, 3);
            Qadd.addInto(y.longs(), QuantAttrs.outParams(cx.attrs()), cx.input(3).longs(), qz, cx.attrs().getFloat(SUM_SCALE),
                    (int) cx.attrs().getInt(SUM_ZERO_POINT), (int) cx.attrs().getInt(SUM_ACT_MIN), (int) cx.attrs().getInt(SUM_ACT_MAX), y.longs());
        }
        return List.of(y);
    }

    @Override
    public long macs(Node n) { return filterMacs(n.output(0), n.input(1)); }
}
