package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * General matrix multiply {@code Y = alpha * A' * B' + beta * C}, where A' is A [M, K] (or A [K, M] transposed
 * when {@code trans_a} = 1), B' is B [K, N] (or [N, K] with {@code trans_b}), and the optional C broadcasts
 * unidirectionally to [M, N]. Float types sum in double; int32, int64 and uint32 need integral alpha and beta and
 * wrap exactly. A float gemm may carry a {@link FusedActivation}, applied to the rounded result.
 */
public final class Gemm extends OpDef implements ChannelAffine {
    public Gemm() {
        super("gemm", FusedActivation.addAttrs(Signature.builder().input("A", "B").optionalInput("C").output("Y")
                .attr("alpha", AttrType.FLOAT, 1.0)
                .attr("beta", AttrType.FLOAT, 1.0)
                .attr("trans_a", AttrType.INT, 0L)
                .attr("trans_b", AttrType.INT, 0L)).build(), Trait.MAC, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "alpha * A' * B' + beta * C with optional transposes"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, DType.F32, DType.F16, DType.F64, DType.BF16, DType.I32, DType.I64, DType.U32, DType.U64);
        cx.checkSameDType(0, 1);
        Shape a = cx.shape(0), b = cx.shape(1);
        cx.check(a.rank() == 2 && b.rank() == 2, "A and B must be matrices, got %s and %s", a, b);
        boolean ta = cx.attrs().getInt("trans_a") != 0, tb = cx.attrs().getInt("trans_b") != 0;
        int m = ta ? a.dim(1) : a.dim(0), ka = ta ? a.dim(0) : a.dim(1);
        int kb = tb ? b.dim(1) : b.dim(0), n = tb ? b.dim(0) : b.dim(1);
        cx.check(ka == kb, "inner dimensions differ: A'%s has %d columns, B'%s has %d rows", a, ka, b, kb);
        Shape y = Shape.of(m, n);
        if (cx.has(2)) {
            cx.checkSameDType(0, 2);
            cx.check(Broadcast.broadcastsTo(cx.shape(2), y), "C %s does not broadcast to the result shape %s", cx.shape(2), y);
        }
        if (!cx.dtype(0).isFloat()) {
            double al = cx.attrs().getFloat("alpha"), be = cx.attrs().getFloat("beta");
            cx.check(al == Math.rint(al) && be == Math.rint(be), "integer gemm needs integral alpha and beta, got %s and %s", al, be);
        }
        FusedActivation.check(cx);
        return List.of(new TensorType(cx.dtype(0), y));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray a = cx.input(0), b = cx.input(1), c = cx.input(2);
        boolean ta = cx.attrs().getInt("trans_a") != 0, tb = cx.attrs().getInt("trans_b") != 0;
        double alpha = cx.attrs().getFloat("alpha"), beta = cx.attrs().getFloat("beta");
        int m = ta ? a.shape().dim(1) : a.shape().dim(0), k = ta ? a.shape().dim(0) : a.shape().dim(1);
        int n = tb ? b.shape().dim(0) : b.shape().dim(1);
        NdArray y = cx.newOutput(0);
        int[] ic = c == null ? null : Broadcast.indexMap(c.shape(), y.shape());
        if (a.dtype().isFloat()) {
            double[] ad = a.toDoubleArray(), bd = b.toDoubleArray(), yd = new double[m * n];
            if (ta) ad = Matrices.transpose(ad, k, m);
            if (tb) bd = Matrices.transpose(bd, n, k);
            Matrices.multiplyAdd(ad, 0, bd, 0, yd, 0, m, k, n);
            for (int i = 0; i < yd.length; i++) y.setDouble(i, alpha * yd[i] + (c == null || beta == 0 ? 0 : beta * c.getDouble(ic[i])));
            y = FusedActivation.apply(cx.attrs(), y);
        } else {
            long[] al = a.longs(), bl = b.longs(), yl = new long[m * n];
            if (ta) al = Matrices.transpose(al, k, m);
            if (tb) bl = Matrices.transpose(bl, n, k);
            Matrices.multiplyAdd(al, 0, bl, 0, yl, 0, m, k, n);
            long ai = (long) alpha, bi = (long) beta;
            for (int i = 0; i < yl.length; i++) y.setLong(i, ai * yl[i] + (c == null ? 0 : bi * c.getLong(ic[i])));
        }
        return List.of(y);
    }

    @Override
    public int channelAxis(dev.kiln.ir.Node n) { return 1; }

    @Override
    public String cannotFold(dev.kiln.ir.Node n, boolean shift) {
        String why = ChannelAffine.noActivation(n);
        if (why == null) why = ChannelAffine.constantFloat(n, 1, "B");
        if (why == null) why = ChannelAffine.constantFloat(n, 2, "C");
        return why;
    }

    /**
     * Scales column j of B' (B [K, N], or row j of B [N, K] with trans_b) by scale[j]; the new C is
     * {@code beta * C * scale + shift} over [rows, N] (rows: M where C varies along rows, else 1) and beta becomes 1.
     */
    @Override
    public Folded fold(dev.kiln.ir.Node n, double[] scale, double[] shift) {
        dev.kiln.ir.Attrs a = n.attrs();
        boolean tb = a.getInt("trans_b") != 0;
        NdArray b = n.input(1).constant();
        int cols = n.output(0).shape().dim(1), rowsOut = n.output(0).shape().dim(0);
        Object bIn = n.input(1), cIn = n.input(2);
        if (scale != null) {
            NdArray s = b.copy();
            int inner = b.shape().dim(1);
            for (int i = 0; i < s.size(); i++) s.setDouble(i, b.getDouble(i) * scale[tb ? i / inner : i % inner]);
            bIn = s;
        }
        double beta = a.getFloat("beta");
        // why: the reference drops C when beta is 0
        NdArray c = n.input(2) == null || beta == 0 ? null : n.input(2).constant();
        if (shift != null || (scale != null && c != null)) {
            int rows = c != null && c.shape().rank() == 2 && c.shape().dim(0) != 1 ? rowsOut : 1;
            int[] idx = c == null ? null : Broadcast.indexMap(c.shape(), Shape.of(rows, cols));
            NdArray r = NdArray.zeros(n.output(0).dtype(), rows == 1 ? Shape.of(cols) : Shape.of(rows, cols));
            for (int i = 0; i < r.size(); i++) {
                int j = i % cols;
                double v = c == null ? 0 : beta * c.getDouble(idx[i]);
                if (scale != null) v *= scale[j];
                if (shift != null) v += shift[j];
                r.setDouble(i, v);
            }
            cIn = r;
            a = a.with("beta", 1.0);
        }
        return new Folded(this, java.util.Arrays.asList(n.input(0), bIn, cIn), a);
    }

    @Override
    public long macs(dev.kiln.ir.Node n) { return productMacs(n.output(0), n.input(0).shape().dim(n.attrs().getInt("trans_a") != 0 ? 0 : 1)); }
}
