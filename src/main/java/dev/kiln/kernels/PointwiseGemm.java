package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * The 1×1 convolution of hosts with vectors as a packed product vectorised over output channels
 * (templates/c/ops/pwgemm.stg, {@code pw_gemm}): {@code Y[oc][p] = sum_q W[oc][q] X[q][p]} computed in register
 * blocks of {@link Micro#vectors} vectors of output channels by {@link Micro#positions} positions, each input value
 * broadcast to a whole vector of channels. The weights are packed at compile time as panels {@code [block][q][MR]}
 * (MR = vectors × lanes channels, the last block's missing channels zero), so every step of the reduction loads MR
 * consecutive floats. The epilogue (bias, residual, activation) goes through a small transposing buffer, since the
 * accumulators hold channels while Y is channels-first.
 *
 * <p>It pays where the spatial plane is small (7×7, 13×13, 14×14): the spatial product of {@link BlockedKernels}
 * fills its vectors with positions and wastes most of a partial tile there, while output channels come in multiples
 * of the vector. The cost model ({@link #cost}, against {@link DirectConvKernels#cost} for the spatial product) picks
 * it per layer; separable_conv's pointwise half ({@link SeparableKernels}) takes it by the same model.
 */
public final class PointwiseGemm {
    /**
     * Registers a block may take (accumulators, weight vectors and a broadcast): of AVX-512's 32, two stay free for
     * the compiler's addresses and the epilogue; of AVX2's 16, two as well.
     */
    private static final int REGISTERS_WIDE = 30, REGISTERS_NARROW = 14;
    /** Vector loads and broadcasts a cycle (two load ports for full vectors on AVX-512 and AVX2 cores). */
    private static final double LOADS_PER_CYCLE = 2;
    /** Cycles of the transposing epilogue per output (load, bias, residual, activation, store, one lane at a time). */
    private static final double STORE_COST = 1.5;
    /** Cycles of loop and epilogue set-up per register block. */
    private static final double BLOCK_COST = 12;
    /** Latency of a multiply-add in cycles: fewer independent accumulators than latency × 2 leave the units idle. */
    private static final double FMA_LATENCY = 4;

    /** One accumulator: its C name, its channel vector and position, and its place in the transposing buffer. */
    public static final class Acc {
        public final String name;
        public final int vector, position;
        public final long tmpOffset;

        Acc(String name, int vector, int position, long tmpOffset) {
            this.name = name;
            this.vector = vector;
            this.position = position;
            this.tmpOffset = tmpOffset;
        }
    }

    /** One position of a block: its index and its accumulators (one per channel vector). */
    public static final class Pos {
        public final int index;
        public final List<Acc> accs = new ArrayList<>();

        Pos(int index) { this.index = index; }
    }

    /**
     * One tap of a reduction step: its input offset {@code xOff} from the step's input pointer, its weight vectors
     * ({@code wOff} floats into the step's packed weights, plus each vector's offset) and its positions (the input
     * element each reads, {@code xOff} + position).
     */
    public static final class Tap {
        public final long xOff, wOff;
        public final List<BlockedKernels.Vec> vecs = new ArrayList<>();
        public final List<Pos> pos = new ArrayList<>();

        Tap(long xOff, long wOff) {
            this.xOff = xOff;
            this.wOff = wOff;
        }
    }

    /** A register block: {@code vectors} vectors of channels ({@code mr} floats of packed weights per tap) by {@code positions}. */
    public static final class Micro {
        public final int vectors, positions;
        /** Packed floats per tap, real output channels, elements of tmp, packed floats per reduction step (all taps). */
        public final long mr, channels, tmpSize, stepFloats;
        public final List<Acc> accs = new ArrayList<>();
        /** The taps of one reduction step (one, at offset 0, for a 1×1 product). */
        public final List<Tap> taps = new ArrayList<>();

        /** A block of {@code vectors} vectors of which the first {@code channels} lanes are real output channels. */
        Micro(int vectors, int positions, int lanes, long channels, long[] tapOffsets) {
            this.vectors = vectors;
            this.positions = positions;
            this.mr = (long) vectors * lanes;
            this.channels = channels;
            this.tmpSize = mr * positions;
            this.stepFloats = mr * tapOffsets.length;
            List<Pos> pos = new ArrayList<>();
            for (int p = 0; p < positions; p++) {
                Pos ps = new Pos(p);
                for (int v = 0; v < vectors; v++) {
                    Acc a = new Acc("a" + v + "_" + p, v, p, p * mr + (long) v * lanes);
                    ps.accs.add(a);
                    accs.add(a);
                }
                pos.add(ps);
            }
            for (int i = 0; i < tapOffsets.length; i++) {
                Tap tp = new Tap(tapOffsets[i], i * mr);
                for (int v = 0; v < vectors; v++) tp.vecs.add(new BlockedKernels.Vec(v, i * mr + (long) v * lanes));
                for (Pos ps : pos) {
                    Pos at = new Pos((int) (tapOffsets[i] + ps.index));
                    at.accs.addAll(ps.accs);
                    tp.pos.add(at);
                }
                taps.add(tp);
            }
        }
    }

    /**
     * A k×k window at stride 1 as the same product (the tapped form): the input copied into zero-padded planes of
     * {@code pitch} × {@code rows} floats in scratch; position blocks tile each output row, and a reduction step (one
     * input channel) runs every tap at its constant offset into the channel's plane, the weights packed as
     * [block][channel][tap][mr].
     */
    public static final class Window {
        /** Input height and width, pads before, padded pitch and floats of one padded plane, output height and width. */
        public final long inH, inW, padTop, padLeft, pitch, padPlane, outH, outW;
        /** Floats of scratch (all channels' padded planes). */
        public final long scratchFloats;

        Window(NnKernels.Window m, long pitch, long padPlane) {
            this.inH = m.h.in;
            this.inW = m.w.in;
            this.padTop = m.h.padBegin;
            this.padLeft = m.w.padBegin;
            this.pitch = pitch;
            this.padPlane = padPlane;
            this.outH = m.h.out;
            this.outW = m.w.out;
            this.scratchFloats = padPlane * m.channels;
        }
    }

    /** Floats per vector and the vector's bytes. */
    public final int lanes, vectorBytes;
    /** Reduction length (input channels), positions (the plane), the input's row pitch, output channels. */
    public final long k, positions, ld, outChannels;
    /** Full blocks of channels, their packed floats each ({@code k * mr}), first channel of the tail block. */
    public final long blocks, blockFloats, tailStart;
    /** Positions in whole position blocks; whether a partial position block and a tail channel block follow. */
    public final long fullEnd;
    public final boolean hasBlocks, hasFull, partial, hasTail;
    /** The register blocks: full × full positions, full × the partial positions, tail × full, tail × partial. */
    public final Micro full, fullPart, tail, tailPart;
    /** C names of the weights, the bias (null: none) and the residual (null: none); the activation. */
    public final String w, bias, z;
    public final boolean hasBias, hasZ;
    public final Activation act;
    /** Reduction steps (input channels; k / taps); the tapped form's window, or null for a 1×1 product. */
    public final long steps;
    public final Window window;
    /** Output elements of one channel (the whole plane, also for the tapped form, whose blocks tile rows). */
    public final long outPlane;
    /** Output elements of one batch item (outChannels * outPlane). */
    public final long yBatch;
    /**
     * Whether a full channel block prefetches the next block's packed weights while it computes (1×1 products of
     * several position blocks and channel blocks): each position block (pass) of the {@code passes} fetches its
     * {@code prefetchChunk} floats of the next panel, {@code prefetchStep} floats further every reduction step, so the
     * next panel arrives over the whole block instead of being waited for in its first pass (MobileNet-v2's 7x7
     * layers read 0.6-1.6 MB of weights each, from memory, as every layer's weights left the caches since the
     * previous inference).
     */
    public final boolean prefetch;
    public final long prefetchChunk, prefetchStep;

    private PointwiseGemm(int lanes, int vectors, int pos, long k, long positions, long ld, long outChannels,
                          String w, String bias, String z, Activation act) {
        this(lanes, vectors, pos, k, positions, ld, outChannels, w, bias, z, act, new long[] {0}, null, positions);
    }

    private PointwiseGemm(int lanes, int vectors, int pos, long k, long positions, long ld, long outChannels,
                          String w, String bias, String z, Activation act, long[] tapOffsets, Window window, long outPlane) {
        this.steps = k / tapOffsets.length;
        this.window = window;
        this.outPlane = outPlane;
        this.yBatch = outChannels * outPlane;
        this.lanes = lanes;
        this.vectorBytes = lanes * 4;
        this.k = k;
        this.positions = positions;
        this.ld = ld;
        this.outChannels = outChannels;
        long mr = (long) vectors * lanes;
        this.blocks = outChannels / mr;
        this.blockFloats = k * mr;
        this.tailStart = blocks * mr;
        this.hasBlocks = blocks > 0;
        this.hasTail = tailStart < outChannels;
        this.fullEnd = positions / pos * pos;
        this.hasFull = fullEnd > 0;
        this.partial = fullEnd < positions;
        int tailVectors = (int) ((outChannels - tailStart + lanes - 1) / lanes);
        int part = (int) (positions - fullEnd);
        this.full = new Micro(vectors, pos, lanes, mr, tapOffsets);
        this.fullPart = partial ? new Micro(vectors, part, lanes, mr, tapOffsets) : null;
        this.tail = hasTail ? new Micro(tailVectors, pos, lanes, outChannels - tailStart, tapOffsets) : null;
        this.tailPart = hasTail && partial ? new Micro(tailVectors, part, lanes, outChannels - tailStart, tapOffsets) : null;
        this.w = w;
        this.bias = bias;
        this.z = z;
        this.hasBias = bias != null;
        this.hasZ = z != null;
        this.act = act;
        long passes = fullEnd / pos + (partial ? 1 : 0);
        // why: rounded down, so that the last prefetch of the last panel stays inside it
        this.prefetchChunk = passes > 0 ? blockFloats / passes : 0;
        this.prefetchStep = steps > 0 ? prefetchChunk / steps : 0;
        this.prefetch = window == null && blocks > 1 && passes > 1 && prefetchStep > 0;
    }

    /**
     * The packed product for a 1×1 conv of {@code k} input to {@code outChannels} output channels over {@code positions}
     * positions (input rows {@code ld} floats apart) on a target of {@code vectorBytes}, when the cost model says it beats
     * the spatial product; null otherwise. Names: the weights, bias and residual as the template reads them.
     */
    static PointwiseGemm choose(Strategy t, long k, long positions, long ld, long outChannels, String w, String bias, String z, Activation act) {
        int lanes = t.vectorBytes() / 4;
        // why: the kernel exists to fill vectors with channels; scalar FPUs keep their row blocks
        if (!t.optimizeForSpeed() || lanes < 2) return null;
        // why: fewer channels than a vector would pad most lanes
        if (outChannels < lanes) return null;
        int registers = t.vectorBytes() >= 64 ? REGISTERS_WIDE : REGISTERS_NARROW;
        int[] best = null;
        double bestCost = Double.MAX_VALUE;
        for (int v = 1; v <= 6; v++)
            for (int p = 1; p <= 24; p++) {
                if (v * p + v + 1 > registers || (long) v * lanes > (outChannels + lanes - 1) / lanes * lanes) continue;
                double c = cost(outChannels, k, positions, lanes, v, p);
                if (c < bestCost - 1e-9) {
                    bestCost = c;
                    best = new int[] {v, p};
                }
            }
        if (best == null) return null;
        int rows = (int) Math.min(BlockedKernels.ROWS_VECTOR, outChannels);
        int vectors = positions >= 4L * lanes ? 2 : 1;
        long tile = (long) lanes * vectors;
        double spatial = DirectConvKernels.cost((int) outChannels, k, positions, lanes, rows, vectors)
                + (positions % tile == 0 ? 0 : k * tile * 0.5);
        // why: on wide planes the spatial product fills its vectors with positions and needs no transposing epilogue
        if (bestCost >= spatial) return null;
        return new PointwiseGemm(lanes, best[0], best[1], k, positions, ld, outChannels, w, bias, z, act);
    }

    /**
     * Estimated cycles of the packed product: per reduction step a block issues vectors × positions multiply-adds
     * (two a cycle, but no faster than the latency of one chain), vectors loads and positions broadcasts (two a
     * cycle, so a one-vector block of many positions waits on its loads); per block a set-up cost and per output the transposing store.
     */
    static double cost(long outChannels, long k, long positions, int lanes, int vectors, int pos) {
        long mr = (long) vectors * lanes;
        long blocks = outChannels / mr;
        long tailVectors = (outChannels - blocks * mr + lanes - 1) / lanes;
        long full = positions / pos;
        int part = (int) (positions % pos);
        double c = 0;
        c += blocks * (full * step(vectors, pos) + (part > 0 ? step(vectors, part) : 0)) * k;
        if (tailVectors > 0) c += (full * step((int) tailVectors, pos) + (part > 0 ? step((int) tailVectors, part) : 0)) * k;
        long micros = (blocks + (tailVectors > 0 ? 1 : 0)) * (full + (part > 0 ? 1 : 0));
        return c + micros * BLOCK_COST + outChannels * positions * STORE_COST;
    }

    /** Cycles of one reduction step of a block of {@code vectors} × {@code pos}. */
    private static double step(int vectors, int pos) {
        double fma = vectors * pos / 2.0, loads = (vectors + pos) / LOADS_PER_CYCLE;
        // each accumulator's chain takes one multiply-add a step, so a step lasts at least its latency
        return Math.max(Math.max(fma, loads), FMA_LATENCY) + 0.25;
    }

    /** W [outChannels][k] as panels [block][q][mr] (mr = vectors × lanes), the tail panel's missing channels zero. */
    NdArray pack(NdArray wv) {
        long mr = full.mr, tmr = hasTail ? tail.mr : 0;
        long size = blocks * blockFloats + k * tmr;
        NdArray p = NdArray.zeros(wv.dtype(), Shape.of((int) size));
        for (long b = 0; b < blocks; b++)
            for (long q = 0; q < k; q++)
                for (long r = 0; r < mr; r++) p.setDouble((int) (b * blockFloats + q * mr + r), wv.getDouble((int) ((b * mr + r) * k + q)));
        for (long q = 0; q < k; q++)
            for (long r = 0; r < outChannels - tailStart; r++)
                p.setDouble((int) (blocks * blockFloats + q * tmr + r), wv.getDouble((int) ((tailStart + r) * k + q)));
        return p;
    }

    /**
     * The tapped form for a 2-d float conv of one group at stride 1 on a vector host, with its estimated cycles in
     * {@code cost[0]} (the padded copy included); null where it does not apply. Names as {@link #choose}.
     */
    static PointwiseGemm tapped(Strategy t, NnKernels.Window m, String w, String bias, double[] cost) {
        int lanes = t.vectorBytes() / 4;
        if (!t.optimizeForSpeed() || lanes < 2 || m.outChannels < lanes) return null;
        if (m.d.in != 1 || m.d.out != 1 || m.d.kernel != 1 || m.groups != 1 || m.taps < 2 || m.taps > MAX_TAPS) return null;
        // why: stride 1 keeps a position block's inputs adjacent (strided windows take the direct kernel's phase planes)
        if (m.h.stride != 1 || m.w.stride != 1) return null;
        long rows = Math.max((long) m.h.in + m.h.padBegin, m.h.out - 1 + (long) (m.h.kernel - 1) * m.h.dilation + 1);
        long pitch = Math.max((long) m.w.in + m.w.padBegin, m.w.out - 1 + (long) (m.w.kernel - 1) * m.w.dilation + 1);
        long padPlane = rows * pitch;
        if (padPlane * m.channels * 4 > MAX_SCRATCH) return null;
        long[] offs = new long[(int) m.taps];
        for (int kh = 0; kh < m.h.kernel; kh++)
            for (int kw = 0; kw < m.w.kernel; kw++)
                offs[kh * m.w.kernel + kw] = (long) kh * m.h.dilation * pitch + (long) kw * m.w.dilation;
        int registers = t.vectorBytes() >= 64 ? REGISTERS_WIDE : REGISTERS_NARROW;
        int[] best = null;
        double bestCost = Double.MAX_VALUE;
        for (int v = 1; v <= 6; v++)
            for (int p = 1; p <= Math.min(24, m.w.out); p++) {
                if (v * p + v + 1 > registers || (long) v * lanes > (m.outChannels + lanes - 1) / lanes * lanes) continue;
                // the rows are the position blocks' groups: each row costs as a plane of OW positions
                double c = (cost(m.outChannels, m.wStride, m.w.out, lanes, v, p) - (double) m.outChannels * m.w.out * STORE_COST) * m.h.out
                        + (double) m.outChannels * m.outPlane * STORE_COST;
                if (c < bestCost - 1e-9) {
                    bestCost = c;
                    best = new int[] {v, p};
                }
            }
        if (best == null) return null;
        cost[0] = bestCost + padPlane * m.channels * 0.25;
        return new PointwiseGemm(lanes, best[0], best[1], m.wStride, m.w.out, padPlane, m.outChannels, w, bias, m.z, m.act,
                offs, new Window(m, pitch, padPlane), m.outPlane);
    }

    /** The most taps the tapped form unrolls per reduction step (as the direct kernel). */
    private static final int MAX_TAPS = 25;
    /** The most scratch (padded planes) the tapped form may take. */
    private static final long MAX_SCRATCH = 8L << 20;

    /** Sets {@code m.pointwise} (and the packed weights) when a float conv takes the packed product, 1×1 or tapped. */
    static boolean chooseConv(KernelModel km, Node n, Strategy t, NnKernels.Window m) {
        // why: the kernel is float32 (f64 and integer convs keep their loops)
        if (n.output(0).dtype() != DType.F32 || n.input(0).dtype() != DType.F32 || n.input(1).dtype() != DType.F32) return false;
        if (m.taps > 1) return chooseTapped(km, n, t, m);
        // why: a plain product needs a 1×1 window of one group at stride 1 without pads, reading X as it lies
        if (m.groups != 1 || m.taps != 1 || m.outPlane != m.inPlane || m.d.stride != 1 || m.h.stride != 1 || m.w.stride != 1
                || m.d.padBegin != 0 || m.h.padBegin != 0 || m.w.padBegin != 0) return false;
        Value wv = n.input(1);
        // why: the weights are packed at compile time, which needs a constant only this node reads
        if (!wv.isConstant() || wv.uses().size() != 1) return false;
        // why: a plane smaller than a vector is the matrix-vector product's (BlockedKernels' gemv)
        if (m.outPlane < t.vectorBytes() / 4) return false;
        PointwiseGemm p = choose(t, m.wStride, m.outPlane, m.inPlane, m.outChannels, km.in1.name, m.hasBias ? km.in2.name : null, m.z, m.act);
        if (p == null) return false;
        km.packed.put(1, p.pack(wv.constant()));
        km.fpContract = true;
        m.pointwise = p;
        return true;
    }

    /**
     * Sets {@code m.pointwise} to the tapped form when it beats both the direct kernel and the gathered product
     * (the direct kernel declines such convs, {@link DirectConvKernels#chooseConv}).
     */
    private static boolean chooseTapped(KernelModel km, Node n, Strategy t, NnKernels.Window m) {
        Value wv = n.input(1);
        // why: the weights are packed at compile time, which needs a constant only this node reads
        if (!wv.isConstant() || wv.uses().size() != 1) return false;
        double[] cost = new double[1];
        PointwiseGemm p = tapped(t, m, km.in1.name, m.hasBias ? km.in2.name : null, cost);
        if (p == null || cost[0] >= DirectConvKernels.gatherCost(m, t.vectorBytes() / 4)) return false;
        km.packed.put(1, p.pack(wv.constant()));
        km.scratchBytes = p.window.scratchFloats * 4;
        km.fpContract = true;
        m.pointwise = p;
        return true;
    }

    /** Sets the pointwise half of a separable conv to the packed product (all output rows at once) when it pays. */
    static PointwiseGemm chooseSeparable(KernelModel km, Strategy t, SeparableKernels.Separable s, Value wp) {
        // why: the packed weights need a constant only this node reads
        if (!wp.isConstant() || wp.uses().size() != 1) return null;
        long plane = s.dw.outPlane;
        // why: the whole plane of intermediate channels is kept in scratch, so only small planes (about L2) qualify
        if (s.mid * plane * 4 > SEPARABLE_SCRATCH) return null;
        PointwiseGemm p = choose(t, s.mid, plane, plane, s.outChannels, s.wp, s.hasPwBias ? s.bp : null, s.hasZ ? s.z : null, s.act);
        if (p == null) return null;
        km.packed.put(2, p.pack(wp.constant()));
        return p;
    }

    /** The most bytes of intermediate channels a separable conv keeps in scratch for the packed product. */
    private static final long SEPARABLE_SCRATCH = 512 * 1024;
}
