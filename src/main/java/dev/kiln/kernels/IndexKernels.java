package dev.kiln.kernels;

import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The geometry of the gather, scatter and index-driven kernels written once in {@code templates/kernels/index.stg}.
 * Indices are read from their tensor at run time (constant ones too: they are weights), with ONNX's rule that a
 * negative index counts from the end; an index still outside its axis reads 0 and writes nothing (the interpreter
 * rejects it; see {@link dev.kiln.ops.IntegerSemantics}), so no generated kernel reads or writes out of bounds.
 */
public final class IndexKernels {
    private IndexKernels() {}

    /**
     * The terms {@code (v / div) % mod * mul} that map a row-major position {@code v} of a tensor of shape
     * {@code walk} onto an offset with strides {@code to}, leaving out axis {@code skip} (-1: none) and unit axes.
     */
    static List<TensorInfo.Term> terms(int[] walk, int[] to, int skip) {
        List<TensorInfo.Term> r = new ArrayList<>();
        int[] ws = Shape.of(walk).strides();
        for (int d = 0; d < walk.length; d++) {
            if (d == skip || walk[d] == 1 || to[d] == 0) continue;
            r.add(new TensorInfo.Term(ws[d], walk[d], to[d]));
        }
        return r;
    }

    /** One coordinate an index tuple addresses: its position in the tuple, its axis' size and stride. */
    public static final class Coord {
        public final long q, dim, stride;

        Coord(long q, long dim, long stride) {
            this.q = q;
            this.dim = dim;
            this.stride = stride;
        }
    }

    /** The reduction template ({@code scatter_none}, {@code scatter_add}, ...) of a scatter node. */
    private static String combine(Node n) { return "scatter_" + n.attrs().getString("reduction"); }

    /**
     * gather_elements (one item per output element) and scatter_elements (one item applying every update in order):
     * position v of indices maps to {@link #terms} plus the index times {@link #axisStride}.
     */
    public static final class Elements {
        public final List<TensorInfo.Term> terms;
        public final long axisDim, axisStride, updates;
        /** The scatter's combine template, or null for the gather. */
        public final String combine;
        public final boolean empty;

        Elements(Node n) {
            Shape d = n.input(0).shape(), ix = n.input(1).shape();
            int a = d.axis(n.attrs().getInt("axis"));
            terms = terms(ix.dims(), d.strides(), a);
            axisDim = d.dim(a);
            axisStride = d.strides()[a];
            updates = ix.numel();
            combine = n.attrs().has("reduction") ? combine(n) : null;
            empty = n.output(0).shape().numel() == 0;
        }
    }

    /** gather_elements: one parallel iteration per output element. */
    public static Object gatherElements(KernelModel k, Node n, Strategy t) { return new Elements(n); }

    /** scatter_elements: the copy and the updates in order, in one iteration (duplicates keep the last, as ONNX says). */
    public static Object scatterElements(KernelModel k, Node n, Strategy t) {
        k.parallel = 1;
        return new Elements(n);
    }

    /**
     * gather_nd and scatter_nd: tuple t of {@link #k} coordinates addresses a slice of {@link #slice} elements at
     * offset {@code (t / perBatch) * batchStride + sum(index_q * stride_q)}.
     */
    public static final class Nd {
        public final long k, slice, perBatch, batchStride, tuples;
        public final List<Coord> coords = new ArrayList<>();
        public final String combine;
        public final boolean empty;

        Nd(Node n, int b) {
            Shape d = n.input(0).shape(), is = n.input(1).shape();
            k = is.dim(-1);
            slice = d.prod(b + (int) k, d.rank());
            perBatch = is.prod(b, is.rank() - 1);
            batchStride = d.prod(b, d.rank());
            tuples = is.prod(0, is.rank() - 1);
            for (int q = 0; q < k; q++) coords.add(new Coord(q, d.dim(b + q), d.strides()[b + q]));
            combine = n.attrs().has("reduction") ? combine(n) : null;
            empty = n.output(0).shape().numel() == 0;
        }
    }

    /** gather_nd: one parallel iteration per output element. */
    public static Object gatherNd(KernelModel k, Node n, Strategy t) { return new Nd(n, (int) n.attrs().getInt("batch_dims")); }

    /** scatter_nd: the copy and the slice updates in order, in one iteration. */
    public static Object scatterNd(KernelModel k, Node n, Strategy t) {
        k.parallel = 1;
        return new Nd(n, 0);
    }

    /**
     * tensor_scatter: output element (o, pos, e) takes update element (o, s, e) when the batch entry's write
     * position plus s is pos (modulo the cache length when circular), else the cache's element.
     */
    public static final class CacheWrite {
        public final long inner, max, len, perBatch;
        public final boolean circular, hasIndices;

        CacheWrite(Node n) {
            Shape c = n.input(0).shape(), u = n.input(1).shape();
            int a = c.axis(n.attrs().getInt("axis"));
            inner = c.prod(a + 1, c.rank());
            max = c.dim(a);
            len = u.dim(a);
            perBatch = c.prod(1, a);
            circular = n.attrs().getString("mode").equals("circular");
            hasIndices = n.numInputs() > 2 && n.input(2) != null;
        }
    }

    /** tensor_scatter: one parallel iteration per output element. */
    public static Object tensorScatter(KernelModel k, Node n, Strategy t) { return new CacheWrite(n); }

    /** one_hot: output element (o, j, e) is on when index (o, e), counted from the end when negative, is j. */
    public static final class OneHot {
        public final long depth, inner;
        public final boolean floatIndex;

        OneHot(Node n) {
            Shape y = n.output(0).shape();
            int a = Shape.normalizeAxis(n.attrs().getInt("axis"), y.rank());
            depth = y.dim(a);
            inner = y.prod(a + 1, y.rank());
            floatIndex = n.input(0).dtype().isFloat();
        }
    }

    /** one_hot: one parallel iteration per output element. */
    public static Object oneHot(KernelModel k, Node n, Strategy t) { return new OneHot(n); }

    /**
     * reverse_sequence: output element i at batch b and time s reads time {@code len - 1 - s} when s is below the
     * batch's length (clamped into 0..steps), else time s.
     */
    public static final class Reverse {
        public final long batchDiv, batchMod, timeDiv, timeMod, timeStride;

        Reverse(Node n) {
            Shape s = n.input(0).shape();
            int b = (int) n.attrs().getInt("batch_axis"), t = (int) n.attrs().getInt("time_axis");
            int[] str = s.strides();
            batchDiv = str[b];
            batchMod = s.dim(b);
            timeDiv = str[t];
            timeMod = s.dim(t);
            timeStride = str[t];
        }
    }

    /** reverse_sequence: one parallel iteration per output element. */
    public static Object reverseSequence(KernelModel k, Node n, Strategy t) { return new Reverse(n); }
}
