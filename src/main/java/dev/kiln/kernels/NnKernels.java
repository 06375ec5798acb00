package dev.kiln.kernels;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ops.Broadcast;
import dev.kiln.ops.ConvGeometry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * C kernel lowerings of the nn ops (convolutions, pools, normalizations, matrix products): one public static
 * method per op (see Lowerings), each computing the geometry its template in {@code nn.stg} loops over.
 *
 * <p>Windowed ops work on a canonical 3-d window (depth, height, width): 1-d and 2-d ops get leading axes of size
 * one. Where a window can cross padding, each axis has small constant tables, indexed by output position (or by
 * kernel tap for a transposed convolution), of the first valid tap and of the valid range, so the C never reads
 * outside its input and needs no bounds test inside the loops.
 */
public final class NnKernels {
    private NnKernels() {}

    /** Spatial axes of the canonical window. */
    private static final int AXES = 3;
    /** Table values per line of generated C. */
    private static final int PER_LINE = 16;
    private static final String[] AXIS_NAMES = {"d", "h", "w"};

    /** A constant lookup table emitted at the top of a kernel body: {@code static const type name[count]}. */
    public static final class Table {
        /** The C name and the smallest unsigned C type holding every value. */
        public final String name, type;
        /** Number of values. */
        public final int count;
        /** The values, several per line, each followed by a comma except the last. */
        public final List<String> lines;

