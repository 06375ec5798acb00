package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Matrix product with numpy semantics: A [..., M, K] times B [..., K, N] gives [..., M, N] with the batch
 * dimensions broadcast; a 1-D A is a row vector [1, K] and a 1-D B a column vector [K, 1], whose added
 * dimension is removed from the result. Float types sum in double; int32, int64 and uint32 wrap exactly. A float
 * matmul may carry a {@link FusedActivation}, applied to the rounded result.
 */
public final class MatMul extends OpDef implements ChannelAffine {
    public MatMul() {
        super("matmul", FusedActivation.addAttrs(Signature.builder().input("A", "B").output("Y")).build(), Trait.MAC, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "numpy-style batched matrix product with broadcasting"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, DType.F32, DType.F16, DType.F64, DType.BF16, DType.I32, DType.I64, DType.U32, DType.U64);
        cx.checkSameDType(0, 1);
        Shape a = cx.shape(0), b = cx.shape(1);
        cx.check(a.rank() >= 1 && b.rank() >= 1, "inputs must have rank 1 or more, got %s and %s", a, b);
        int ka = a.dim(-1), kb = b.rank() == 1 ? b.dim(0) : b.dim(-2);
        cx.check(ka == kb, "inner dimensions differ: A %s has %d columns, B %s has %d rows", a, ka, b, kb);
        FusedActivation.check(cx);
        try {
            return List.of(new TensorType(cx.dtype(0), outputShape(a, b)));
        } catch (IllegalArgumentException e) {
            throw cx.error("batch dimensions: %s", e.getMessage());
        }
    }

    private static Shape batchOf(Shape s) {
        return s.rank() <= 2 ? Shape.scalar() : Shape.of(Arrays.copyOf(s.dims(), s.rank() - 2));
    }

    /** The broadcast batch dimensions, then M unless A is 1-D, then N unless B is 1-D. */
    private static Shape outputShape(Shape a, Shape b) {
        Shape batch = Broadcast.shape(batchOf(a), batchOf(b));
        int[] d = Arrays.copyOf(batch.dims(), batch.rank() + 2);
        int r = batch.rank();
        if (a.rank() > 1) d[r++] = a.dim(-2);
        if (b.rank() > 1) d[r++] = b.dim(-1);
        return Shape.of(Arrays.copyOf(d, r));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray a = cx.input(0), b = cx.input(1);
        Shape as = a.shape(), bs = b.shape();
        int m = as.rank() == 1 ? 1 : as.dim(-2), k = as.dim(-1), n = bs.rank() == 1 ? 1 : bs.dim(-1);
        Shape ab = batchOf(as), bb = batchOf(bs), batch = Broadcast.shape(ab, bb);
        int[] ia = Broadcast.indexMap(ab, batch), ib = Broadcast.indexMap(bb, batch);
        NdArray y = cx.newOutput(0);
        int count = batch.size();
        if (a.dtype().isFloat()) {
            double[] ad = a.toDoubleArray(), bd = b.toDoubleArray(), yd = new double[y.size()];
            for (int q = 0; q < count; q++) Matrices.multiplyAdd(ad, ia[q] * m * k, bd, ib[q] * k * n, yd, q * m * n, m, k, n);
            for (int i = 0; i < yd.length; i++) y.setDouble(i, yd[i]);
            y = FusedActivation.apply(cx.attrs(), y);
        } else {
            long[] al = a.longs(), bl = b.longs(), yl = new long[y.size()];
            for (int q = 0; q < count; q++) Matrices.multiplyAdd(al, ia[q] * m * k, bl, ib[q] * k * n, yl, q * m * n, m, k, n);
            for (int i = 0; i < yl.length; i++) y.setLong(i, yl[i]);
        }
        return List.of(y);
    }

    @Override
    public int channelAxis(dev.kiln.ir.Node n) { return n.output(0).shape().rank() - 1; }

    @Override
    public String cannotFold(dev.kiln.ir.Node n, boolean shift) {
        String why = ChannelAffine.noActivation(n);
        if (why == null) why = ChannelAffine.constantFloat(n, 1, "B");
        if (why == null && n.input(1).shape().rank() < 2) why = "B is a vector, so the result has no column axis";
        // why: only a plain matrix product becomes a gemm, whose C input takes the shift
        if (why == null && shift && (n.input(0).shape().rank() != 2 || n.input(1).shape().rank() != 2))
            why = "a batched or vector matmul has no bias input to take the shift";
        return why;
    }

    /** Scales column j of B [..., K, N] by scale[j]; with a shift, becomes {@code gemm(A, B', shift)}. */
    @Override
    public Folded fold(dev.kiln.ir.Node n, double[] scale, double[] shift) {
        NdArray b = n.input(1).constant();
        int cols = b.shape().dim(-1);
        Object bIn = n.input(1);
        if (scale != null) {
            NdArray s = b.copy();
            for (int i = 0; i < s.size(); i++) s.setDouble(i, b.getDouble(i) * scale[i % cols]);
            bIn = s;
        }
        if (shift == null) return new Folded(this, java.util.Arrays.asList(n.input(0), bIn), n.attrs());
        // matmul(A, B) * scale + shift -> gemm(A, B * scale, shift)
        return new Folded(Ops.GEMM, java.util.Arrays.asList(n.input(0), bIn, ChannelAffine.affineBias(null, null, shift, cols, n.output(0).dtype())),
                n.attrs());
    }

    @Override
    public long macs(dev.kiln.ir.Node n) { return productMacs(n.output(0), n.input(0).shape().dim(-1)); }
}
