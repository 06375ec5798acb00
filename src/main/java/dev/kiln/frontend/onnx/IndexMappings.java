package dev.kiln.frontend.onnx;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX mappings of the indexing and layout ops (gathers, scatters, one-hot, ranges, triangles, block moves,
 * crops, col2im, unpooling, Lp pooling, grid sampling, RoiAlign, DeformConv): one method per ONNX op.
 * Ops whose result the static shapes decide (Size, Range, EyeLike) become constants; ops that are exactly a
 * composition of registered ops, as ONNX's own function bodies are (Trilu, DepthToSpace, SpaceToDepth,
 * CenterCropPad, LpPool, AffineGrid), are decomposed here once, so every backend runs them.
 */
public final class IndexMappings {
    private IndexMappings() {}

    /** Input {@code i}, which the ONNX op requires. */
    static Value in(OnnxNode n, int i, String what) {
        Value v = n.input(i);
        if (v == null) throw n.error("input %d (%s) is missing", i, what);
        return v;
    }

    /** Adds one helper node with one output, named after the ONNX node and {@code step}. */
    static Value step(OnnxNode n, OpDef op, List<Value> ins, Attrs a, String step) {
        return n.emitNode(op, ins, a, 1, n.name() + "/" + step).get(0);
    }

    /** A scalar constant of {@code t} holding {@code v}. */
    static Value scalar(OnnxNode n, DType t, double v, String what) { return n.constant(what, NdArray.scalar(t, v)); }

    private static Attrs with(OnnxNode n, String... names) { return n.attrs(names); }

    public static void GatherElements(OnnxNode n) { n.emit(Ops.GATHER_ELEMENTS, List.of(in(n, 0, "data"), in(n, 1, "indices")), with(n, "axis")); }

    public static void GatherND(OnnxNode n) { n.emit(Ops.GATHER_ND, List.of(in(n, 0, "data"), in(n, 1, "indices")), with(n, "batch_dims")); }

    public static void ScatterElements(OnnxNode n) {
        n.emit(Ops.SCATTER_ELEMENTS, List.of(in(n, 0, "data"), in(n, 1, "indices"), in(n, 2, "updates")), with(n, "axis", "reduction"));
    }

    /** Scatter (opsets 9 and 10) is ScatterElements without reduction. */
    public static void Scatter(OnnxNode n) {
        n.emit(Ops.SCATTER_ELEMENTS, List.of(in(n, 0, "data"), in(n, 1, "indices"), in(n, 2, "updates")), with(n, "axis"));
    }

    public static void ScatterND(OnnxNode n) {
        n.emit(Ops.SCATTER_ND, List.of(in(n, 0, "data"), in(n, 1, "indices"), in(n, 2, "updates")), with(n, "reduction"));
    }

    public static void ReverseSequence(OnnxNode n) {
        n.emit(Ops.REVERSE_SEQUENCE, List.of(in(n, 0, "input"), in(n, 1, "sequence_lens")), with(n, "batch_axis", "time_axis"));
    }

    /** TensorScatter (opset 24): a key/value cache update at per-batch write positions. */
    public static void TensorScatter(OnnxNode n) {
        n.emit(Ops.TENSOR_SCATTER, n.inputs(), with(n, "axis", "mode"));
    }

    /** The depth input decides the output shape, so it is read at compile time. */
    public static void OneHot(OnnxNode n) {
        NdArray d = n.constInput(1, "depth");
        if (d == null || d.size() != 1) throw n.error("depth must be a scalar or one-element tensor");
        n.emit(Ops.ONE_HOT, List.of(in(n, 0, "indices"), in(n, 2, "values")),
                Attrs.of("depth", (long) Math.floor(d.getDouble(0)), "axis", n.attrInt("axis", -1)));
    }

    /** The element count of a static shape: a constant. */
    public static void Size(OnnxNode n) { n.bindConstant(0, NdArray.scalar(DType.I64, in(n, 0, "data").shape().numel())); }