        Table(String name, int[] values) {
            this.name = name;
            this.count = values.length;
            int max = 0;
            for (int v : values) {
                if (v < 0) throw new IllegalStateException("negative table value in " + name);
                max = Math.max(max, v);
            }
            this.type = max <= 0xFF ? "uint8_t" : max <= 0xFFFF ? "uint16_t" : "uint32_t";
            List<String> ls = new ArrayList<>();
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < values.length; i++) {
                if (b.length() > 0) b.append(' ');
                b.append(values[i]).append(i + 1 < values.length ? "," : "");
                if ((i + 1) % PER_LINE == 0) {
                    ls.add(b.toString());
                    b.setLength(0);
                }
            }
            if (b.length() > 0) ls.add(b.toString());
            this.lines = ls;
        }
    }

    /** One spatial axis of a canonical window: sizes, element steps and its tables. */
    public static final class Axis {
        /** Input size, output size, kernel size, stride and dilation. */
        public final int in, out, kernel, stride, dilation;
        /** Elements between neighbours along this axis in an input plane, in an output plane, in a kernel. */
        public final long inStep, outStep, kStep;
        /** {@code dilation * inStep}: input elements between two taps; {@code stride * outStep}: output elements between two inputs (transposed). */
        public final long dilStep, strideOutStep;
        /** Table names ({@code lo_w}, ...) for this axis; {@code den} (average_pool's divisor) may name the count table. */
        public final String lo, hi, start, count;
        public String den;
        /** Padding before the first input element (convs and pools). */
        public int padBegin;

        Axis(String name, int in, int out, int kernel, int stride, int dilation, long inStep, long outStep, long kStep) {
            this.in = in;
            this.out = out;
            this.kernel = kernel;
            this.stride = stride;
            this.dilation = dilation;
            this.inStep = inStep;
            this.outStep = outStep;
            this.kStep = kStep;
            this.dilStep = dilation * inStep;
            this.strideOutStep = stride * outStep;
            this.lo = "lo_" + name;
            this.hi = "hi_" + name;
            this.start = "start_" + name;
            this.count = "n_" + name;
            this.den = "den_" + name;
        }
    }

    /** The model of a convolution, a transposed convolution or a pool over the canonical 3-d window. */
    public static final class Window {
        /** The axes: depth, height, width. */
        public final Axis d, h, w;
        /** The constant tables the kernel body declares first. */
        public final List<Table> tables = new ArrayList<>();
        /** Batch, channels (input), output channels, groups, input and output channels per group. */
        public int batch, channels, outChannels, groups, groupIn, groupOut;
        /** Elements of one input plane, one output plane, one kernel (taps); planes = batch * channels. */
        public long inPlane, outPlane, taps, planes;
        /** conv: elements of one batch item of X (channels * inPlane) and of Y (outChannels * outPlane). */
        public long xBatch, yBatch;
        /** Input elements of one group of channels; weight elements per output (conv) or input (transposed) channel. */
        public long groupInStride, wStride;
        /** Whether the optional bias is given; whether a residual Z (conv's fourth input, named {@link #z}) is added. */
        public boolean hasBias, hasZ;
        public String z;
        /** conv: the depthwise kernel applies (group == C_in, one input channel per group). */
        public boolean depthwise;
        /** The activation fused into the node ({@code act.present} false when none). */
        public Activation act;
        /** max_pool: the lowest value (the start of a max) and the value of a window with no input in it. */
        public String lowest, empty;
        /**
         * Pools: one output column whose window takes every input column, and no dilation along height or width, so
         * each window's taps in a depth slice are one run of whole rows (average_pool sums it in partial sums).
         */
        public boolean wholeRows;
        /** conv: computed as a register-blocked matrix product ({@link #gemm}, see {@link BlockedKernels}). */
        public boolean blocked;
        public BlockedKernels.Gemm gemm;
        /** conv on a scalar FPU: register blocks of channels by adjacent columns straight from X ({@link ScalarConvKernels}), or null. */
        public ScalarConvKernels.Rows rowConv;
        /** conv: computed directly over zero-padded phase planes ({@link DirectConvKernels}), or null. */
        public DirectConvKernels.Direct direct;
        /** conv 3×3 at stride 1: Winograd F(2,3) ({@link WinogradKernels}), or null. */
        public WinogradKernels.Winograd winograd;
        /** conv 3×3 at stride 1 over a small plane: Winograd F(4,3) ({@link WinogradKernels.Winograd4}), or null. */
        public WinogradKernels.Winograd4 winograd4;
        /** conv 1×1: the product vectorised over output channels ({@link PointwiseGemm}), or null. */
        public PointwiseGemm pointwise;
        /** conv 1×1 over fewer pixels than a vector: a matrix-vector product per pixel with W^T packed [C_in][C_out]. */
        public boolean gemv;
        /**
         * gemv with vectors: each block of {@code gemvLanes} output channels keeps one vector of sums per pixel, so W^T
         * is read once for all pixels rather than once per pixel; channels from {@code gemvFull} on (when
         * {@code gemvTail}) take the per-pixel loop.
         */
        public boolean gemvBlocked, gemvTail;
        public long gemvLanes, gemvBytes, gemvFull;
        /**
         * Depthwise conv: the interior fast path applies to output rows [ohLo, ohHi) and columns [owLo, owHi); an
         * interior row oh starts at input element {@code oh * hRowStep - rowShift}, its first interior window at
         * {@code colStart} further.
         */
        public boolean fastDw;
        /** max_pool: the interior fast path (same interior fields as {@link #fastDw}). */
        public boolean fastPool;
        /**
         * max_pool on vector hosts: an interior row is computed tap by tap over a row buffer of {@code poolWidth}
         * outputs (the outputs in the inner loop, which the compiler vectorises), in the same tap order per output.
         */
        public boolean poolRows;
        public long poolWidth;
        /**
         * max_pool rows at column stride 1 or 2 in GCC vectors of {@code poolVectorBytes} ({@code poolLanes} outputs,
         * each window's taps in the same order, the running maximum in a register): whole vectors up to
         * {@code poolFullEnd}, then with {@code poolTail} one more ending at the row's end (recomputing a few outputs);
         * stride 2 takes a vector's even inputs from two loads with {@code poolEven}'s lane indices. The plain
         * row loop is the {@code KILN_NO_VECTOR_EXT} form.
         */
        public boolean poolVectors, poolTail, poolStride2;
        public long poolVectorBytes, poolLanes, poolFullEnd, poolTailStart;
        public String poolEven;
        /**
         * Vector max_pool whose windows overlap along the height (stride below the kernel, dilation 1): each input row's
         * maxima over the kw taps are computed once into a ring of {@code h.kernel} rows of {@code poolWidth} (input
         * row r in slot r mod kernel) and each output row folds its kh rows of the ring. The fold's grouping differs
         * from the window loop's, not its order, and the NaN-skipping maximum is associative, so the bytes are equal.
         */
        public boolean poolRing;
        public long ohLo, ohHi, owLo, owHi, rowShift, colStart, hRowStep;
        /** Whether rows before ohLo, and columns before owLo, take the table path (so the C tests for them). */
        public boolean rowsBelow, colsBefore;
        /**
         * Depthwise conv through a zero-padded plane in scratch ({@code padH x padW}, X's first element at
         * {@code padOrigin}): {@code flatDw} (stride 1) computes {@code flatLen} outputs over the flattened plane, as
         * if rows were padW long, and keeps the first w.out of each row; else row by row. {@code hTapStep} and
         * {@code hOutStep}: padded elements between two tap rows and between two output rows.
         */
        public boolean paddedDw, flatDw;
        public long padH, padW, padPlane, flatLen, padOrigin, hTapStep, hOutStep;
        /** Flat depthwise with a GCC vector type of dwVectorBytes (behind __GNUC__): its taps (index, flat offset). */
        public boolean dwVector;
        public int dwVectorBytes;
        /**
         * Strided depthwise on vector hosts: each channel's rows through padded phase rows ({@link DepthwiseRows}, the
         * whole plane as one block), a vector of outputs per step, stored straight into Y (null: another path).
         */
        public DepthwiseRows dwRows;
        /** The flat vector path on small planes, several channels a turn (null: one channel a turn). */
        public DepthwiseChannels dwChannels;
        public final List<BlockedKernels.Vec> dwTaps = new ArrayList<>();
        /** The tables of the height and width axes only (the fast depthwise path reads no depth table). */
        public final List<Table> planeTables = new ArrayList<>();

        Window(Axis[] a) {
            d = a[0];
            h = a[1];
            w = a[2];
        }

        Axis axis(int i) { return i == 0 ? d : i == 1 ? h : w; }
    }

    /** Per-axis sizes padded to three axes in front: {in, kernel, stride, dilation, padBegin, padEnd, out}. */
    private static int[][] canonical(ConvGeometry g, String op) {
        int r = g.rank();
        // why: the kernel loops are written for up to three spatial axes (all ONNX cases and models)
        if (r > AXES) throw new Unsupported(op + " with " + r + " spatial axes (the C kernel handles 1 to 3)");
        int[][] c = new int[AXES][];
        for (int i = 0; i < AXES; i++) {
            int j = i - (AXES - r);
            c[i] = j < 0 ? new int[] {1, 1, 1, 1, 0, 0, 1}
                    : new int[] {g.in[j], g.kernel[j], g.strides[j], g.dilations[j], g.padsBegin[j], g.padsEnd[j], g.out[j]};
        }
        return c;
    }

    private static Window window(int[][] c) {
        Axis[] axes = new Axis[AXES];
        long inStep = 1, outStep = 1, kStep = 1;
        for (int i = AXES - 1; i >= 0; i--) {
            axes[i] = new Axis(AXIS_NAMES[i], c[i][0], c[i][6], c[i][1], c[i][2], c[i][3], inStep, outStep, kStep);
            axes[i].padBegin = c[i][4];
            inStep *= c[i][0];
            outStep *= c[i][6];
            kStep *= c[i][1];
        }
        Window m = new Window(axes);
        m.inPlane = inStep;
        m.outPlane = outStep;
        m.taps = kStep;
        return m;
    }

    /**
     * For each output position of an axis {in, kernel, stride, dilation, padBegin, ...}: the first and end tap
     * inside the input, and the input index of the first one (0 when the window lies wholly in the padding).
     */
    private static int[][] taps(int[] a) {
        int in = a[0], k = a[1], s = a[2], dil = a[3], pb = a[4], out = a[6];
        int[] lo = new int[out], hi = new int[out], start = new int[out];
        for (int o = 0; o < out; o++) {
            long first = (long) o * s - pb;
            int l = 0, e = 0;
            while (l < k && first + (long) l * dil < 0) l++;
            e = l;
            while (e < k && first + (long) e * dil < in) e++;
            if (e <= l) {
                l = 0;
                e = 0;
            }
            lo[o] = l;
            hi[o] = e;
            start[o] = e > l ? (int) (first + (long) l * dil) : 0;
        }
        return new int[][] {lo, hi, start};
    }

    /** Convolution (float, 1-d to 3-d, groups, strides, dilations, explicit pads, optional bias). */
    public static Object conv(KernelModel k, Node n, Strategy t) {
        Shape xs = n.input(0).shape(), ws = n.input(1).shape();
        ConvGeometry g = ConvGeometry.forConv(n.attrs(), xs, ws);
        int[][] c = canonical(g, "conv");
        Window m = window(c);
        m.batch = xs.dim(0);
        m.channels = xs.dim(1);
        m.outChannels = ws.dim(0);
        m.groups = (int) n.attrs().getInt("group", 1);
        m.groupIn = m.channels / m.groups;
        m.groupOut = m.outChannels / m.groups;
        m.groupInStride = m.groupIn * m.inPlane;
        m.wStride = m.groupIn * m.taps;
        m.xBatch = m.channels * m.inPlane;
        m.yBatch = m.outChannels * m.outPlane;
        m.hasBias = n.input(2) != null;
        m.hasZ = n.input(3) != null;
        m.z = m.hasZ ? k.ins.get(3).name : null;
        // why: the store reads Z[i] just before writing Y[i], so Y may take Z's buffer, unless Z's buffer is also X's
        // (the same value, or one an alias of the other), which is read after Y is written
        if (m.hasZ && n.input(3) != n.input(0) && !aliased(n.input(0)) && !aliased(n.input(3))) k.inPlaceInput = 3;
        // why: with one input channel per group the channel loop has one trip; the depthwise kernel drops it
        m.depthwise = m.groups == m.channels && m.groupIn == 1;
        m.act = Activation.fused(n);
        for (int i = 0; i < AXES; i++) {
            Axis a = m.axis(i);
            int[][] tb = taps(c[i]);
            m.tables.add(new Table(a.lo, tb[0]));
            m.tables.add(new Table(a.hi, tb[1]));
            m.tables.add(new Table(a.start, tb[2]));
        }
        if (!WinogradKernels.chooseConv(k, n, t, m) && !DirectConvKernels.chooseConv(k, n, t, m) && !PointwiseGemm.chooseConv(k, n, t, m)) BlockedKernels.chooseConv(k, n, t, m);
        contract(k, n);
        return m;
    }

    /**
     * Lets a float kernel fuse its products and sums into FMAs ({@link KernelModel#fpContract}); never an integer or
     * quantized one, whose rounding is bit-exact.
     */
    private static void contract(KernelModel k, Node n) {
        boolean floats = n.output(0).dtype().isFloat();
        for (dev.kiln.ir.Value v : n.inputs()) if (v != null && !v.dtype().isFloat()) floats = false;
        if (floats) k.fpContract = true;
    }

    /** Whether {@code v} is produced by an alias op (sharing its input's buffer). */
    private static boolean aliased(dev.kiln.ir.Value v) {
        return v.producer() != null && v.producer().op().has(dev.kiln.ops.Trait.ALIAS);
    }

    /** Transposed convolution (float, 1-d to 3-d, groups, strides, dilations, pads, output_padding, optional bias). */
    public static Object convTranspose(KernelModel k, Node n, Strategy t) {
        Shape xs = n.input(0).shape(), ws = n.input(1).shape();
        ConvGeometry g = ConvGeometry.transposed(n.attrs(), ConvGeometry.spatial(xs), ConvGeometry.spatial(ws));
        int[][] c = canonical(g, "conv_transpose");
        Window m = window(c);
        m.batch = xs.dim(0);
        m.channels = xs.dim(1);
        m.groups = (int) n.attrs().getInt("group", 1);
        m.groupIn = m.channels / m.groups;
        m.groupOut = ws.dim(1);
        m.outChannels = m.groupOut * m.groups;
        m.groupInStride = m.groupIn * m.inPlane;
        m.wStride = m.groupOut * m.taps;
        m.hasBias = n.input(2) != null;
        m.act = Activation.fused(n);
        // For each tap of an axis: the input positions [lo, hi) whose target i * s + k * d - pb lies in the output,
        // and the output index of the first.
        for (int i = 0; i < AXES; i++) {
            Axis a = m.axis(i);
            int[] ax = c[i];
            int in = ax[0], kn = ax[1], s = ax[2], dil = ax[3], pb = ax[4], out = ax[6];
            int[] lo = new int[kn], hi = new int[kn], start = new int[kn];
            for (int q = 0; q < kn; q++) {
                long off = (long) q * dil - pb;
                long l = Math.max(0, Math.floorDiv(-off + s - 1, s));
                long e = Math.min(in, Math.floorDiv(out - 1 - off, s) + 1);
                if (e > l) {
                    lo[q] = (int) l;
                    hi[q] = (int) e;
                    start[q] = (int) (l * s + off);
                }
            }
            m.tables.add(new Table(a.lo, lo));
            m.tables.add(new Table(a.hi, hi));
            m.tables.add(new Table(a.start, start));
        }
        return m;
    }

    /**
     * The geometry of a pool node (max_pool, average_pool) and its per-axis start and valid-count tables; fills
     * {@code paddedCounts} with each axis's count of window positions inside the input or its pads.
     */
    private static Window pool(Node n, String op, int[][] paddedCounts) {
        Shape xs = n.input(0).shape();
        Attrs a = n.attrs();
        ConvGeometry g = ConvGeometry.of(a, ConvGeometry.spatial(xs), null, a.getInt("ceil_mode", 0) == 1);
        int[][] c = canonical(g, op);
        Window m = window(c);
        m.batch = xs.dim(0);
        m.channels = xs.dim(1);
        m.planes = (long) m.batch * m.channels;
        for (int i = 0; i < AXES; i++) {
            Axis ax = m.axis(i);
            int[][] tb = taps(c[i]);
            int[] cnt = new int[ax.out], pc = new int[ax.out];
            for (int o = 0; o < ax.out; o++) {
                cnt[o] = tb[1][o] - tb[0][o];
                // window positions inside the input or its pads (the divisor of count_include_pad)
                long first = (long) o * ax.stride - c[i][4];
                for (int q = 0; q < ax.kernel; q++) {
                    long p = first + (long) q * ax.dilation;
                    if (p >= -c[i][4] && p < ax.in + c[i][5]) pc[o]++;
                }
            }
            paddedCounts[i] = pc;
            m.tables.add(new Table(ax.start, tb[2]));
            m.tables.add(new Table(ax.count, cnt));
            // why: the width axis comes last; its single window must start at column 0 and cover the row
            if (ax == m.w) m.wholeRows = ax.out == 1 && tb[2][0] == 0 && cnt[0] == ax.in && ax.dilation == 1 && m.h.dilation == 1;
        }
        return m;
    }

    /** Max pooling (float, int8, uint8; 1-d to 3-d, strides, dilations, pads, ceil_mode); NaNs are skipped. */
    public static Object maxPool(KernelModel k, Node n, Strategy t) {
        Window m = pool(n, "max_pool", new int[AXES][]);
        DType dt = n.input(0).dtype();
        m.lowest = dt.isFloat() ? ScalarTypes.literal(dt, Double.NEGATIVE_INFINITY) : ScalarTypes.literal(dt, dt.minValue());
        m.empty = ScalarTypes.literal(dt, Double.NaN);
        BlockedKernels.choosePool(t, m, dt);
        return m;
    }

    /** Average pooling (float; 1-d to 3-d, strides, dilations, pads, ceil_mode, count_include_pad). */
    public static Object averagePool(KernelModel k, Node n, Strategy t) {
        int[][] pc = new int[AXES][];
        Window m = pool(n, "average_pool", pc);
        boolean includePad = n.attrs().getInt("count_include_pad", 0) == 1;
        for (int i = 0; i < AXES; i++) {
            Axis a = m.axis(i);
            if (includePad) m.tables.add(new Table(a.den, pc[i]));
            else a.den = a.count;
        }
        return m;
    }

    /** The model of a per-plane reduction or normalization over X [N, C, spatial...]. */
    public static final class Planes {
        /** Batch, channels, elements per plane and planes (batch * channels). */
        public long batch, channels, plane, planes;
        /** Batch stride (channels * plane). */
        public long batchStride;
        /** The divisor of an average (the plane size) as a literal of the compute type. */
        public String divisor;
        /** global_average_pool: partial sums summed lane-wise across the plane (a power of two), 0 for one running sum. */
        public long lanes;
        /** Whether {@code lanes} is above 0. */
        public boolean partialSums;
        /** Pools: the lowest value and the value of an all-NaN plane. */
        public String lowest, empty;
        /** lrn: channels below the centre, and one past the channels above it; alpha / size, beta, bias as literals. */
        public long below, aboveEnd;
        public String alphaOverSize, beta, bias;
        /** batch_norm: the epsilon literal and the parameter names of scale, B, mean and var. */
        public String epsilon, scale, shift, mean, variance;
    }

    private static Planes planes(Node n) {
        Shape xs = n.input(0).shape();
        Planes m = new Planes();
        m.batch = xs.dim(0);
        m.channels = xs.rank() > 1 ? xs.dim(1) : 1;
        m.plane = xs.rank() > 2 ? xs.prod(2, xs.rank()) : 1;
        m.planes = m.batch * m.channels;
        m.batchStride = m.channels * m.plane;
        return m;
    }

    private static DType compute(Node n) {
        return n.output(0).dtype() == DType.F64 ? DType.F64 : DType.F32;
    }

    /** Mean of each plane (float). */
    public static Object globalAveragePool(KernelModel k, Node n, Strategy t) {
        Planes m = planes(n);
        m.divisor = ScalarTypes.literal(compute(n), m.plane);
        m.lanes = sumLanes(t, compute(n).byteSize(), m.plane);
        m.partialSums = m.lanes > 0;
        return m;
    }

    /**
     * How many partial sums a plane's sum keeps on a vector host optimised for speed: two registers' worth, so the
     * vectorised adds do not wait on each other, halved until the plane fills them at least once; 0 (one running sum,
     * the order of every other target) below four lanes.
     */
    static long sumLanes(Strategy t, int elementBytes, long plane) {
        if (!t.optimizeForSpeed() || t.vectorBytes() < 16) return 0;
        long lanes = 2L * t.vectorBytes() / elementBytes;
        while (lanes > plane) lanes /= 2;
        return lanes >= 4 ? lanes : 0;
    }

    /**
     * The partials of a row reduction of n elements (softmax, layer normalization) on a vector host: at most
     * {@link #sumLanes}, fewer where that leaves a shorter scalar tail for about as many vector steps (50 elements:
     * 16 lanes, 3 steps and 2 left, not 32 lanes and 18 left); 0 for one running value.
     */
    static long rowLanes(Strategy t, int elementBytes, long n) {
        long most = sumLanes(t, elementBytes, n), best = most;
        for (long l = most / 2; l >= 4; l /= 2)
            if (n / l + n % l < n / best + n % best) best = l;
        return best;
    }

    /** The widths of a tree combination of {@code lanes} partials, one constant-width loop each: lanes / 2, ..., 1. */
    static java.util.List<Long> halves(long lanes) {
        java.util.List<Long> h = new java.util.ArrayList<>();
        for (long w = lanes / 2; w > 0; w /= 2) h.add(w);
        return h;
    }

    /** Maximum of each plane, NaNs skipped (float). */
    public static Object globalMaxPool(KernelModel k, Node n, Strategy t) {
        Planes m = planes(n);
        DType dt = n.input(0).dtype();
        m.lowest = ScalarTypes.literal(dt, Double.NEGATIVE_INFINITY);
        m.empty = ScalarTypes.literal(dt, Double.NaN);
        return m;
    }

    /** Inference batch normalization; per-channel parameters may be of another float type than X. */
    public static Object batchNorm(KernelModel k, Node n, Strategy t) {
        Planes m = planes(n);
        m.epsilon = ScalarTypes.literal(compute(n), n.attrs().getFloat("epsilon", 1e-5));
        m.scale = k.ins.get(1).name;
        m.shift = k.ins.get(2).name;
        m.mean = k.ins.get(3).name;
        m.variance = k.ins.get(4).name;
        return m;
    }

    /** Local response normalization across channels (float). */
    public static Object lrn(KernelModel k, Node n, Strategy t) {
        Planes m = planes(n);
        Attrs a = n.attrs();
        long size = a.getInt("size");
        DType ct = compute(n);
        m.below = (size - 1) / 2;
        m.aboveEnd = size - m.below;
        m.alphaOverSize = ScalarTypes.literal(ct, a.getFloat("alpha", 1e-4) / size);
        m.beta = ScalarTypes.literal(ct, a.getFloat("beta", 0.75));
        m.bias = ScalarTypes.literal(ct, a.getFloat("bias", 1.0));
        return m;
    }

    /** The model of a (batched) matrix product {@code Y[q] = alpha * A'[q] B'[q] + beta * C}. */
    public static final class Matmul {
        /** Rows of the result, inner dimension, columns of the result, elements per batch entry, and batch count. */
        public long m, k, n, mn, batch;
        /** Steps of A' along a row index and along the inner index; of B' along the inner and column indices. */
        public long aRow, aInner, bInner, bCol;
        /** Loop order: rows of B' added into the output row (float with contiguous B' rows), else dot products. */
        public boolean axpy;
        /** Integer arithmetic in the unsigned type (wraps like int32/int64 hardware). */
        public boolean integer;
        /** Batch offsets: affine ({@code q * step}) or from the tables {@code aoff} / {@code boff}. */
        public boolean affine;
        public long aBatchStep, bBatchStep;
        public final List<Table> tables = new ArrayList<>();
        /** The accumulator's C type (the element type, or its unsigned twin for integers) and its zero. */
        public String acc, zero;
        /** gemm: scale the sum by alpha and/or add beta * C (then the epilogue loop runs); literals of {@link #acc}. */
        public boolean scale, addC, epilogue;
        /** The fused activation; {@code storeAct}: the product's own store applies it (no gemm epilogue follows). */
        public Activation act;
        public boolean storeAct;
        public String alpha, beta;
        /** gemm: steps of C along the result's rows and columns (0 where C broadcasts). */
        public long cRow, cCol;
        /**
         * The register-blocked form of the axpy order: tiles of {@link #rb} rows by {@link #cb} columns accumulate
         * in a local array (registers) over the whole inner dimension; {@code fullRows}/{@code fullCols} end the
         * whole tiles, {@code tailRows}/{@code tailCols} are the sizes of the partial ones (0: none).
         */
        public boolean blocked;
        public long rb, cb, fullRows, fullCols, tailRows, tailCols;
        /** Whether there are whole row tiles, a partial row tile, whole column tiles, a partial column tile. */
        public boolean hasFullRows, hasTailRows, hasFullCols, hasTailCols;
        /** A whole tile in GCC vectors of {@code vectorBytes}: the vectors of a B row, and per tile row its accumulators. */
        public long vectorBytes;
        public final List<BlockedKernels.Vec> vecs = new ArrayList<>();
        public final List<TileRow> tileRows = new ArrayList<>();
        public final List<TileAcc> tileAccs = new ArrayList<>();
    }

    /** One accumulator of a whole tile: {@code name} for tile row {@code row} and B vector {@code vector} at column {@code offset}. */
    public static final class TileAcc {
        public final String name;
        public final int row, vector;
        public final long offset;

        TileAcc(String name, int row, int vector, long offset) {
            this.name = name;
            this.row = row;
            this.vector = vector;
            this.offset = offset;
        }
    }

    /** One row of a whole tile and its accumulators. */
    public static final class TileRow {
        public final int index;
        public final List<TileAcc> accs;

        TileRow(int index, List<TileAcc> accs) {
            this.index = index;
            this.accs = accs;
        }
    }

    /** Rows of a register tile of the blocked float product. */
    private static final int TILE_ROWS = 4;

    /** Chooses the register-blocked axpy product where the target wants speed and has SIMD registers (host). */
    private static void block(Matmul m, DType dt, Strategy t) {
        // why: the tile lives in registers only on targets with SIMD vectors; MCUs keep the small plain loop
        if (!m.axpy || dt != DType.F32 || !t.optimizeForSpeed() || t.vectorBytes() == 0 || m.k == 0 || m.m == 0) return;
        long lanes = t.vectorBytes() / 4;
        // why: a whole tile is one or two vectors of columns per row (rb x 2 accumulators stay within 16 registers)
        if (m.n < lanes) return;
        int perRow = m.n >= 2 * lanes ? 2 : 1;
        // why: with fewer rows than a tile (a matrix-vector product: classifiers, squeeze-excite) the rows alone make
        // the tile, and its columns widen up to 8 vectors while they fit the registers: more independent sums per
        // loaded element of A, and each row of B read in a longer contiguous run (these layers stream their weights)
        int rows = (int) Math.min(TILE_ROWS, m.m);
        if (rows < TILE_ROWS)
            while (perRow < 8 && m.n >= 2L * perRow * lanes && t.fits(rows, 2 * perRow)) perRow *= 2;
        m.cb = perRow * lanes;
        m.vectorBytes = t.vectorBytes();
        for (int v = 0; v < perRow; v++) m.vecs.add(new BlockedKernels.Vec(v, v * lanes));
        for (int r = 0; r < rows; r++) {
            List<TileAcc> accs = new ArrayList<>();
            for (int v = 0; v < perRow; v++) accs.add(new TileAcc("c" + r + "_" + v, r, v, v * lanes));
            m.tileRows.add(new TileRow(r, accs));
            m.tileAccs.addAll(accs);
        }
        m.blocked = true;
        m.rb = rows;
        m.fullRows = m.m - m.m % m.rb;
        m.tailRows = m.m % m.rb;
        m.fullCols = m.n - m.n % m.cb;
        m.tailCols = m.n % m.cb;
        m.hasFullRows = m.fullRows > 0;
        m.hasTailRows = m.tailRows > 0;
        m.hasFullCols = m.fullCols > 0;
        m.hasTailCols = m.tailCols > 0;
    }

    /** General matrix multiply (float or wrapping int32, int64, uint32). */
    public static Object gemm(KernelModel k, Node n, Strategy t) {
        Attrs at = n.attrs();
        Shape as = n.input(0).shape(), bs = n.input(1).shape();
        boolean ta = at.getInt("trans_a", 0) != 0, tb = at.getInt("trans_b", 0) != 0;
        Matmul m = new Matmul();
        m.m = ta ? as.dim(1) : as.dim(0);
        m.k = ta ? as.dim(0) : as.dim(1);
        m.n = tb ? bs.dim(0) : bs.dim(1);
        m.aRow = ta ? 1 : m.k;
        m.aInner = ta ? m.m : 1;
        m.bInner = tb ? 1 : m.n;
        m.bCol = tb ? m.k : 1;
        m.batch = 1;
        m.affine = true;
        DType dt = n.output(0).dtype();
        types(m, dt);
        // why: with B^T stored as B (packed at compile time) the product adds contiguous rows of B, which vectorises
        if (tb && !m.integer && m.n > 1 && BlockedKernels.mayPackB(n, t)) {
            k.packed.put(1, BlockedKernels.transpose(n.input(1).constant(), (int) m.n, (int) m.k));
            m.bInner = m.n;
            m.bCol = 1;
        }
        m.axpy = !m.integer && m.bCol == 1 && m.n > 1;
        block(m, dt, t);
        double alpha = at.getFloat("alpha", 1.0), beta = at.getFloat("beta", 1.0);
        boolean hasC = n.input(2) != null;
        if (m.integer) {
            m.alpha = unsignedLiteral(dt, (long) alpha);
            m.beta = unsignedLiteral(dt, (long) beta);
            m.scale = (long) alpha != 1;
            m.addC = hasC;
        } else {
            m.alpha = ScalarTypes.literal(dt, alpha);
            m.beta = ScalarTypes.literal(dt, beta);
            m.scale = alpha != 1.0;
            // why: the reference drops C when beta is 0, even where C holds infinities or NaNs
            m.addC = hasC && beta != 0.0;
        }
        m.epilogue = m.scale || m.addC;
        contract(k, n);
        m.act = Activation.fused(n);
        m.storeAct = m.act.present && !m.epilogue;
        if (m.addC) {
            Shape cs = n.input(2).shape();
            int r = cs.rank();
            m.cRow = r >= 2 && cs.dim(-2) != 1 ? cs.dim(-1) : 0;
            m.cCol = r >= 1 && cs.dim(-1) != 1 ? 1 : 0;
        }
        return m;
    }

    /** {@code v} modulo 2^bits of {@code t} as an unsigned C literal. */
    private static String unsignedLiteral(DType t, long v) {
        if (t.byteSize() == 8) return "UINT64_C(" + Long.toUnsignedString(v) + ")";
        return Long.toString(v & 0xFFFFFFFFL) + "u";
    }

    /** Numpy matrix product with batch broadcasting and 1-d operands (float or wrapping int32, int64, uint32). */
    public static Object matmul(KernelModel k, Node n, Strategy t) {
        Shape as = n.input(0).shape(), bs = n.input(1).shape();
        Matmul m = new Matmul();
        m.m = as.rank() == 1 ? 1 : as.dim(-2);
        m.k = as.dim(-1);
        m.n = bs.rank() == 1 ? 1 : bs.dim(-1);
        m.aRow = m.k;
        m.aInner = 1;
        m.bInner = m.n;
        m.bCol = 1;
        types(m, n.output(0).dtype());
        m.axpy = !m.integer && m.n > 1;
        block(m, n.output(0).dtype(), t);
        m.act = Activation.fused(n);
        m.storeAct = m.act.present;
        contract(k, n);
        Shape ab = batchOf(as), bb = batchOf(bs), batch = Broadcast.shape(ab, bb);
        int[] ia = Broadcast.indexMap(ab, batch), ib = Broadcast.indexMap(bb, batch);
        m.batch = batch.size();
        long aStep = ia.length > 1 ? ia[1] : 0, bStep = ib.length > 1 ? ib[1] : 0;
        boolean affine = true;
        for (int q = 0; q < ia.length; q++) affine &= ia[q] == q * aStep && ib[q] == q * bStep;
        m.affine = affine;
        m.aBatchStep = aStep * m.m * m.k;
        m.bBatchStep = bStep * m.k * m.n;
        if (!affine) {
            int[] ao = new int[ia.length], bo = new int[ib.length];
            for (int q = 0; q < ia.length; q++) {
                ao[q] = Math.toIntExact(ia[q] * m.m * m.k);
                bo[q] = Math.toIntExact(ib[q] * m.k * m.n);
            }
            m.tables.add(new Table("aoff", ao));
            m.tables.add(new Table("boff", bo));
        }
        return m;
    }

    private static void types(Matmul m, DType dt) {
        m.mn = m.m * m.n;
        m.integer = !dt.isFloat();
        m.acc = ScalarTypes.utype(dt);
        m.zero = m.integer ? "0u" : ScalarTypes.literal(dt, 0.0);
    }

    private static Shape batchOf(Shape s) {
        return s.rank() <= 2 ? Shape.scalar() : Shape.of(Arrays.copyOf(s.dims(), s.rank() - 2));
    }
}
