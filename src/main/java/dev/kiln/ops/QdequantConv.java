package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import java.util.List;

/**
 * The int8-activation form of {@link DequantConv}: X int8 or uint8 [N, C, H, W] (per-tensor s_x, z_x) convolved
 * with the block-quantized int4/uint4 weight Q [M, C / group, kh, kw], float32 scales S and optional zero points Z
 * ([M, ceil(C / group / block), kh, kw]; grouped and depthwise as {@link Conv}), plus the optional float bias B, quantized to the int8 output grid
 * ({@code out_scale}, {@code out_zero_point}, clamp {@code act_min..act_max}). It is what a QDQ model's
 * {@code Q(conv(DQ(x), DQ(Q, S, Z, block_size), B))} means once {@code LowerToInt8} absorbs the activations'
 * quantize/dequantize pairs; as for {@link QdequantGemm} Kiln fixes the order of ONNX Runtime's float arithmetic so
 * that every backend gives the same bytes. For each output element (n, m, oh, ow), in float32 and in this order:
 * <ol>
 * <li>for each block b of input channels in turn, and in it for each tap (kh, kw) in row-major order, the exact
 *     int32 sum {@code p = sum_(c in b) (x[n, g * Cg + c, ih, iw] - z_x) * (Q[m, c, kh, kw] - Z[m, b, kh, kw])}
 *     (Cg = C / group input channels a group, g = m / (M / group) the output channel's group), 0 where the
 *     tap falls in the padding (a padded x is z_x, i.e. 0.0);</li>
 * <li>{@code acc = acc + (float) p * (s_x * S[m, b, kh, kw])}, acc starting at 0.0f, the multiplier rounded to
 *     float32 first, each product and sum rounded to float32 (no fused multiply-add);</li>
 * <li>{@code acc = acc + B[m]} when there is a bias;</li>
 * <li>{@code Y = clamp(round_half_even(acc / out_scale) + out_zero_point, act_min, act_max)}, the quotient in
 *     float32, as QuantizeLinear computes it.</li>
 * </ol>
 */
public final class QdequantConv extends OpDef {
    public QdequantConv() {
        super("qdequant_conv", QuantAttrs.addOut(ConvGeometry.windowAttrs(Signature.builder().input("X", "Q", "S").optionalInput("B", "Z").output("Y"))
                .requiredAttr("block_size", AttrType.INT).attr("group", AttrType.INT, 1L)).build(), Trait.MAC, Trait.PACKED_INPUTS);
    }

    @Override
    public String summary() { return "2-D conv of int8 X with dequantize(Q, S, Z) over a block-quantized (int4/uint4) weight, int32 block sums, int8 output"; }

    @Override
    public long macs(dev.kiln.ir.Node n) { return filterMacs(n.output(0), n.input(1)); }

    @Override
    public List<dev.kiln.ir.TensorType> infer(InferContext cx) {
        QuantAttrs.activation(cx, 0);
        Shape y = DequantConv.convShape(cx);
        long block = cx.attrs().getInt("block_size");
        cx.check(block <= QdequantGemm.MAX_BLOCK, "block_size %d is too large for an exact int32 block sum (at most %d)", block, QdequantGemm.MAX_BLOCK);
        return List.of(QuantAttrs.outType(cx, y));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), q = cx.input(1), s = cx.input(2), bias = cx.input(3), z = cx.input(4);
        QuantParams qx = QuantAttrs.params(cx, 0);
        int block = (int) cx.attrs().getInt("block_size");
        ConvGeometry g = ConvGeometry.forConv(cx.attrs(), x.shape(), q.shape());
        int batch = x.shape().dim(0), cin = x.shape().dim(1), c = q.shape().dim(1), h = x.shape().dim(2), w = x.shape().dim(3);
        int m = q.shape().dim(0), mg = m / (int) cx.attrs().getInt("group"), kh = q.shape().dim(2), kw = q.shape().dim(3), taps = kh * kw, blocks = (c + block - 1) / block;
        int oh = g.out[0], ow = g.out[1];
        float sx = qx.scale(0), outScale = (float) cx.attrs().getFloat(QuantAttrs.OUT_SCALE);
        long zx = qx.zeroPoint(0), zo = cx.attrs().getInt(QuantAttrs.OUT_ZERO_POINT);
        long lo = cx.attrs().getInt(QuantAttrs.ACT_MIN), hi = cx.attrs().getInt(QuantAttrs.ACT_MAX);
        NdArray y = cx.newOutput(0);
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < m; o++)
                for (int r = 0; r < oh; r++)
                    for (int col = 0; col < ow; col++) {
                        float acc = 0.0f;
                        for (int b = 0; b < blocks; b++)
                            for (int t = 0; t < taps; t++) {
                                int ih = r * g.strides[0] - g.padsBegin[0] + (t / kw) * g.dilations[0];
                                int iw = col * g.strides[1] - g.padsBegin[1] + (t % kw) * g.dilations[1];
                                int p = (o * blocks + b) * taps + t, sum = 0;
                                long zw = z == null ? 0 : z.getLong(p);
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w)
                                    for (int ch = b * block, end = Math.min(c, ch + block); ch < end; ch++)
                                        sum += (int) ((x.getLong(((n * cin + o / mg * c + ch) * h + ih) * w + iw) - zx) * (q.getLong((o * c + ch) * taps + t) - zw));
                                float mult = sx * s.getFloat(p);
                                acc = acc + (float) sum * mult;
                            }
                        if (bias != null) acc = acc + bias.getFloat(o);
                        long v = Quantization.roundAndSaturate(acc / outScale, zo, DType.I8);
                        y.setLong(((n * m + o) * oh + r) * ow + col, Math.max(lo, Math.min(hi, v)));
                    }
        return List.of(y);
    }
}
