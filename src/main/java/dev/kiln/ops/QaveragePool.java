package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.quant.FixedPoint;
import java.util.List;

/**
 * Kiln's int8 average pool: with {@code global} = 1 over the whole spatial plane, else over windows as
 * {@link AveragePool} defines them (window attributes, {@code ceil_mode}, {@code count_include_pad}). The window
 * sum {@code S = sum (x - z_x)} is int32 (pads contribute 0); with {@code n} the window's divisor, the output is
 * {@code clamp(round_half_away(S / n) + out_zero_point, act_min, act_max)} when out_scale equals the input's
 * scale (an integer rounded division), else {@code clamp(round(S * M_n) + out_zero_point, ...)} with
 * {@code M_n = s_x / (out_scale * n)} in fixed point.
 */
public final class QaveragePool extends OpDef {
    public QaveragePool() {
        super("qaverage_pool", QuantAttrs.addOut(Pooling.poolAttrs(Signature.builder().input("X").output("Y"))
                .attr("count_include_pad", AttrType.INT, 0L).attr("global", AttrType.INT, 0L)).build(), Trait.INTEGER);
    }

    @Override
    public String summary() { return "int8 average pool (windowed or global): int32 sums, rounded division or fixed-point requantization"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        QuantAttrs.activation(cx, 0);
        Shape x = cx.shape(0);
        cx.check(x.rank() >= 3, "input must have rank 3 or more (N, C, spatial...), got %s", x);
        if (cx.attrs().getInt("global") == 1) {
            int[] d = x.dims();
            for (int i = 2; i < d.length; i++) d[i] = 1;
            return List.of(QuantAttrs.outType(cx, Shape.of(d)));
        }
        ConvGeometry g;
        try {
            g = Pooling.geometry(cx.attrs(), x);
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        return List.of(QuantAttrs.outType(cx, g.outputShape(x.dim(0), x.dim(1))));
    }

    /** Whether the output keeps the input's scale, so a window's average is a rounded integer division. */
    public static boolean sameScale(QuantParams x, double outScale) { return x.scale(0) == (float) outScale; }

    /** The multiplier {@code s_x / (out_scale * count)} for a window of {@code count} positions. */
    public static FixedPoint.Multiplier multiplier(QuantParams x, double outScale, int count) {
        return FixedPoint.of((double) x.scale(0) / ((double) (float) outScale * count));
    }

    /** Whether a qaverage_pool node divides by integer division (see {@link #sameScale}). */
    public static boolean sameScale(Node n) { return sameScale(n.input(0).type().quant(), n.attrs().getFloat(QuantAttrs.OUT_SCALE)); }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray xa = cx.input(0);
        QuantParams q = QuantAttrs.params(cx, 0);
        double outScale = cx.attrs().getFloat(QuantAttrs.OUT_SCALE);
        boolean same = sameScale(q, outScale);
        int zx = (int) q.zeroPoint(0), zp = (int) cx.attrs().getInt(QuantAttrs.OUT_ZERO_POINT);
        int lo = (int) cx.attrs().getInt(QuantAttrs.ACT_MIN), hi = (int) cx.attrs().getInt(QuantAttrs.ACT_MAX);
        long[] x = xa.longs();
        NdArray y = cx.newOutput(0);
        long[] out = y.longs();
        int planes = xa.shape().dim(0) * xa.shape().dim(1);
        int inSize = x.length / Math.max(planes, 1), outSize = out.length / Math.max(planes, 1);
        Pooling p = null;
        boolean includePad = cx.attrs().getInt("count_include_pad") == 1;
        if (cx.attrs().getInt("global") != 1) p = new Pooling(Pooling.geometry(cx.attrs(), xa.shape()));
        java.util.Map<Integer, FixedPoint.Multiplier> byCount = new java.util.HashMap<>();
        for (int c = 0; c < planes; c++) {
            int base = c * inSize;
            for (int j = 0; j < outSize; j++) {
                int s = 0, n;
                if (p == null) {
                    for (int i = 0; i < inSize; i++) s += (int) x[base + i] - zx;
                    n = inSize;
                } else {
                    for (int k = p.start[j]; k < p.start[j + 1]; k++) s += (int) x[base + p.offsets[k]] - zx;
                    n = includePad ? p.paddedCount[j] : p.start[j + 1] - p.start[j];
                }
                int v;
                if (same) v = (int) FixedPoint.roundedDivide(s, n);
                else v = byCount.computeIfAbsent(n, k -> multiplier(q, outScale, k)).apply(s);
                out[c * outSize + j] = FixedPoint.addZeroPointAndClamp(v, zp, lo, hi);
            }
        }
        return List.of(y);
    }
}
