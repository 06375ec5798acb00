package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * The int8-activation form of {@link DequantGemm}: X int8 [M, K] (per-tensor s_x, z_x) times the block-quantized
 * int4/uint4 weight Q with float32 scales S and optional zero points Z (layouts as dequant_gemm's), plus the optional
 * float bias C, quantized to the int8 output grid ({@code out_scale}, {@code out_zero_point}, clamp
 * {@code act_min..act_max}). It is what a QDQ model's {@code Q(matmul(DQ(x), DQ(Q, S, Z, block_size)) + C)}
 * means once {@code LowerToInt8} absorbs the activations' quantize/dequantize pairs: ONNX Runtime dequantizes both
 * operands and multiplies in float; Kiln fixes the order of that float arithmetic so that every backend gives the
 * same bytes. For each output element (r, j), in float32 and in this order:
 * <ol>
 * <li>for each block b along K in turn, the exact int32 sum {@code p = sum_(i in b) (x[r, i] - z_x) * (Q[j, i] - Z[j, b])};</li>
 * <li>{@code acc = acc + (float) p * (s_x * S[j, b])}, acc starting at 0.0f, the block multiplier rounded to float32
 *     first, each product and sum rounded to float32 (no fused multiply-add);</li>
 * <li>{@code acc = acc + C[j]} when there is a bias;</li>
 * <li>{@code Y = clamp(round_half_even(acc / out_scale) + out_zero_point, act_min, act_max)}, the quotient in
 *     float32, as QuantizeLinear computes it.</li>
 * </ol>
 * Mathematically this is ORT's float product (the dequantized operands' products grouped per block); it differs from
 * ORT's float sums by float rounding only, so an output may differ from ORT's by one step.
 */
public final class QdequantGemm extends OpDef {
    /** Most elements a block may have: the int32 block sum of products up to 255 * 15 stays exact. */
    public static final long MAX_BLOCK = Integer.MAX_VALUE / (255L * 15L);

    public QdequantGemm() {
        super("qdequant_gemm", QuantAttrs.addOut(Signature.builder().input("X", "Q", "S").optionalInput("C", "Z").output("Y")
                .attr("trans_b", AttrType.INT, 0L).requiredAttr("block_size", AttrType.INT)).build(), Trait.MAC, Trait.PACKED_INPUTS);
    }

    @Override
    public String summary() { return "int8 X * dequantize(Q, S, Z) + C over a block-quantized (int4/uint4) weight, int32 block sums, int8 output"; }

    @Override
    public long macs(dev.kiln.ir.Node n) { return productMacs(n.output(0), n.input(0).shape().dim(1)); }

    @Override
    public List<TensorType> infer(InferContext cx) {
        QuantAttrs.activation(cx, 0);
        Shape y = DequantGemm.productShape(cx);
        long block = cx.attrs().getInt("block_size");
        cx.check(block <= MAX_BLOCK, "block_size %d is too large for an exact int32 block sum (at most %d)", block, MAX_BLOCK);
        return List.of(QuantAttrs.outType(cx, y));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), q = cx.input(1), s = cx.input(2), c = cx.input(3), z = cx.input(4);
        QuantParams qx = QuantAttrs.params(cx, 0);
        boolean tb = cx.attrs().getInt("trans_b") != 0;
        int block = (int) cx.attrs().getInt("block_size");
        int m = x.shape().dim(0), k = x.shape().dim(1), n = tb ? q.shape().dim(0) : q.shape().dim(1);
        int blocks = s.shape().dim(tb ? 1 : 0);
        float sx = qx.scale(0), outScale = (float) cx.attrs().getFloat(QuantAttrs.OUT_SCALE);
        long zx = qx.zeroPoint(0), zo = cx.attrs().getInt(QuantAttrs.OUT_ZERO_POINT);
        long lo = cx.attrs().getInt(QuantAttrs.ACT_MIN), hi = cx.attrs().getInt(QuantAttrs.ACT_MAX);
        NdArray y = cx.newOutput(0);
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++) {
                float acc = 0.0f;
                for (int b = 0; b < blocks; b++) {
                    int p = tb ? j * blocks + b : b * n + j;
                    long zw = z == null ? 0 : z.getLong(p);
                    int sum = 0;
                    for (int i = b * block, end = Math.min(k, i + block); i < end; i++)
                        sum += (int) ((x.getLong(r * k + i) - zx) * (q.getLong(tb ? j * k + i : i * n + j) - zw));
                    float mult = sx * s.getFloat(p);
                    acc = acc + (float) sum * mult;
                }
                if (c != null) acc = acc + c.getFloat(j);
                long v = Quantization.roundAndSaturate(acc / outScale, zo, DType.I8);
                y.setLong(r * n + j, Math.max(lo, Math.min(hi, v)));
            }
        return List.of(y);
    }
}
