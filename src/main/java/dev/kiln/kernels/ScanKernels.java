package dev.kiln.kernels;

import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;

/**
 * The geometry of the ops that work along one axis of their input, written once in
 * {@code templates/kernels/scan.stg}: ArgMax/ArgMin, CumSum/CumProd, TopK and Hardmax (one parallel iteration per
 * line along the axis), and Det (one per matrix).
 */
public final class ScanKernels {
    private ScanKernels() {}

    /** A tensor seen as {@code [outer, n, inner]} along the op's axis: iteration i walks line (i / inner, i % inner). */
    public static final class Lines {
        /** Lines, elements per line, the distance between a line's elements, and between outer blocks (n * inner). */
        public final long lines, n, inner, block;
        /** Elements per line of output 0 (TopK's k) and the output's block (k * inner). */
        public final long k, outBlock;
        /** ArgMin/TopK with largest = 0 (smallest wins) rather than the largest. */
        public final boolean smallest;
        /** ArgMax/ArgMin: ties go to the last index. CumSum/CumProd: exclusive, reverse, product (else sum). */
        public final boolean last, exclusive, reverse, product;
        /** TopK's Indices output's parameter name, or null when it is not wanted. */
        public final String indices;
        /** TopK with a run-time k: input K's parameter name (then {@link #k} is the bound), else null. */
        public String runTimeK;

        Lines(KernelModel km, Node n, long axisAttr, long k, boolean smallest, boolean product) {
            Shape s = n.input(0).shape();
            int a = s.axis(axisAttr);
            long outer = s.prod(0, a);
            this.n = s.dim(a);
            inner = s.prod(a + 1, s.rank());
            lines = outer * inner;
            block = this.n * inner;
            this.k = k;
            outBlock = k * inner;
            this.smallest = smallest;
            this.product = product;
            last = n.attrs().getInt("select_last_index", 0) != 0;
            exclusive = n.attrs().getInt("exclusive", 0) != 0;
            reverse = n.attrs().getInt("reverse", 0) != 0;
            indices = km.outs.size() > 1 && km.outs.get(1).present ? km.outs.get(1).name : null;
        }
    }

    private static Object lines(KernelModel k, Lines m) {
        k.parallel = m.lines;
        return m;
    }

    /** Lowers {@code arg_max}: one iteration per line, the first (or last) largest element's index. */
    public static Object argMax(KernelModel k, Node n, Strategy t) {
        return lines(k, new Lines(k, n, n.attrs().getInt("axis"), 1, false, false));
    }

    /** Lowers {@code arg_min}. */
    public static Object argMin(KernelModel k, Node n, Strategy t) {
        return lines(k, new Lines(k, n, n.attrs().getInt("axis"), 1, true, false));
    }

    /** Lowers {@code cum_sum}: one iteration per line, a running sum along it. */
    public static Object cumSum(KernelModel k, Node n, Strategy t) {
        return lines(k, new Lines(k, n, n.attrs().getInt("axis"), 1, false, false));
    }

    /** Lowers {@code cum_prod}. */
    public static Object cumProd(KernelModel k, Node n, Strategy t) {
        return lines(k, new Lines(k, n, n.attrs().getInt("axis"), 1, false, true));
    }

    /**
     * Lowers {@code top_k}: one iteration per line, k selection passes over it (no scratch memory). With a run-time
     * k (input K) the passes stop at K's value (clamped to the bound), the rest of the bound is zeroed and the kernel
     * reports K's value as the extent.
     */
    public static Object topK(KernelModel k, Node n, Strategy t) {
        boolean runTime = n.numInputs() > 1 && n.input(1) != null;
        int a = n.input(0).shape().axis(n.attrs().getInt("axis"));
        Lines m = new Lines(k, n, n.attrs().getInt("axis"), runTime ? n.output(0).shape().dim(a) : n.attrs().getInt("k"),
                n.attrs().getInt("largest") == 0, false);
        if (runTime) m.runTimeK = k.ins.get(1).name;
        return lines(k, m);
    }

    /** Lowers {@code hardmax}: one iteration per line. */
    public static Object hardmax(KernelModel k, Node n, Strategy t) {
        return lines(k, new Lines(k, n, n.attrs().getInt("axis"), 1, false, false));
    }

    /** The largest matrix Det copies into a private array of the kernel (elements). */
    static final long DET_MAX_ELEMENTS = 1024;

    /** Model of {@code det}: square matrices of {@link #m} rows, one parallel iteration each. */
    public static final class Det {
        public final long batch, m, mm;

        Det(Node n) {
            Shape s = n.input(0).shape();
            m = s.dim(s.rank() - 1);
            mm = m * m;
            batch = s.prod(0, s.rank() - 2);
        }
    }

    /** Lowers {@code det}: Gaussian elimination with partial pivoting in the dialect's widest float, per matrix. */
    public static Object det(KernelModel k, Node n, Strategy t) {
        Det m = new Det(n);
        // why: the matrix is copied into a private array of the kernel (stack or registers), which must stay small
        if (m.mm > DET_MAX_ELEMENTS)
            throw new Unsupported("det of " + m.m + "x" + m.m + " matrices (at most " + DET_MAX_ELEMENTS + " elements per matrix)");
        k.parallel = m.batch;
        return m;
    }
}