    /**
     * Range: operands that follow from constants give a constant of max(ceil((limit - start) / delta), 0) elements.
     * Run-time operands give a range op whose length is a run-time extent bounded by {@code --bound NODE=N};
     * without one, operands whose values were declared (as {@code check} declares a test's inputs) are frozen, and
     * otherwise the error names the node and the option.
     */
    public static void Range(OnnxNode n) {
        for (int i = 0; i < 3; i++) if (n.input(i) == null) throw n.error("start, limit and delta are all required");
        NdArray s = n.foldedValue(n.input(0)), l = n.foldedValue(n.input(1)), d = n.foldedValue(n.input(2));
        if (s == null || l == null || d == null) {
            Long bound = n.options().bounds().get(n.name());
            if (bound == null) bound = derivedBound(n, s, d);
            if (bound != null) {
                n.emit(Ops.RANGE, n.inputs(0, 3), Attrs.of("bound", bound));
                return;
            }
            s = n.knownValue(n.input(0));
            l = n.knownValue(n.input(1));
            d = n.knownValue(n.input(2));
            if (s == null || l == null || d == null) {
                Value v = s == null ? n.input(0) : l == null ? n.input(1) : n.input(2);
                throw new KilnException(Code.BOUNDED_SHAPE, Location.node(null, n.name()), "Range '" + n.name() + "' has a length known only at run time ("
                        + (s == null ? "start" : l == null ? "limit" : "delta") + " is '" + v.name() + "') and no bound")
                        .withHint("give the most elements it may hold with --bound " + n.name() + "=N");
            }
        }
        DType t = s.dtype();
        if (l.dtype() != t || d.dtype() != t) throw n.error("start, limit and delta must have one type, got %s, %s, %s", t, l.dtype(), d.dtype());
        if (s.size() != 1 || l.size() != 1 || d.size() != 1) throw n.error("start, limit and delta must be scalars");
        double start = s.getDouble(0), delta = d.getDouble(0);
        if (delta == 0) throw n.error("delta is 0");
        double count = Math.max(Math.ceil((l.getDouble(0) - start) / delta), 0);
        if (count > (1 << 28)) throw n.error("a range of %.0f elements is too large", count);
        NdArray r = NdArray.zeros(t, Shape.of((int) count));
        for (int i = 0; i < (int) count; i++) {
            if (t.isFloat()) r.setDouble(i, start + i * delta);
            else r.setLong(i, s.getLong(0) + i * d.getLong(0));
        }
        n.bindConstant(0, r);
    }

    /**
     * The most elements a Range with constant {@code start} and positive constant {@code delta} can give when its limit
     * is bounded above by the graph (a run-time Shape of a bounded value, picked by Gather or Slice, through casts,
     * reshapes, Min with constants, sums and Sub, Mul and Div by constants): {@code Range(0, Shape(x)[0], 1)} is bounded by x's bound. Null when unknown.
     */
    private static Long derivedBound(OnnxNode n, NdArray start, NdArray delta) {
        if (start == null || delta == null || start.size() != 1 || delta.size() != 1 || !(delta.getDouble(0) > 0)) return null;
        double[] most = upper(n.input(1), 0);
        if (most == null || most.length != 1) return null;
        double c = Math.max(Math.ceil((most[0] - start.getDouble(0)) / delta.getDouble(0)), 0);
        return c > dev.kiln.ops.Extents.MAX_BOUND ? null : (long) c;
    }

    /** Whether {@code p} picks elements of a 1-D input: a Gather with constant indices or a Slice ({@link #picks}). */
    static boolean picksElements(dev.kiln.ir.Node p) {
        return p.op() == Ops.GATHER && p.input(0).shape().rank() == 1 && p.input(1).constant() != null
                || p.op() == Ops.SLICE && p.input(0).shape().rank() == 1;
    }

