package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * The direct float convolution of hosts with vectors (templates/c/ops/direct.stg, {@code nn_conv_direct}) and the
 * cost model that picks it over the gathered matrix product of {@link BlockedKernels}: 2-d windows of 2 to 40 taps
 * (3×3 above all, the 3-input-channel stem of image models among them), any stride and dilation, one group.
 *
 * <p>Each input channel is copied once into zero-padded phase planes in scratch: with strides sh × sw the padded
 * plane is split into sh·sw planes by (row mod sh, column mod sw), each {@link Direct#pitch} floats wide. The
 * output at (oh, ow) then has the flat index {@code f = oh * pitch + ow}, and its tap (kh, kw) reads the phase plane
 * of ((kh·dh) mod sh, (kw·dw) mod sw) at {@code f + (kh·dh / sh) * pitch + kw·dw / sw}: a constant offset per tap.
 * The kernel computes the flat outputs in tiles of {@code vectors} GCC vectors (plain loops otherwise) for a block of
 * {@code rows} output channels, the taps unrolled, the weights packed at compile time as [q][rows]; the epilogue
 * keeps the flat positions with {@code ow < OW} and adds bias and residual and applies the activation. The
 * {@code pitch - OW} junk columns per row are the price of reading every tap with one unaligned vector load. With a
 * {@link VectorClamp} (no residual) bias and activation run on the accumulators, and on wide rows
 * ({@link Direct#rowStores}) each accumulator vector whose lanes are valid outputs of one row is stored straight to
 * Y; only the vectors across a row end go through tmp.
 */
public final class DirectConvKernels {
    private DirectConvKernels() {}

    /** The most taps the kernel unrolls (DS-CNN's 10x4 stem: 40; 7x7 windows keep the gathered product). */
    private static final int MAX_TAPS = 40;
    /** The most scratch (phase planes) the kernel may take. */
    private static final long MAX_SCRATCH = 8L << 20;
    /** Bytes of phase-plane rows a span of tiles may read (about an L1 data cache). */
    private static final long SPAN_BYTES = 32 * 1024;
    /** Cycles per gathered element of the matrix-product path (fitted: resnet8 and squeezenet per-layer profiles). */
    private static final double GATHER_COST = 2.0;

    /** One tap of a register block: its offset from a channel's phase planes, and the block's weights for it. */
    public static final class Tap {
        public final long xOff;
        public final List<TapRow> rows = new ArrayList<>();

        Tap(long xOff) { this.xOff = xOff; }
    }

    /**
     * One output channel of a tap: its weight ({@code wOff} from the channel's weights), its accumulators and the
     * start of its row in {@code tmp}.
     */
    public static final class TapRow {
        public final long wOff, tmpBase;
        public final List<BlockedKernels.Acc> accs;

        TapRow(long wOff, List<BlockedKernels.Acc> accs) {
            this.wOff = wOff;
            this.accs = accs;
            this.tmpBase = accs.get(0).tmpOffset;
        }
    }

    /**
     * One vector column of a register block: its flat offset in the tile, its bit in the kernel's {@code pend} mask
     * and the accumulators of that vector (one per block row), stored straight to the output when the vector's
     * lanes are all valid outputs of one row.
     */
    public static final class Column {
        public final int index;
        public final long offset, bit;
        public final List<BlockedKernels.Acc> accs = new ArrayList<>();

        Column(int index, long offset) {
            this.index = index;
            this.offset = offset;
            this.bit = 1L << index;
        }
    }

    /** A register block of {@code count} output channels: its accumulators and its unrolled taps. */
    public static final class Block {
        public final int count;
        /** Weights of one input channel (taps times count). */
        public final long cStep;
        public final List<BlockedKernels.Acc> accs;
        public final List<Column> columns = new ArrayList<>();
        public final List<Tap> taps = new ArrayList<>();

        Block(int count, int vectors, int lanes, String prefix, long[] tapOffsets, boolean packed, long k) {
            BlockedKernels.Micro u = new BlockedKernels.Micro(count, 1, 1, vectors, lanes, prefix);
            this.count = count;
            this.accs = u.accs;
            for (int v = 0; v < vectors; v++) columns.add(new Column(v, (long) v * lanes));
            for (BlockedKernels.Acc a : u.accs) columns.get(a.vector).accs.add(a);
            int nt = tapOffsets.length;
            // packed: [c][t][r]; unpacked (the one-channel tail): [c][t]
            this.cStep = (long) nt * (packed ? count : 1);
            for (int t = 0; t < nt; t++) {
                Tap tp = new Tap(tapOffsets[t]);
                for (int r = 0; r < count; r++) {
                    long wOff = packed ? (long) t * count + r : t + r * k;
                    tp.rows.add(new TapRow(wOff, u.rows.get(r).accs));
                }
                taps.add(tp);
            }
        }
    }

    /** The model of a direct convolution (see the class comment). */
    public static final class Direct {
        /** Floats per vector, vectors per tile, flat outputs per tile; whether a GCC vector type is declared. */
        public final int lanes, vectors, tile, vectorBytes;
        public final boolean vector;
        /** Whether loaded input vectors are pinned to registers on AVX-512 (64-byte vectors). */
        public final boolean pin;
        public final List<BlockedKernels.Vec> vecs = new ArrayList<>();
        /** Strides, pads before, phase-plane pitch and elements, floats of one channel's phase planes. */
        public final int sh, sw, padTop, padLeft;
        public final long pitch, planeLen, chanStride, scratchFloats;
        /** Flat outputs computed ((OH-1) * pitch + OW), rounded up to whole tiles; flat outputs per span. */
        public final long flatLen, flatRound, span;
        /** Reduction length (input channels times taps), full blocks of rows, first tail channel. */
        public final long k, blocks, tailStart;
        public final boolean hasTail;
        public final Block block, tail;
        /** Elements of tmp (rows times tile). */
        public final long tmpSize;
        /** Where each column phase of an input row goes in its phase row: runs the compiler vectorises (strided loads). */
        public final List<DepthwiseRows.Phase> copies = new ArrayList<>();
        /**
         * Bias and activation applied to the accumulator vectors before they go to {@code tmp}, so the epilogue only
         * copies valid runs; null where there is a residual (added per output position) or the activation is no clamp.
         */
        public VectorClamp clamp;
        /** Whether {@link #clamp} clamps (the kernel declares the mask vector type). */
        public boolean masks;
        /**
         * Whether accumulator vectors inside one output row are stored straight to Y (with {@link #clamp}, where at
         * least 3/4 of a row's flat positions start such a vector: wide stems; narrow rows keep the tmp path, whose
         * one copy per run beats a branch per vector there, as resnet8's 32-wide stem measured).
         */
        public boolean rowStores;
        /** The mask of all vectors of a tile (each through {@code tmp} unless stored straight to the output). */
        public final long allPending;

        Direct(NnKernels.Window m, int lanes, int vectors, int rows, long pitch, long planeLen, long flatLen, long[] tapOffsets, long span) {
            this.lanes = lanes;
            this.vectors = vectors;
            this.tile = lanes * vectors;
            this.vectorBytes = lanes * 4;
            this.vector = lanes > 1;
            this.pin = vectorBytes == 64;
            for (int u = 0; u < vectors; u++) vecs.add(new BlockedKernels.Vec(u, (long) u * lanes));
            this.sh = m.h.stride;
            this.sw = m.w.stride;
            this.padTop = m.h.padBegin;
            this.padLeft = m.w.padBegin;
            this.pitch = pitch;
            this.planeLen = planeLen;
            this.chanStride = planeLen * sh * sw;
            this.scratchFloats = chanStride * m.channels;
            this.flatLen = flatLen;
            this.flatRound = (flatLen + tile - 1) / tile * tile;
            this.span = span;
            this.k = m.wStride;
            this.blocks = m.outChannels / rows;
            this.tailStart = blocks * rows;
            this.hasTail = tailStart < m.outChannels;
            this.block = new Block(rows, vectors, lanes, "a", tapOffsets, true, k);
            this.tail = new Block(1, vectors, lanes, "t", tapOffsets, false, k);
            this.tmpSize = (long) rows * tile;
            this.allPending = (1L << vectors) - 1;
            for (int p = 0; p < sw; p++) {
                long first = Math.floorMod(p - padLeft, sw);
                if (first >= m.w.in) continue;
                copies.add(new DepthwiseRows.Phase(first, p * planeLen + (first + padLeft) / sw, (m.w.in - first + sw - 1) / sw));
            }
        }
    }

    /**
     * Sets {@code m.direct} (and the packed weights and scratch) when the direct kernel applies to this conv and the
     * cost model says it beats the gathered product; returns whether it did.
     */
    static boolean chooseConv(KernelModel k, Node n, Strategy t, NnKernels.Window m) {
        // why: the kernel is float32 and written for speed targets with vectors (MCUs keep their own kernels)
        if (n.output(0).dtype() != DType.F32 || n.input(0).dtype() != DType.F32 || n.input(1).dtype() != DType.F32) return false;
        int lanes = t.vectorBytes() / 4;
        if (!t.optimizeForSpeed() || lanes < 2) return false;
        // why: 2-d windows of one group (depthwise and grouped convs have their own kernels), 1×1 is a plain product
        if (m.d.in != 1 || m.d.out != 1 || m.d.kernel != 1 || m.groups != 1 || m.taps < 2 || m.taps > MAX_TAPS) return false;
        Value wv = n.input(1);
        // why: the weights are packed at compile time, which needs a constant only this node reads
        if (!wv.isConstant() || wv.uses().size() != 1) return false;
        Plan p = plan(t, m);
        // why: the phase planes live in the arena: a layer whose planes would grow it without bound takes the product
        if (p == null) return false;
        int sh = m.h.stride, sw = m.w.stride, rows = p.rows, vectors = p.vectors;
        long tile = (long) lanes * vectors, planeLen = p.planeLen, scratch = p.scratch, maxOff = p.maxOff;
        long[] offs = p.offs;
        double direct = p.cost, gemm = gatherCost(m, lanes);
        // why: the junk columns of narrow planes can cost more than the product's gather
        if (direct > gemm) return false;
        // why: on small planes output channels fill the vectors without junk columns (PointwiseGemm's tapped form)
        double[] tapped = new double[1];
        if (PointwiseGemm.tapped(t, m, "w", null, tapped) != null && tapped[0] < direct) return false;
        long[] tapOffsets = new long[offs.length];
        for (int i = 0; i < offs.length; i++) tapOffsets[i] = (offs[i] >>> 32) * planeLen + (offs[i] & 0xffffffffL);
        long perTile = (long) m.channels * sh * sw * (tile + maxOff) * 4;
        long span = Math.max(1, SPAN_BYTES / Math.max(1, perTile)) * tile;
        m.direct = new Direct(m, lanes, vectors, rows, p.pitch, planeLen, p.flatLen, tapOffsets, Math.min(span, p.flatRound));
        // why: the residual is read in output positions, which the flat tiles (junk columns included) are not
        if (!m.hasZ) m.direct.clamp = VectorClamp.of(m.act, t.vectorBytes());
        m.direct.masks = VectorClamp.masks(m.direct.clamp);
        m.direct.rowStores = m.direct.clamp != null && 4L * (m.w.out - lanes + 1) >= 3L * p.pitch;
        k.packed.put(1, BlockedKernels.pack(wv.constant(), 1, m.outChannels, rows, m.wStride));
        k.scratchBytes = scratch;
        k.fpContract = true;
        return true;
    }

    /** The direct kernel's geometry and estimated cost for a conv it may take (see {@link #chooseConv}). */
    private record Plan(int rows, int vectors, long pitch, long flatLen, long flatRound, long planeLen, long scratch, long maxOff,
            long[] offs, double cost) {}

    /** The direct kernel's plan for this conv, or null when its phase planes would take more than {@link #MAX_SCRATCH}. */
    private static Plan plan(Strategy t, NnKernels.Window m) {
        int lanes = t.vectorBytes() / 4;
        int sh = m.h.stride, sw = m.w.stride;
        long hp = Math.max((long) m.h.in + m.h.padBegin, (long) (m.h.out - 1) * sh + (long) (m.h.kernel - 1) * m.h.dilation + 1);
        long wp = Math.max((long) m.w.in + m.w.padBegin, (long) (m.w.out - 1) * sw + (long) (m.w.kernel - 1) * m.w.dilation + 1);
        long pitch = (wp + sw - 1) / sw, rowsP = (hp + sh - 1) / sh;
        long[] offs = new long[(int) m.taps];
        long maxOff = 0;
        for (int kh = 0; kh < m.h.kernel; kh++)
            for (int kw = 0; kw < m.w.kernel; kw++) {
                long dh = (long) kh * m.h.dilation, dw = (long) kw * m.w.dilation;
                long phase = (dh % sh) * sw + dw % sw;
                long inPlane = (dh / sh) * pitch + dw / sw;
                maxOff = Math.max(maxOff, inPlane);
                // the phase plane and the offset in it, combined once planeLen is known
                offs[kh * m.w.kernel + kw] = phase << 32 | inPlane;
            }
        long flatLen = (long) (m.h.out - 1) * pitch + m.w.out;
        int[] shape = pickBlock(m.outChannels, m.wStride, flatLen, lanes, budget(t.vectorRegisters()));
        int rows = shape[0], vectors = shape[1];
        long tile = (long) lanes * vectors;
        long flatRound = (flatLen + tile - 1) / tile * tile;
        long planeLen = Math.max(rowsP * pitch, flatRound + maxOff);
        long scratch = planeLen * sh * sw * m.channels * 4;
        if (scratch > MAX_SCRATCH) return null;
        double cost = cost(m.outChannels, m.wStride, flatLen, lanes, rows, vectors) + scratch / 4.0 * 0.25;
        return new Plan(rows, vectors, pitch, flatLen, flatRound, planeLen, scratch, maxOff, offs, cost);
    }

    /**
     * The estimated cycles of the cheapest exact form of a 2-d conv of one group on a vector host: the direct
     * kernel, the tapped product ({@link PointwiseGemm#tapped}) or the gathered product; what Winograd must beat.
     */
    static double exactCost(Strategy t, NnKernels.Window m) {
        int lanes = t.vectorBytes() / 4;
        double best = gatherCost(m, lanes);
        Plan p = m.taps <= MAX_TAPS ? plan(t, m) : null;
        if (p != null) best = Math.min(best, p.cost);
        double[] tapped = new double[1];
        if (PointwiseGemm.tapped(t, m, "w", null, tapped) != null) best = Math.min(best, tapped[0]);
        return best;
    }

    /** Estimated cycles of the conv as the gathered matrix product of {@link BlockedKernels}. */
    static double gatherCost(NnKernels.Window m, int lanes) {
        return cost(m.outChannels, m.wStride, m.outPlane, lanes, Math.min(BlockedKernels.ROWS_VECTOR, m.outChannels),
                m.outPlane >= 4L * lanes ? 2 : 1) + GATHER_COST * m.wStride * m.outPlane;
    }

    /**
     * Registers a block may take of {@code registers}: all but 4 of AVX-512's 32 (the compiler's own temporaries,
     * the pinned loads), all but 2 of AVX2's 16.
     */
    static int budget(int registers) { return registers - (registers >= 32 ? 4 : 2); }

    /**
     * The block shape {rows, vectors} of least estimated cost among those whose accumulators, input vectors and a
     * broadcast fit {@code registers}.
     */
    static int[] pickBlock(int outChannels, long k, long flat, int lanes, int registers) {
        int[] best = null;
        double bestCost = Double.MAX_VALUE;
        for (int v = 1; v <= 4; v++)
            for (int r = 1; r <= Math.min(outChannels, 16); r++) {
                if (r * v + v + 1 > registers) continue;
                double c = cost(outChannels, k, flat, lanes, r, v);
                if (c < bestCost - 1e-9) {
                    bestCost = c;
                    best = new int[] {r, v};
                }
            }
        return best;
    }

    /**
     * Estimated cycles of a blocked product of {@code outChannels} rows by {@code flat} outputs over a reduction of
     * {@code k}: per reduction step a block issues rows·vectors multiply-adds and rows broadcasts plus vectors
     * unaligned loads (each split over two cache lines), two of each per cycle, plus overhead per block step and
     * tile; tail channels run as one-row blocks.
     */
    static double cost(int outChannels, long k, long flat, int lanes, int rows, int vectors) {
        long tiles = (flat + (long) lanes * vectors - 1) / ((long) lanes * vectors);
        int blocks = outChannels / rows, tail = outChannels % rows;
        double block = Math.max(rows * vectors, rows + 2 * vectors) / 2.0 + 0.25;
        double one = (1 + 2 * vectors) / 2.0 + 0.25;
        return (double) tiles * k * (blocks * block + tail * one) + (double) tiles * outChannels * 4;
    }
}
