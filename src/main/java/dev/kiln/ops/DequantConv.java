package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * A float 2-D convolution (grouped or depthwise too) over a block-quantized weight:
 * {@code Y = conv(X, dequantize(Q, S, Z)) + B}, X [N, C, H, W] float, Q the int4 or uint4 weight [M, C / group, kh, kw],
 * S its float32 scales, one per {@code block_size} consecutive input channels of a group at each output channel and
 * tap ([M, ceil(C / group / block), kh, kw]; depthwise, C / group = 1, has one scale per channel and tap), the
 * optional bias B [M]
 * and the optional zero points Z (Q's type, S's shape; absent means 0). It is what an imported DequantizeLinear with
 * {@code block_size} along axis 1 in front of a Conv computes, kept as one op so that Q stays packed (half a byte a
 * weight in flash) instead of folding into a float weight eight times its bytes. Window attributes and
 * {@code group} as {@link Conv}'s: output channel m reads the input channels of group {@code m / (M / group)}.
 * The reference rounds each weight {@code (q - z) * s} to float32 as DequantizeLinear does and convolves in double
 * like Conv; the generated C sums each block's products {@code x * (q - z)} at one tap in float and adds them times
 * the block's scale, which differs from it by float rounding only.
 */
public final class DequantConv extends OpDef {
    public DequantConv() {
        super("dequant_conv", ConvGeometry.windowAttrs(Signature.builder().input("X", "Q", "S").optionalInput("B", "Z").output("Y"))
                .requiredAttr("block_size", AttrType.INT).attr("group", AttrType.INT, 1L).build(), Trait.MAC, Trait.PACKED_INPUTS, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "2-D conv(X, dequantize(Q, S, Z)) + B over a block-quantized (int4/uint4) weight, Q kept packed"; }

    @Override
    public long macs(dev.kiln.ir.Node n) { return filterMacs(n.output(0), n.input(1)); }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, DType.F32);
        return List.of(new TensorType(DType.F32, convShape(cx)));
    }

    /**
     * Checks inputs 1 to 4 (Q, S, B, Z) of a blocked convolution against X (input 0) and the attributes; returns Y's
     * shape. Shared with {@link QdequantConv}, whose inputs are numbered alike.
     */
    static Shape convShape(InferContext cx) {
        // why: the backends widen a packed weight's storage (i4 -> i8, u4 -> u8) and read it through the cast
        cx.checkDType(1, DType.I4, DType.I8, DType.U4, DType.U8);
        cx.checkDType(2, DType.F32);
        Shape x = cx.shape(0), q = cx.shape(1), s = cx.shape(2);
        cx.check(x.rank() == 4 && q.rank() == 4, "X and Q must be [N, C, H, W] and [M, C / group, kh, kw], got %s and %s", x, q);
        long block = cx.attrs().getInt("block_size");
        cx.check(block > 0, "block_size must be positive, got %d", block);
        ConvGeometry g;
        try {
            g = ConvGeometry.forConv(cx.attrs(), x, q);
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        Shape want = scaleShape(q, block);
        cx.check(s.equals(want), "S has shape %s but blocks of %d input channels of Q %s need %s", s, block, q, want);
        int m = q.dim(0);
        if (cx.has(3)) {
            cx.checkDType(3, DType.F32);
            cx.check(cx.shape(3).equals(Shape.of(m)), "bias B must have shape [%d] (one value per output channel), got %s", m, cx.shape(3));
        }
        if (cx.has(4)) {
            cx.checkDType(4, DType.I4, DType.I8, DType.U4, DType.U8);
            cx.check(cx.shape(4).equals(want), "Z has shape %s but must have S's %s", cx.shape(4), want);
            cx.check(cx.dtype(4).isSigned() == cx.dtype(1).isSigned(), "Z (%s) and Q (%s) must both be signed or both unsigned", cx.dtype(4), cx.dtype(1));
        }
        return g.outputShape(x.dim(0), m);
    }

    /** The scales' shape of weight q [M, Cg, kh, kw] blocked by {@code block} input channels: [M, ceil(Cg / block), kh, kw]. */
    static Shape scaleShape(Shape q, long block) {
        return Shape.of(q.dim(0), (int) ((q.dim(1) + block - 1) / block), q.dim(2), q.dim(3));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), q = cx.input(1), s = cx.input(2), b = cx.input(3), z = cx.input(4);
        long block = cx.attrs().getInt("block_size");
        Shape qs = q.shape();
        int m = qs.dim(0), c = qs.dim(1), taps = qs.dim(2) * qs.dim(3), blocks = (int) ((c + block - 1) / block);
        double[] w = new double[q.size()];
        for (int o = 0; o < m; o++)
            for (int ch = 0; ch < c; ch++)
                for (int t = 0; t < taps; t++) {
                    int i = (o * c + ch) * taps + t, p = (o * blocks + (int) (ch / block)) * taps + t;
                    double qv = q.getLong(i) - (z == null ? 0 : z.getLong(p));
                    // why: DequantizeLinear rounds each weight to float32 (the imported graph's float weight)
                    w[i] = (float) (qv * s.getDouble(p));
                }
        ConvGeometry g = ConvGeometry.forConv(cx.attrs(), x.shape(), qs);
        NdArray y = cx.newOutput(0);
        double[] acc = new double[y.size()];
        new ConvKernel(g, x.shape().dim(1), m, (int) cx.attrs().getInt("group")).run(x.toDoubleArray(), w, b == null ? null : b.toDoubleArray(), acc, x.shape().dim(0));
        for (int i = 0; i < acc.length; i++) y.setDouble(i, acc[i]);
        return List.of(y);
    }
}
