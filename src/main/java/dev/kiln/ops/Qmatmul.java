package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.quant.FixedPoint;
import java.util.List;

/**
 * Kiln's int8 matrix product: X i8 [..., K] (per-tensor s_x, z_x) times W i8 [K, N] (symmetric, per column along
 * axis 1 or per tensor, scales s_w), plus optional bias B i32 [N] (scale s_x * s_w[n]). The accumulator
 * {@code acc = B[n] + sum_k (x - z_x) * (w - z_w[n])} is exact int32; the output Y i8 [..., N] is
 * {@code clamp(round(acc * M[n]) + out_zero_point, act_min, act_max)}, {@code M[n] = s_x * s_w[n] / out_scale}
 * in fixed point. Gemm's transposes and alpha/beta are folded into W and B before lowering.
 */
public final class Qmatmul extends OpDef {
    public Qmatmul() {
        super("qmatmul", QuantAttrs.addCompact(QuantAttrs.addOut(Signature.builder().input("X", "W").optionalInput("B").output("Y"))).build(), Trait.MAC, Trait.INTEGER);
    }

    @Override
    public String summary() { return "int8 matrix product with a constant [K, N] weight: int32 accumulation, fixed-point requantization per column"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        QuantAttrs.activation(cx, 0);
        Shape x = cx.shape(0), w = cx.shape(1);
        cx.check(x.rank() >= 1, "X must have rank 1 or more, got %s", x);
        cx.check(w.rank() == 2, "W must be a [K, N] matrix, got %s", w);
        cx.check(x.dim(-1) == w.dim(0), "inner dimensions differ: %s times %s", x, w);
        int n = w.dim(1);
        QuantAttrs.weight(cx, 1, 1, n);
        if (cx.has(2)) {
            cx.checkDType(2, DType.I32);
            cx.check(cx.shape(2).equals(Shape.of(n)), "bias B must have shape [%d], got %s", n, cx.shape(2));
        }
        int[] d = x.dims();
        d[d.length - 1] = n;
        return List.of(QuantAttrs.outType(cx, Shape.of(d)));
    }

    /** The fixed-point multipliers of a qmatmul node, one per output column. */
    public static FixedPoint.Multiplier[] multipliers(Node n) {
        return QuantAttrs.productMultipliers(n.input(0).type().quant(), n.input(1).type().quant(),
                n.attrs().getFloat(QuantAttrs.OUT_SCALE), n.input(1).shape().dim(1), QuantAttrs.compact(n.attrs()));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), w = cx.input(1);
        QuantParams qx = QuantAttrs.params(cx, 0), qw = QuantAttrs.params(cx, 1);
        int k = w.shape().dim(0), n = w.shape().dim(1), rows = x.size() / Math.max(k, 1);
        long zx = qx.zeroPoint(0);
        long[] xv = x.longs(), wv = w.longs();
        int[] wi = new int[wv.length];
        for (int i = 0; i < wv.length; i++) wi[i] = (int) (wv[i] - QuantAttrs.zeroPoint(qw, i % n));
        long[] b = cx.has(2) ? cx.input(2).longs() : null;
        int[] acc = new int[rows * n];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) acc[r * n + j] = b == null ? 0 : (int) b[j];
            for (int kk = 0; kk < k; kk++) {
                int xq = (int) (xv[r * k + kk] - zx);
                if (xq == 0) continue;
                for (int j = 0; j < n; j++) acc[r * n + j] += xq * wi[kk * n + j];
            }
        }
        NdArray y = cx.newOutput(0);
        FixedPoint.Multiplier[] mult = QuantAttrs.productMultipliers(qx, qw, cx.attrs().getFloat(QuantAttrs.OUT_SCALE), n, QuantAttrs.compact(cx.attrs()));
        QuantAttrs.requantizeInto(acc, mult, 1, cx.attrs(), y.longs());
        return List.of(y);
    }

    @Override
    public long macs(Node n) { return productMacs(n.output(0), n.input(1).shape().dim(0)); }
}
