package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * A float matrix product over a block-quantized weight: {@code Y = A * dequantize(Q, S, Z) + C}, A [M, K] float, Q
 * the int4 or uint4 weight ([N, K] with {@code trans_b} = 1, else [K, N]), S its float32 scales, one per
 * {@code block_size} consecutive elements along K ([N, ceil(K / block)] or [ceil(K / block), N]), the optional bias
 * C ([N] or [1, N]) and the optional zero points Z (Q's type, S's shape; absent means 0). It is what an imported DequantizeLinear with {@code block_size} in front of a Gemm or MatMul
 * computes (ONNX Runtime's float math on the dequantized weights), kept as one op so that Q stays packed (int4, two
 * to a byte in flash) instead of folding into a float weight four times its bytes. The reference rounds each weight
 * {@code (q - z) * s} to float32 as DequantizeLinear does and sums in double like {@link Gemm}; the generated C sums each
 * block's products {@code a * (q - z)} in float and adds them times the block's scale, which differs from it by float
 * rounding only.
 */
public final class DequantGemm extends OpDef {
    public DequantGemm() {
        super("dequant_gemm", Signature.builder().input("A", "Q", "S").optionalInput("C", "Z").output("Y")
                .attr("trans_b", AttrType.INT, 0L)
                .requiredAttr("block_size", AttrType.INT).build(), Trait.MAC, Trait.PACKED_INPUTS, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "A * dequantize(Q, S, Z) + C over a block-quantized (int4/uint4) weight, Q kept packed"; }

    @Override
    public long macs(dev.kiln.ir.Node n) { return productMacs(n.output(0), n.input(0).shape().dim(1)); }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, DType.F32);
        return List.of(new TensorType(DType.F32, productShape(cx)));
    }

    /**
     * Checks inputs 1 to 4 (Q, S, C, Z) of a blocked product against A (input 0) and the attributes; returns Y's
     * shape [M, N]. Shared with {@link QdequantGemm}, whose inputs are numbered alike.
     */
    static Shape productShape(InferContext cx) {
        // why: the backends widen a packed weight's storage (i4 -> i8, u4 -> u8) and read it through the cast
        cx.checkDType(1, DType.I4, DType.I8, DType.U4, DType.U8);
        cx.checkDType(2, DType.F32);
        Shape a = cx.shape(0), q = cx.shape(1), s = cx.shape(2);
        cx.check(a.rank() == 2 && q.rank() == 2 && s.rank() == 2, "A, Q and S must be matrices, got %s, %s and %s", a, q, s);
        boolean tb = cx.attrs().getInt("trans_b") != 0;
        long block = cx.attrs().getInt("block_size");
        cx.check(block > 0, "block_size must be positive, got %d", block);
        int k = tb ? q.dim(1) : q.dim(0), n = tb ? q.dim(0) : q.dim(1);
        cx.check(a.dim(1) == k, "A %s has %d columns but Q %s has %d along K", a, a.dim(1), q, k);
        int blocks = (int) ((k + block - 1) / block);
        Shape want = tb ? Shape.of(n, blocks) : Shape.of(blocks, n);
        cx.check(s.equals(want), "S has shape %s but blocks of %d along K of Q %s need %s", s, block, q, want);
        if (cx.has(3)) {
            cx.checkDType(3, DType.F32);
            Shape c = cx.shape(3);
            cx.check(c.numel() == n && (c.rank() == 1 || c.rank() == 2 && c.dim(0) == 1), "C must be [N] or [1, N] with N = %d, got %s", n, c);
        }
        if (cx.has(4)) {
            cx.checkDType(4, DType.I4, DType.I8, DType.U4, DType.U8);
            cx.check(cx.shape(4).equals(want), "Z has shape %s but must have S's %s", cx.shape(4), want);
            cx.check(cx.dtype(4).isSigned() == cx.dtype(1).isSigned(), "Z (%s) and Q (%s) must both be signed or both unsigned", cx.dtype(4), cx.dtype(1));
        }
        return Shape.of(a.dim(0), n);
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray a = cx.input(0), q = cx.input(1), s = cx.input(2), c = cx.input(3), z = cx.input(4);
        boolean tb = cx.attrs().getInt("trans_b") != 0;
        long block = cx.attrs().getInt("block_size");
        int m = a.shape().dim(0), k = a.shape().dim(1), n = tb ? q.shape().dim(0) : q.shape().dim(1);
        int blocks = s.shape().dim(tb ? 1 : 0);
        double[] w = new double[k * n];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < n; j++) {
                int b = (int) (i / block);
                int p = tb ? j * blocks + b : b * n + j;
                double qv = q.getLong(tb ? j * k + i : i * n + j) - (z == null ? 0 : z.getLong(p)), sv = s.getDouble(p);
                // why: DequantizeLinear rounds each weight to float32 (the imported graph's float weight)
                w[i * n + j] = (float) (qv * sv);
            }
        double[] yd = new double[m * n];
        Matrices.multiplyAdd(a.toDoubleArray(), 0, w, 0, yd, 0, m, k, n);
        NdArray y = cx.newOutput(0);
        for (int i = 0; i < yd.length; i++) y.setDouble(i, yd[i] + (c == null ? 0 : c.getDouble(i % n)));
        return List.of(y);
    }
}
