package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * The fast float convolution paths of the C backend and the cost model that picks them (templates/c/ops/nn.stg,
 * {@code nn_conv_blocked} and {@code nn_conv_dw_fast}).
 *
 * <p>A non-depthwise convolution becomes a matrix product per group: {@code Y[oc][p] = sum_q W[oc][q] col[q][p]}
 * over the output pixels p, where q runs over (input channel, tap) and {@code col} is the input gathered by
 * pixel: read straight from X for a 1×1 stride-1 unpadded conv, else gathered (with zeros for padding) into
 * scratch, one chunk of pixels at a time. The product is register blocked: {@link Micro#rows} output channels by
 * {@link Gemm#tile} pixels, held in {@code vectors} accumulators of {@link Gemm#lanes} floats (a GCC vector type
 * behind {@code __GNUC__}, plain loops otherwise), with the weights packed at compile time so that the
 * channels of one block lie side by side for each q.
 *
 * <p>A depthwise convolution keeps its table-driven loops at the edges and gets an interior fast path: the
 * output positions whose whole window lies inside the input, computed with constant taps and no tables.
 */
public final class BlockedKernels {
    private BlockedKernels() {}

    /** Output channels per register block with SIMD vectors, and on scalar FPUs. */
    static final int ROWS_VECTOR = 8, ROWS_SCALAR = 4;
    /** Pixel vectors per block on scalar FPUs (one lane each), giving 16 accumulators of 32 registers. */
    static final int VECTORS_SCALAR = 4;
    /** Bytes of scratch a chunk of gathered columns may take (targets with vectors; MCUs gather nothing). */
    private static final long CHUNK_BYTES_HOST = 32 * 1024;
    /** Bytes of X columns a direct span may cover (about an L1 data cache). */
    private static final long SPAN_BYTES = 32 * 1024;

    /** One accumulator of a block: its C name, the pixel vector it multiplies and its place in {@code tmp}. */
    public static final class Acc {
        public final String name;
        public final int vector;
        public final long tmpOffset;
        /** The block row (output channel from the block's first) and the element offset in that row's tile. */
        public final int row;
        public final long rowOffset;

        Acc(String name, int vector, long tmpOffset, int row, long rowOffset) {
            this.name = name;
            this.vector = vector;
            this.tmpOffset = tmpOffset;
            this.row = row;
            this.rowOffset = rowOffset;
        }
    }

    /** One output channel of a block: its weight's offset from the block's q-th weight group and its accumulators. */
    public static final class Row {
        public final long wOffset;
        public final List<Acc> accs = new ArrayList<>();

        Row(long wOffset) { this.wOffset = wOffset; }
    }

    /** One pixel vector of a block: its index and its element offset in the tile. */
    public static final class Vec {
        public final int index;
        public final long offset;

        Vec(int index, long offset) {
            this.index = index;
            this.offset = offset;
        }
    }

    /** A register block: {@code count} output channels, their weights {@code kStep} floats apart from one q to the next. */
    public static final class Micro {
        public final int count;
        public final long kStep, rowStep;
        public final List<Row> rows = new ArrayList<>();
        public final List<Acc> accs = new ArrayList<>();

        Micro(int count, long kStep, long rowStep, int vectors, int lanes, String prefix) {
            this.count = count;
            this.kStep = kStep;
            this.rowStep = rowStep;
            long tile = (long) vectors * lanes;
            for (int r = 0; r < count; r++) {
                Row row = new Row(r * rowStep);
                for (int u = 0; u < vectors; u++) {
                    Acc a = new Acc(prefix + r + "_" + u, u, r * tile + (long) u * lanes, r, (long) u * lanes);
                    row.accs.add(a);
                    accs.add(a);
                }
                rows.add(row);
            }
        }
    }

    /** The model of a convolution computed as a register-blocked matrix product (see the class comment). */
    public static final class Gemm {
        /** Floats per vector (1 on scalar FPUs), vectors per tile, pixels per tile ({@code lanes * vectors}). */
        public final int lanes, vectors, tile;
        /** Whether a GCC vector type of {@link #vectorBytes} is declared (lanes > 1). */
        public final boolean vector;
        public final int vectorBytes;
        /** The pixel vectors of a tile. */
        public final List<Vec> vecs = new ArrayList<>();
        /** Reduction length (input channels per group times taps), output pixels, blocks per group, first tail channel of a group. */
        public final long k, pixels, blocks, tailStart;
        /** The full blocks and the one-channel tail block. */
        public final Micro block, tail;
        /** Whether there is a tail (group output channels not a multiple of the block). */
        public final boolean hasTail;
        /** Columns read straight from X (1×1, stride 1, no pads), else gathered per chunk. */
        public final boolean direct;
        /** Direct: full tiles, first pixel of the partial tile, and whether there is one. */
        public final long fullEnd;
        public final boolean partial, hasFull;
        /** Gather: pixels per chunk (a multiple of {@link #tile}). */
        public final long chunk;
        /** Direct: pixels per span (a multiple of {@link #tile}): each block of channels runs over a span's tiles. */
        public long span;
        /** Whether the weights are read in the packed layout. */
        public final boolean packed;
        /** Elements of tmp (rows times tile). */
        public final long tmpSize;
        /**
         * Gather by row segments (1-d and 2-d convs): per tap column kw, the output columns [glo_w[kw], ghi_w[kw])
         * read the input (the rest are padding), from the tables {@link #gatherTables}.
         */
        public boolean rowGather;
        public final List<NnKernels.Table> gatherTables = new ArrayList<>();
        /** Whether the kernel uses its scratch (gathered columns, or the direct path's partial tile). */
        public final boolean scratch;
        /** The epilogue of full tiles on the accumulator vectors (bias, residual, clamps), or null: through {@code tmp}. */
        public VectorClamp clamp;
        /** Whether {@link #clamp} clamps (the kernel declares the mask vector type). */
        public boolean masks;

        Gemm(NnKernels.Window w, int lanes, int vectors, int rows, boolean direct, long chunk, boolean packed) {
            this(w.wStride, w.outPlane, w.groupOut, lanes, vectors, rows, direct, chunk, packed);
        }

        Gemm(long k, long pixels, int groupOut, int lanes, int vectors, int rows, boolean direct, long chunk, boolean packed) {
            this.lanes = lanes;
            this.vectors = vectors;
            this.tile = lanes * vectors;
            this.vector = lanes > 1;
            this.vectorBytes = lanes * 4;
            for (int u = 0; u < vectors; u++) vecs.add(new Vec(u, (long) u * lanes));
            this.k = k;
            this.pixels = pixels;
            this.blocks = groupOut / rows;
            this.tailStart = blocks * rows;
            this.hasTail = tailStart < groupOut;
            this.block = new Micro(rows, packed ? rows : 1, packed ? 1 : k, vectors, lanes, "a");
            this.tail = new Micro(1, 1, k, vectors, lanes, "t");
            this.direct = direct;
            this.fullEnd = pixels / tile * tile;
            this.partial = fullEnd < pixels;
            this.hasFull = fullEnd > 0;
            this.chunk = chunk;
            this.packed = packed;
            this.tmpSize = (long) rows * tile;
            this.scratch = !direct || partial;
        }
    }

    /** Sets {@code m.gemm} (and the weight packing and scratch) when the blocked product applies to this conv. */
    static void chooseConv(KernelModel k, Node n, Strategy t, NnKernels.Window m) {
        // why: the blocked kernels are float32 (f64 and integer convs keep the generic loops)
        if (n.output(0).dtype() != DType.F32 || n.input(0).dtype() != DType.F32 || n.input(1).dtype() != DType.F32) return;
        // why: size-optimised targets keep the one compact generic kernel
        if (!t.optimizeForSpeed()) return;
        // why: a depthwise conv with few outputs per channel has too little reuse to block; with many (a first layer
        // over one input channel) it is a product per group like any other
        if (m.depthwise && m.groupOut < 4) {
            chooseDepthwise(k, t, m);
            return;
        }
        // why: a reduction of one or two products per output gains nothing from blocking
        if (m.wStride < 3 && m.groupOut < 4) return;
        int lanes = Math.max(1, t.vectorBytes() / 4);
        int rows = lanes > 1 ? ROWS_VECTOR : ROWS_SCALAR;
        rows = (int) Math.min(rows, m.groupOut);
        Value wv = n.input(1);
        // why: packed layouts are only emitted for a constant this node alone reads (CBackend.packedData)
        boolean packable = wv.isConstant() && wv.uses().size() == 1;
        // why: with fewer pixels than a vector (a 1x1 plane: squeeze-excite, classifier convs) pixel tiles are mostly
        // waste; a matrix-vector product over output channels with W^T packed fills the vectors instead
        if (lanes > 1 && m.outPlane < lanes && m.groups == 1 && m.taps == 1 && packable && m.outPlane == m.inPlane
                && m.d.padBegin == 0 && m.h.padBegin == 0 && m.w.padBegin == 0) {
            k.packed.put(1, transpose(wv.constant(), m.outChannels, (int) m.wStride));
            k.fpContract = true;
            m.gemv = true;
            // why: a vector of output channels per pixel holds the sums in outPlane (< lanes) registers plus one of W^T
            m.gemvLanes = lanes;
            m.gemvBytes = lanes * 4L;
            m.gemvFull = m.outChannels / lanes * lanes;
            m.gemvBlocked = m.gemvFull > 0 && t.fits(1, (int) m.outPlane);
            m.gemvTail = m.gemvFull < m.outChannels;
            return;
        }
        boolean direct = m.taps == 1 && m.d.stride == 1 && m.h.stride == 1 && m.w.stride == 1
                && m.outPlane == m.inPlane && m.d.padBegin == 0 && m.h.padBegin == 0 && m.w.padBegin == 0;
        // why: on MCUs the arena must not grow: no gathered columns (the generic kernel needs no scratch), and pixel
        // tiles that divide the plane, so the direct path has no partial tile to copy
        if (lanes == 1 && !direct) {
            ScalarConvKernels.Rows rows1 = packable ? ScalarConvKernels.choose(m) : null;
            // why: a spatial conv on a scalar FPU computes straight from X in register blocks, with no scratch
            if (rows1 != null) {
                k.packed.put(1, pack(wv.constant(), 1, m.groupOut, rows1.rows, m.wStride));
                m.rowConv = rows1;
                k.fpContract = true;
            }
            return;
        }
        int vectors = lanes > 1 ? (m.outPlane >= 4L * lanes ? 2 : 1) : scalarVectors(m.outPlane);
        rows = fitRows(t, lanes, rows, vectors);
        long tile = (long) lanes * vectors;
        long chunk = 0;
        long span = tile;
        if (direct) {
            k.scratchBytes = m.outPlane % tile == 0 ? 0 : m.wStride * tile * 4;
            // why: a span's columns stay in cache while every block of channels runs over them
            span = Math.max(1, SPAN_BYTES / (m.wStride * tile * 4)) * tile;
        } else {
            long tiles = Math.max(1, CHUNK_BYTES_HOST / (m.wStride * tile * 4));
            tiles = Math.min(tiles, (m.outPlane + tile - 1) / tile);
            chunk = tiles * tile;
            k.scratchBytes = m.wStride * chunk * 4;
        }
        boolean packed = packable;
        if (packed) k.packed.put(1, pack(wv.constant(), m.groups, m.groupOut, rows, m.wStride));
        m.gemm = new Gemm(m, lanes, vectors, rows, direct, chunk, packed);
        m.gemm.span = span;
        m.gemm.clamp = VectorClamp.of(m.act, t.vectorBytes());
        m.gemm.masks = VectorClamp.masks(m.gemm.clamp);
        k.fpContract = true;
        if (!direct && m.d.in == 1 && m.d.out == 1 && m.d.kernel == 1) {
            int[] lo = new int[m.w.kernel], hi = new int[m.w.kernel];
            for (int kw = 0; kw < m.w.kernel; kw++) {
                int l = -1, e = -1;
                for (int o = 0; o < m.w.out; o++) {
                    long iw = (long) o * m.w.stride + (long) kw * m.w.dilation - m.w.padBegin;
                    if (iw >= 0 && iw < m.w.in) {
                        if (l < 0) l = o;
                        e = o + 1;
                    }
                }
                lo[kw] = Math.max(l, 0);
                hi[kw] = Math.max(e, 0);
            }
            m.gemm.rowGather = true;
            m.gemm.gatherTables.add(new NnKernels.Table("glo_w", lo));
            m.gemm.gatherTables.add(new NnKernels.Table("ghi_w", hi));
        }
        m.blocked = true;
    }

    /**
     * The most rows, up to {@code rows}, whose register block of {@code vectors} vectors fits the target's vector
     * registers (an AVX2 host's 16 hold 6 × 2 accumulators, AVX-512's 32 hold 8 × 2); scalar FPUs keep {@code rows}.
     */
    static int fitRows(Strategy t, int lanes, int rows, int vectors) {
        while (lanes > 1 && rows > 1 && !t.fits(rows, vectors)) rows--;
        return rows;
    }

    /** One-lane vectors per tile on scalar FPUs: the first of 4, 5, 3, 2, 1 that divides the pixels (at most 20 accumulators). */
    static int scalarVectors(long pixels) {
        for (int v : new int[] {4, 5, 3, 2}) if (pixels % v == 0) return v;
        return 1;
    }

    /**
     * W [groups * groupOut][k] with each group's full blocks of {@code rows} channels stored q-major ({@code [q][r]}),
     * the group's remaining channels as they were.
     */
    static NdArray pack(NdArray w, int groups, int groupOut, int rows, long k) {
        NdArray p = NdArray.zeros(w.dtype(), w.shape());
        int blocks = groupOut / rows;
        for (int g = 0; g < groups; g++) {
            long base = (long) g * groupOut * k;
            for (int b = 0; b < blocks; b++) {
                long bb = base + (long) b * rows * k;
                for (long q = 0; q < k; q++)
                    for (int r = 0; r < rows; r++) p.setDouble((int) (bb + q * rows + r), w.getDouble((int) (bb + r * k + q)));
            }
            for (long i = base + (long) blocks * rows * k; i < base + groupOut * k; i++) p.setDouble((int) i, w.getDouble((int) i));
        }
        return p;
    }

    /**
     * Sets a depthwise path: each channel copied into a zero-padded plane in scratch and convolved there without
     * tables (when that plane fits the target's budget), else the interior fast path.
     */
    private static void chooseDepthwise(KernelModel k, Strategy t, NnKernels.Window m) {
        // why: the fast paths are written for 1-d and 2-d windows (the depth axis a single tap)
        if (m.d.in != 1 || m.d.out != 1 || m.d.kernel != 1) return;
        long ph = Math.max(m.h.in + m.h.padBegin, (long) (m.h.out - 1) * m.h.stride + (long) (m.h.kernel - 1) * m.h.dilation + 1);
        long pw = Math.max(m.w.in + m.w.padBegin, (long) (m.w.out - 1) * m.w.stride + (long) (m.w.kernel - 1) * m.w.dilation + 1);
        boolean flat = m.h.stride == 1 && m.w.stride == 1;
        int lanes = Math.max(1, t.vectorBytes() / 4);
        long flatLen = flat ? (long) (m.h.out - 1) * pw + m.w.out : 0;
        // the flat outputs are computed a vector at a time: round up, and pad the plane for the last vector's reads
        long flatRound = (flatLen + lanes - 1) / lanes * lanes;
        long slack = flatRound - flatLen;
        long bytes = (ph * pw + slack + flatRound) * 4;
        // why: a strided window has no flat form and its row-by-row loop over the padded plane is scalar; phase rows
        // make every tap a contiguous run, so vector hosts compute a vector of outputs per step (same tap order).
        // Their scalar phase copies pay off with many taps (5x5) or rows of at least 1.75 vectors; 3x3 windows at
        // stride 2 into rows of 24 or fewer (ShuffleNet, VWW) measured slower than the scalar loop (AVX-512 profiles)
        long rowSteps = (long) m.h.out * ((m.w.out + lanes - 1) / lanes);
        boolean strided = !flat && (m.taps >= 16 || 4L * m.w.out >= 7L * lanes);
        // why: at stride 1 the rows also store straight into Y with no epilogue pass or row copies, a win where they
        // take at least 10 % fewer vector steps than the flat plane (14x14 or 32x32 under 5x5); at equal steps (14x14
        // under 3x3) or a few percent fewer (64x64 under 5x5) they measured slower
        boolean narrow = flat && 10 * rowSteps <= 9 * (flatRound / lanes);
        if ((strided || narrow) && lanes > 1 && !m.hasZ) {
            m.dwRows = DepthwiseRows.choose(m, t.vectorBytes(), m.h.out, m.act);
            if (m.dwRows != null) {
                k.scratchBytes = m.dwRows.bufFloats * 4;
                k.fpContract = true;
                return;
            }
        }
        // why: the padded plane lives in the arena, which must not grow on MCUs: they take the interior path
        if (t.vectorBytes() > 0) {
            m.paddedDw = true;
            m.flatDw = flat;
            m.padH = ph;
            m.padW = pw;
            m.padPlane = ph * pw + slack;
            m.flatLen = flatRound;
            m.dwVector = flat && lanes > 1;
            m.dwVectorBytes = lanes * 4;
            for (int kh = 0; kh < m.h.kernel; kh++)
                for (int kw = 0; kw < m.w.kernel; kw++)
                    m.dwTaps.add(new Vec(kh * m.w.kernel + kw, (long) kh * m.h.dilation * pw + (long) kw * m.w.dilation));
            m.padOrigin = (long) m.h.padBegin * pw + m.w.padBegin;
            m.hTapStep = (long) m.h.dilation * pw;
            m.hOutStep = (long) m.h.stride * pw;
            k.scratchBytes = bytes;
            // why: on planes of a few vectors one channel's 9-deep multiply-add chains leave the FPU waiting (vww's
            // 6x6 and 3x3 layers ran at 3-9 GMAC/s); several channels a turn overlap them, each in its own plane
            m.dwChannels = DepthwiseChannels.choose(m, lanes);
            if (m.dwChannels != null) k.scratchBytes = m.dwChannels.scratchBytes();
            k.fpContract = true;
            return;
        }
        long[] h = interior(m.h), w = interior(m.w);
        // why: without an interior output there is nothing for the fast path to do
        if (h[0] >= h[1] || w[0] >= w[1]) return;
        m.fastDw = true;
        k.fpContract = true;
        setInterior(m, h, w, java.util.Set.of(m.d.lo, m.d.hi, m.d.start));
    }

    /**
     * Sets the interior fast path's numbers on {@code m}: the output rows {@code h} and columns {@code w} whose
     * windows lie inside the input, the steps into the input, and the tables still needed at the plane's edges
     * (all but {@code depthTables}).
     */
    private static void setInterior(NnKernels.Window m, long[] h, long[] w, java.util.Set<String> depthTables) {
        m.ohLo = h[0];
        m.ohHi = h[1];
        m.owLo = w[0];
        m.owHi = w[1];
        m.rowShift = (long) m.h.padBegin * m.h.inStep;
        m.colStart = m.owLo * m.w.stride - m.w.padBegin;
        m.hRowStep = (long) m.h.stride * m.h.inStep;
        m.rowsBelow = m.ohLo > 0;
        m.colsBefore = m.owLo > 0;
        for (NnKernels.Table tb : m.tables) if (!depthTables.contains(tb.name)) m.planeTables.add(tb);
    }

    /** [first, end) of the output positions of an axis whose taps all lie inside the input. */
    static long[] interior(NnKernels.Axis a) {
        long lo = -1, hi = -1;
        for (long o = 0; o < a.out; o++) {
            long first = o * a.stride - a.padBegin, last = first + (long) (a.kernel - 1) * a.dilation;
            if (first >= 0 && last < a.in) {
                if (lo < 0) lo = o;
                hi = o + 1;
            }
        }
        return lo < 0 ? new long[] {0, 0} : new long[] {lo, hi};
    }

    /** Largest ring of horizontal row maxima a vector max_pool keeps on the stack. */
    static final long POOL_RING_BYTES = 8192;

    /** Sets max_pool's interior fast path (float32, 1-d and 2-d, speed targets): windows inside the input, no tables. */
    static void choosePool(Strategy t, NnKernels.Window m, DType dt) {
        // why: the fast path is written for float32 1-d and 2-d windows; size targets keep the one generic loop
        if (dt != DType.F32 || !t.optimizeForSpeed() || m.d.in != 1 || m.d.out != 1 || m.d.kernel != 1) return;
        long[] h = interior(m.h), w = interior(m.w);
        // why: without an interior output there is nothing for the fast path to do
        if (h[0] >= h[1] || w[0] >= w[1]) return;
        m.fastPool = true;
        m.poolWidth = w[1] - w[0];
        // why: hosts with vectors take whole rows a tap at a time (scalar FPUs keep the window loop in registers);
        // rows narrower than a vector and a half were slower so (gcc unrolls them into scalar compares and branches)
        m.poolRows = t.vectorBytes() > 0 && m.poolWidth * 4 * 2 >= 3L * t.vectorBytes();
        long lanes = t.vectorBytes() / 4;
        while (lanes > 4 && lanes > m.poolWidth) lanes /= 2;
        // why: a row as whole vectors holds each maximum in a register (the row loop keeps it in memory and
        // finishes in scalar compares and branches; narrow rows take half or quarter vectors); strides 1 and 2
        // read a vector's inputs with plain loads
        if (lanes >= 4 && m.poolWidth >= lanes && (m.w.stride == 1 || m.w.stride == 2)) {
            m.poolVectors = true;
            m.poolRows = true;
            m.poolVectorBytes = lanes * 4;
            m.poolLanes = lanes;
            m.poolFullEnd = m.poolWidth / lanes * lanes;
            m.poolTail = m.poolWidth % lanes != 0;
            m.poolTailStart = m.poolWidth - lanes;
            m.poolStride2 = m.w.stride == 2;
            // lanes [0, L/2) are even elements of the first load; the second load starts L-1 further, so that it
            // ends on the last input the vector needs
            StringBuilder even = new StringBuilder();
            for (long j = 0; j < lanes; j++) even.append(j == 0 ? "" : ", ").append(j < lanes / 2 ? 2 * j : 2 * j + 1);
            m.poolEven = even.toString();
            // why: overlapping window rows (squeezenet's 3x3 stride-2 pools) would redo each shared input row's
            // horizontal maxima; the ring (a few KB on the stack) computes each once: 1.45x on 64x111x111 planes
            m.poolRing = m.h.stride < m.h.kernel && m.h.dilation == 1 && m.w.kernel > 1
                    && (long) m.h.kernel * m.poolWidth * 4 <= POOL_RING_BYTES;
        }
        setInterior(m, h, w, java.util.Set.of(m.d.start, m.d.count));
    }

    /**
     * Whether a gemm's B operand may be stored transposed for this node (a float constant only it reads, on a target
     * with vectors: a scalar FPU does better with the dot products, which keep the sum in a register).
     */
    static boolean mayPackB(Node n, Strategy t) {
        Value b = n.input(1);
        return t.optimizeForSpeed() && t.vectorBytes() > 0 && n.output(0).dtype() == DType.F32 && b.isConstant() && b.uses().size() == 1;
    }

    /** B [n][k] stored as [k][n]. */
    static NdArray transpose(NdArray b, int rows, int cols) {
        NdArray p = NdArray.zeros(b.dtype(), dev.kiln.ir.Shape.of(cols, rows));
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) p.setDouble(j * rows + i, b.getDouble(i * cols + j));
        return p;
    }
}