    /**
     * The positions of its 1-D input of {@code length} elements that {@code p} ({@link #picksElements}) picks, in
     * order; null when a Gather index falls outside it. Shape computations traced through such nodes (bounds, extents)
     * map their per-element values with it.
     */
    static int[] picks(dev.kiln.ir.Node p, int length) {
        if (p.op() == Ops.SLICE) {
            dev.kiln.ops.Slice.Window w = dev.kiln.ops.Slice.resolve(p.input(0).shape(), p.attrs());
            int[] r = new int[w.count()[0]];
            for (int i = 0; i < r.length; i++) r[i] = w.start()[0] + i * w.step()[0];
            return r;
        }
        long[] idx = p.input(1).constant().toLongArray();
        int[] r = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            long j = idx[i] < 0 ? idx[i] + length : idx[i];
            if (j < 0 || j >= length) return null;
            r[i] = (int) j;
        }
        return r;
    }

    /** Per element, a number {@code v}'s elements never exceed at run time, or null when the graph does not say. */
    private static double[] upper(Value v, int depth) {
        if (v == null || depth > 16) return null;
        NdArray c = v.constant();
        if (c != null) {
            double[] r = new double[(int) c.size()];
            for (int i = 0; i < r.length; i++) r[i] = c.getDouble(i);
            return r;
        }
        dev.kiln.ir.Node p = v.producer();
        if (p == null) return null;
        if (p.op() == Ops.BOUNDED_SHAPE) {
            // why: a bounded axis's extent is at most its bound, which is its static dimension
            Shape s = p.input(0).shape();
            double[] r = new double[(int) (p.attrs().getInt("end") - p.attrs().getInt("start"))];
            for (int i = 0; i < r.length; i++) r[i] = s.dim((int) p.attrs().getInt("start") + i);
            return r;
        }
        if (p.op() == Ops.CAST || p.op() == Ops.RESHAPE || p.op() == Ops.SQUEEZE || p.op() == Ops.UNSQUEEZE || p.op() == Ops.IDENTITY)
            return upper(p.input(0), depth + 1);
        if (picksElements(p)) {
            double[] from = upper(p.input(0), depth + 1);
            int[] at = from == null ? null : picks(p, from.length);
            if (at == null) return null;
            double[] r = new double[at.length];
            for (int i = 0; i < r.length; i++) r[i] = from[at[i]];
            return r;
        }
        if (p.op() == Ops.ADD || p.op() == Ops.SUB || p.op() == Ops.MUL || p.op() == Ops.DIV) {
            // why: x + y, x - c, x * c (c >= 0) and x / c (c > 0, truncated for integers) grow with x, so its upper
            // bound gives theirs: Range(0, Shape(x)[0] * 2 - 1, 1) is bounded by twice x's bound less one
            int at = p.op() == Ops.MUL && p.input(0).constant() != null && p.input(1).constant() == null ? 1 : 0;
            double[] a = upper(p.input(at), depth + 1);
            NdArray k = p.input(1 - at).constant();
            if (a == null) return null;
            double[] b = p.op() == Ops.ADD ? upper(p.input(1 - at), depth + 1) : null;
            if (b == null && k != null) {
                b = new double[(int) k.size()];
                for (int i = 0; i < b.length; i++) {
                    b[i] = k.getDouble(i);
                    if (p.op() == Ops.MUL ? !(b[i] >= 0) : p.op() == Ops.DIV && !(b[i] > 0)) return null;
                }
            }
            if (b == null || (a.length != b.length && a.length != 1 && b.length != 1)) return null;
            double[] r = new double[Math.max(a.length, b.length)];
            boolean whole = !v.dtype().isFloat();
            for (int i = 0; i < r.length; i++) {
                double x = a[a.length == 1 ? 0 : i], y = b[b.length == 1 ? 0 : i];
                r[i] = p.op() == Ops.ADD ? x + y : p.op() == Ops.SUB ? x - y : p.op() == Ops.MUL ? x * y : whole ? (double) (long) (x / y) : x / y;
            }
            return r.length == (int) v.shape().numel() ? r : null;
        }
        if (p.op() == Ops.MIN) {
            double[] r = null;
            for (Value in : p.inputs()) {
                double[] u = upper(in, depth + 1);
                if (u == null) continue;
                if (r == null) r = u.clone();
                else if (u.length == 1 || u.length == r.length) for (int i = 0; i < r.length; i++) r[i] = Math.min(r[i], u[u.length == 1 ? 0 : i]);
                else if (r.length == 1) {
                    double m = r[0];
                    r = u.clone();
                    for (int i = 0; i < r.length; i++) r[i] = Math.min(r[i], m);
                }
                else return null;
            }
            return r != null && r.length == (int) v.shape().numel() ? r : null;
        }
        return null;
    }

    /** A 2-D identity-like constant of the input's shape: ones on diagonal k. */
    public static void EyeLike(OnnxNode n) {
        Value x = in(n, 0, "input");
        Shape s = x.shape();
        if (s.rank() != 2) throw n.error("input %s must be 2-D", s);
        DType t = x.dtype();
        if (n.hasAttr("dtype")) {
            t = DType.fromOnnx((int) n.attrInt("dtype", 1));
            if (t == null) throw n.error("dtype %d is not a type Kiln has", n.attrInt("dtype", 1));
        }
        long k = n.attrInt("k", 0);
        NdArray r = NdArray.zeros(t, s);
        for (int i = 0; i < s.dim(0); i++) {
            long j = i + k;
            if (j >= 0 && j < s.dim(1)) r.setDouble(i * s.dim(1) + (int) j, 1);
        }
        n.bindConstant(0, r);
    }

    /** Trilu(x, k) = where(mask, x, 0) with the triangle mask a constant of the last two axes. */
    public static void Trilu(OnnxNode n) {
        Value x = in(n, 0, "input");
        Shape s = x.shape();
        if (s.rank() < 2) throw n.error("input %s must have rank 2 or more", s);
        long[] kv = n.hasInput(1) ? n.constInts(1, "k") : new long[] {0};
        if (kv.length != 1) throw n.error("k must be a scalar");
        long k = kv[0];
        boolean upper = n.attrInt("upper", 1) != 0;
        int rows = s.dim(-2), cols = s.dim(-1);
        NdArray mask = NdArray.zeros(DType.BOOL, Shape.of(rows, cols));
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) mask.setLong(i * cols + j, (upper ? j - i >= k : j - i <= k) ? 1 : 0);
        n.emit(Ops.WHERE, List.of(n.constant("mask", mask), x, scalar(n, x.dtype(), 0, "zero")), Attrs.EMPTY);
    }

    /** DepthToSpace as ONNX defines it: reshape to 6-D, transpose (DCR or CRD order), reshape back. */
    public static void DepthToSpace(OnnxNode n) {
        Value x = in(n, 0, "input");
        Shape s = x.shape();
        long bs = n.attrInt("blocksize", 0);
        if (s.rank() != 4 || bs < 1 || s.dim(1) % (bs * bs) != 0) throw n.error("input %s must be [N, C, H, W] with C divisible by blocksize² (blocksize %d)", s, bs);
        long b = s.dim(0), c = s.dim(1) / (bs * bs), h = s.dim(2), w = s.dim(3);
        boolean crd = n.attrString("mode", "DCR").equals("CRD");
        long[] mid = crd ? new long[] {b, c, bs, bs, h, w} : new long[] {b, bs, bs, c, h, w};
        long[] perm = crd ? new long[] {0, 1, 4, 2, 5, 3} : new long[] {0, 3, 4, 1, 5, 2};
        blockMove(n, x, mid, perm, new long[] {b, c, h * bs, w * bs});
    }

    /** SpaceToDepth as ONNX defines it: reshape to 6-D, transpose (DCR or CRD order), reshape back. */
    public static void SpaceToDepth(OnnxNode n) {
        Value x = in(n, 0, "input");
        Shape s = x.shape();
        long bs = n.attrInt("blocksize", 0);
        if (s.rank() != 4 || bs < 1 || s.dim(2) % bs != 0 || s.dim(3) % bs != 0) throw n.error("input %s must be [N, C, H, W] with H and W divisible by blocksize %d", s, bs);
        long b = s.dim(0), c = s.dim(1), h = s.dim(2) / bs, w = s.dim(3) / bs;
        boolean crd = n.attrString("mode", "DCR").equals("CRD");
        long[] perm = crd ? new long[] {0, 1, 3, 5, 2, 4} : new long[] {0, 3, 5, 1, 2, 4};
        blockMove(n, x, new long[] {b, c, h, bs, w, bs}, perm, new long[] {b, c * bs * bs, h, w});
    }

    private static void blockMove(OnnxNode n, Value x, long[] mid, long[] perm, long[] out) {
        Value r = step(n, Ops.RESHAPE, List.of(x), Attrs.of("shape", mid), "split");
        Value t = step(n, Ops.TRANSPOSE, List.of(r), Attrs.of("perm", perm), "move");
        n.emit(Ops.RESHAPE, List.of(t), Attrs.of("shape", out));
    }

    /** CenterCropPad: a centred slice on axes that shrink, then a centred zero pad on axes that grow. */
    public static void CenterCropPad(OnnxNode n) {
        Value x = in(n, 0, "input_data");
        Shape s = x.shape();
        int r = s.rank();
        long[] shape = n.constInts(1, "shape");
        if (shape == null) throw n.error("input 1 (shape) is missing");
        long[] axes = n.attrInts("axes");
        if (axes == null) {
            axes = new long[r];
            for (int i = 0; i < r; i++) axes[i] = i;
        }
        if (axes.length != shape.length) throw n.error("shape has %d entries for %d axes", shape.length, axes.length);
        List<Long> sa = new ArrayList<>(), ss = new ArrayList<>(), se = new ArrayList<>();
        long[] pads = new long[2 * r];
        boolean pad = false;
        for (int i = 0; i < axes.length; i++) {
            if (axes[i] < -r || axes[i] >= r) throw n.error("axis %d is out of range for rank %d", axes[i], r);
            int a = (int) (axes[i] < 0 ? axes[i] + r : axes[i]);
            long dim = s.dim(a), want = shape[i];
            if (want < 0) throw n.error("shape %s has a negative size", Arrays.toString(shape));
            if (want < dim) {
                long start = (dim - want) / 2;
                sa.add((long) a);
                ss.add(start);
                se.add(start + want);
            } else if (want > dim) {
                pads[a] = (want - dim) / 2;
                pads[a + r] = want - dim - pads[a];
                pad = true;
            }
        }
        Value v = x;
        if (!sa.isEmpty()) {
            Attrs sl = Attrs.of("starts", longs(ss), "ends", longs(se), "axes", longs(sa));
            if (!pad) {
                n.emit(Ops.SLICE, List.of(x), sl);
                return;
            }
            v = step(n, Ops.SLICE, List.of(x), sl, "crop");
        }
        n.emit(pad ? Ops.PAD : Ops.IDENTITY, List.of(v), pad ? Attrs.of("pads", pads) : Attrs.EMPTY);
    }

    private static long[] longs(List<Long> l) {
        long[] r = new long[l.size()];
        for (int i = 0; i < r.length; i++) r[i] = l.get(i);
        return r;
    }

    /** Col2Im: image_shape and block_shape decide the output, so they are read at compile time. */
    public static void Col2Im(OnnxNode n) {
        Attrs a = with(n, "dilations", "pads", "strides").with("image_shape", n.constInts(1, "image_shape")).with("block_shape", n.constInts(2, "block_shape"));
        n.emit(Ops.COL2IM, List.of(in(n, 0, "input")), a);
    }

    /** MaxUnpool: the optional output_shape input is read at compile time. */
    public static void MaxUnpool(OnnxNode n) {
        Attrs a = with(n, "kernel_shape", "pads", "strides");
        if (n.hasInput(2)) a = a.with("output_shape", n.constInts(2, "output_shape"));
        n.emit(Ops.MAX_UNPOOL, List.of(in(n, 0, "X"), in(n, 1, "I")), a);
    }

    /**
     * LpPool(x) = (sum over the window of |x|^p)^(1/p): |x|^p, a depthwise convolution with a kernel of ones
     * (padding adds zeros, as LpPool's does), then the 1/p power. ceil_mode extends the end padding.
     */
    public static void LpPool(OnnxNode n) {
        Value x = in(n, 0, "X");
        Shape s = x.shape();
        if (!x.dtype().isFloat()) throw n.error("X must be a float tensor, got %s", x.dtype());
        Attrs w = NnMappings.windowAttrs(n, x, null);
        int r = s.rank() - 2;
        long[] k = w.getInts("kernel_shape"), pads = w.getInts("pads"), st = w.getInts("strides"), dil = w.getInts("dilations");
        if (n.attrInt("ceil_mode", 0) != 0) {
            for (int i = 0; i < r; i++) {
                long span = s.dim(i + 2) + pads[i] + pads[i + r] - ((k[i] - 1) * dil[i] + 1);
                if (span % st[i] != 0) pads[i + r] += st[i] - span % st[i];
            }
            w = w.with("pads", pads);
        }
        double p = n.attrInt("p", 2);
        if (p <= 0) throw n.error("p must be positive, got %s", p);
        int[] wd = new int[r + 2];
        wd[0] = s.dim(1);
        wd[1] = 1;
        for (int i = 0; i < r; i++) wd[i + 2] = (int) k[i];
        NdArray ones = NdArray.zeros(x.dtype(), Shape.of(wd));
        for (int i = 0; i < ones.size(); i++) ones.setDouble(i, 1);
        Value a = step(n, Ops.ABS, List.of(x), Attrs.EMPTY, "abs");
        Value pw = step(n, Ops.POW, List.of(a, scalar(n, x.dtype(), p, "p")), Attrs.EMPTY, "pow");
        Value sum = step(n, Ops.CONV, List.of(pw, n.constant("ones", ones)), w.with("group", (long) s.dim(1)), "sum");
        n.emit(Ops.POW, List.of(sum, scalar(n, x.dtype(), 1.0 / p, "inv_p")), Attrs.EMPTY);
    }

    /** GridSample: opset 16's bilinear and bicubic are opset 20's linear and cubic. */
    public static void GridSample(OnnxNode n) {
        String mode = n.attrString("mode", n.opset() < 20 ? "bilinear" : "linear");
        mode = mode.equals("bilinear") ? "linear" : mode.equals("bicubic") ? "cubic" : mode;
        n.emit(Ops.GRID_SAMPLE, List.of(in(n, 0, "X"), in(n, 1, "grid")),
                with(n, "padding_mode", "align_corners").with("mode", mode));
    }

    /**
     * AffineGrid: the constant base grid [(x, y[, z]), 1] of every output position, times theta transposed
     * (a batched matrix product), reshaped to [N, spatial..., r].
     */
    public static void AffineGrid(OnnxNode n) {
        Value theta = in(n, 0, "theta");
        long[] size = n.constInts(1, "size");
        if (size == null || (size.length != 4 && size.length != 5)) throw n.error("size must give [N, C, H, W] or [N, C, D, H, W]");
        int r = size.length - 2;
        Shape ts = theta.shape();
        if (!theta.dtype().isFloat() || !ts.equals(Shape.of(ts.dim(0), r, r + 1)) || ts.dim(0) != size[0])
            throw n.error("theta %s must be a float [N, %d, %d] with N = %d", ts, r, r + 1, size[0]);
        boolean align = n.attrInt("align_corners", 0) != 0;
        int points = 1;
        for (int i = 0; i < r; i++) points = Math.multiplyExact(points, Math.toIntExact(size[i + 2]));
        NdArray base = NdArray.zeros(theta.dtype(), Shape.of(points, r + 1));
        for (int p = 0; p < points; p++) {
            for (int i = r - 1, rem = p; i >= 0; i--) {
                long d = size[i + 2];
                long c = rem % d;
                rem /= d;
                double v = align ? (d > 1 ? -1 + 2.0 * c / (d - 1) : 0) : (2.0 * c + 1) / d - 1;
                base.setDouble(p * (r + 1) + (r - 1 - i), v);
            }
            base.setDouble(p * (r + 1) + r, 1);
        }
        Value tt = step(n, Ops.TRANSPOSE, List.of(theta), Attrs.of("perm", new long[] {0, 2, 1}), "theta_t");
        Value g = step(n, Ops.MATMUL, List.of(n.constant("base", base), tt), Attrs.EMPTY, "grid");
        long[] out = new long[r + 2];
        out[0] = size[0];
        for (int i = 0; i < r; i++) out[i + 1] = size[i + 2];
        out[r + 1] = r;
        n.emit(Ops.RESHAPE, List.of(g), Attrs.of("shape", out));
    }

    public static void RoiAlign(OnnxNode n) {
        // why: opset 10 has no coordinate_transformation_mode and computes as output_half_pixel does
        String ct = n.attrString("coordinate_transformation_mode", n.opset() < 16 ? "output_half_pixel" : "half_pixel");
        n.emit(Ops.ROI_ALIGN, List.of(in(n, 0, "X"), in(n, 1, "rois"), in(n, 2, "batch_indices")),
                with(n, "mode", "output_height", "output_width", "sampling_ratio", "spatial_scale").with("coordinate_transformation_mode", ct));
    }

    public static void DeformConv(OnnxNode n) {
        Value w = in(n, 1, "W");
        Attrs a = NnMappings.windowAttrs(n, in(n, 0, "X"), w.shape().rank() < 3 ? null : dev.kiln.ops.ConvGeometry.spatial(w.shape()));
        n.emit(Ops.DEFORM_CONV, n.inputs(), a.with("group", n.attrInt("group", 1)).with("offset_group", n.attrInt("offset_group", 1)));
    }
}
