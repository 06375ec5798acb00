package dev.kiln.kernels;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.ops.SeparableConv;
import dev.kiln.ops.Trait;
import java.util.List;

/**
 * C kernel lowering of {@code separable_conv} (templates/c/ops/separable.stg): for each output row, the depthwise
 * values of every intermediate channel go into a scratch row ({@link KernelModel#scratchBytes}), and the 1×1
 * products are taken from it at once, so the intermediate tensor never exists in the arena.
 */
public final class SeparableKernels {
    private SeparableKernels() {}

    /** The model of a separable convolution. */
    public static final class Separable {
        /** The depthwise half's window, tables and activation, as the depthwise conv kernel's lowering gives them. */
        public final NnKernels.Window dw;
        /** Intermediate channels (C·r), output channels M, and the scratch row's length (output width). */
        public final long mid, outChannels, rowLen;
        /** Which optional inputs are there: depthwise bias, pointwise bias, residual. */
        public final boolean hasDwBias, hasPwBias, hasZ;
        /** Parameter names of Wd, Wp, Bd, Bp and Z. */
        public final String wd, wp, bd, bp, z;
        /** The final fused activation. */
        public final Activation act;
        /**
         * The fast form (float32 on speed targets): {@code rowsPer} output rows at a time, their depthwise values
         * in scratch rows {@code ld} floats long (interior columns [owLo, owHi) of rows [ohLo, ohHi) without tables),
         * then the 1×1 half as the blocked product {@link #gemm} over those pixels (Wp packed when constant).
         */
        public boolean fast;
        public BlockedKernels.Gemm gemm;
        /** The fast form's 1×1 half as the product vectorised over output channels (all rows at once), or null. */
        public PointwiseGemm pointwise;
        public long rowsPer, ld, scratchFloats, ohLo, ohHi, owLo, owHi, rowShift, colStart;
        /**
         * Where the depthwise rows' padded buffer starts in scratch (floats): after the rows of intermediate channels
         * and the {@link DepthwiseRows#overrun} floats the last channel's last row stores past them.
         */
        public long padAt;
        /**
         * Columns [pixels, ld) of the scratch rows are read by the last tile but never written (they make outputs that
         * are not stored): only they are zeroed, once per call; the rest is written by every block before it is read.
         */
        public long pixels;
        public boolean hasJunk;
        public boolean rowsBelow, colsBefore, hasInterior;
        /** Stride-1 depthwise with vectors: interior columns a vector at a time, over these taps (index, element offset). */
        public boolean vecInterior;
        /** The depthwise half over padded phase rows (vector targets), or null: then the interior and edge loops. */
        public DepthwiseRows rows;
        public final java.util.List<BlockedKernels.Vec> dwTaps = new java.util.ArrayList<>();
        public long hRowStep;
        public final java.util.List<NnKernels.Table> planeTables = new java.util.ArrayList<>();
        /** Names the blocked product's template reads: output plane, pointwise bias, output channels. */
        public final long outPlane;
        public final boolean hasBias;
        public final long groupOut;

        Separable(KernelModel k, Node n, NnKernels.Window dw) {
            this.dw = dw;
            mid = n.input(1).shape().dim(0);
            outChannels = n.output(0).shape().dim(1);
            rowLen = dw.w.out;
            hasDwBias = n.input(3) != null;
            hasPwBias = n.input(4) != null;
            hasZ = n.input(5) != null;
            wd = k.ins.get(1).name;
            wp = k.ins.get(2).name;
            bd = k.ins.size() > 3 ? k.ins.get(3).name : null;
            bp = k.ins.size() > 4 ? k.ins.get(4).name : null;
            z = k.ins.size() > 5 ? k.ins.get(5).name : null;
            act = Activation.fused(n);
            outPlane = dw.outPlane;
            hasBias = hasPwBias;
            groupOut = outChannels;
        }
    }

    /** Lowers {@code separable_conv}; declares one row of intermediate channels as scratch. */
    public static Object separableConv(KernelModel k, Node n, Strategy t) {
        // the depthwise half's geometry is exactly a depthwise conv's: lower a stand-alone one and take its window
        Graph probe = new Graph("separable_dw");
        Value x = probe.addInput("x", n.input(0).type());
        Value w = probe.addInput("w", n.input(1).type());
        Node dwNode = probe.addNode(Ops.CONV, "dw", List.of(x, w), SeparableConv.depthwiseAttrs(n.attrs(), n.input(0).shape().dim(1)));
        NnKernels.Window dw = (NnKernels.Window) NnKernels.conv(k, dwNode, t);
        Separable m = new Separable(k, n, dw);
        Value z = n.input(5);
        // why: the store reads Z[i] just before writing Y[i], so Y may take Z's buffer, unless that is also X's (read later)
        if (z != null && z != n.input(0) && !aliased(z) && !aliased(n.input(0))) k.inPlaceInput = 5;
        // why: the scratch row of intermediate channels is shared by the whole loop, which one thread must run
        if (t.serial()) k.scratchBytes = m.mid * m.rowLen * n.output(0).dtype().byteSize();
        // why: float only (the op has no int8 form), so its products and sums may fuse into FMAs
        k.fpContract = n.output(0).dtype().isFloat();
        fast(k, n, t, m);
        return m;
    }

    /** Chooses the fast form (see {@link Separable#fast}) where it applies. */
    private static void fast(KernelModel k, Node n, Strategy t, Separable m) {
        NnKernels.Window dw = m.dw;
        // why: the fast form is float32 on speed targets, for 1-d and 2-d windows
        if (n.output(0).dtype() != dev.kiln.ir.DType.F32 || !t.optimizeForSpeed()) return;
        if (dw.d.in != 1 || dw.d.out != 1 || dw.d.kernel != 1) return;
        int lanes = Math.max(1, t.vectorBytes() / 4);
        int rows = (int) Math.min(lanes > 1 ? BlockedKernels.ROWS_VECTOR : BlockedKernels.ROWS_SCALAR, m.outChannels);
        // why: on MCUs the scratch stays the one row of the compact form (the arena must not grow), in tiles that divide it
        long rowsPer = lanes > 1 ? vectorRows(dw.h.out, dw.w.out, lanes, m.mid) : 1;
        Value wp = n.input(2);
        m.pointwise = PointwiseGemm.chooseSeparable(k, t, m, wp);
        // why: the channel-vectorised product takes the whole plane at once (its weights are read once per block)
        if (m.pointwise != null) rowsPer = dw.h.out;
        long pixels = rowsPer * dw.w.out;
        int vectors = lanes > 1 ? (pixels >= 4L * lanes ? 2 : 1) : BlockedKernels.scalarVectors(pixels);
        rows = BlockedKernels.fitRows(t, lanes, rows, vectors);
        long tile = (long) lanes * vectors;
        long ld = m.pointwise != null ? pixels : (pixels + tile - 1) / tile * tile;
        boolean packed = m.pointwise == null && wp.isConstant() && wp.uses().size() == 1;
        if (packed) k.packed.put(2, BlockedKernels.pack(wp.constant(), 1, (int) m.outChannels, rows, m.mid));
        m.gemm = new BlockedKernels.Gemm(m.mid, pixels, (int) m.outChannels, lanes, vectors, rows, false, ld, packed);
        // why: the channel-vectorised product has its own epilogue; the blocked one's full tiles store from registers
        if (m.pointwise == null) m.gemm.clamp = VectorClamp.of(m.act, t.vectorBytes());
        m.gemm.masks = VectorClamp.masks(m.gemm.clamp);
        m.rowsPer = rowsPer;
        m.ld = ld;
        m.scratchFloats = m.mid * ld;
        m.pixels = pixels;
        m.hasJunk = ld > pixels;
        long[] h = BlockedKernels.interior(dw.h), w = BlockedKernels.interior(dw.w);
        m.ohLo = h[0];
        m.ohHi = h[1];
        m.owLo = w[0];
        m.owHi = w[1];
        m.hasInterior = h[0] < h[1] && w[0] < w[1];
        m.vecInterior = m.hasInterior && lanes > 1 && dw.w.stride == 1 && m.owHi - m.owLo >= lanes;
        for (int kh = 0; kh < dw.h.kernel; kh++)
            for (int kw = 0; kw < dw.w.kernel; kw++)
                m.dwTaps.add(new BlockedKernels.Vec(kh * dw.w.kernel + kw, kh * dw.h.dilStep + kw * dw.w.dilStep));
        m.hRowStep = (long) dw.h.stride * dw.h.inStep;
        m.rowsBelow = m.ohLo > 0;
        m.colsBefore = m.owLo > 0;
        m.rowShift = (long) dw.h.padBegin * dw.h.inStep;
        m.colStart = m.owLo * dw.w.stride - dw.w.padBegin;
        java.util.Set<String> depth = java.util.Set.of(dw.d.lo, dw.d.hi, dw.d.start);
        for (NnKernels.Table tb : dw.tables) if (!depth.contains(tb.name)) m.planeTables.add(tb);
        m.rows = DepthwiseRows.choose(dw, t.vectorBytes(), rowsPer, dw.act);
        m.padAt = m.scratchFloats + (m.rows == null ? 0 : m.rows.overrun);
        k.scratchBytes = (m.padAt + (m.rows == null ? 0 : m.rows.bufFloats)) * 4;
        m.fast = true;
    }

    /** Bytes of scratch rows of intermediate channels the blocked product may read (well inside a host's L2). */
    private static final long ROWS_BYTES = 192 * 1024;

    /**
     * Output rows per block on vector hosts: the fewest whose pixels fill whole tiles of two vectors (no partial
     * tile computed for nothing), while the scratch rows of {@code mid} channels stay within {@link #ROWS_BYTES};
     * else the whole plane where it stays within them; else the fewest that give two vectors of pixels.
     */
    static long vectorRows(long outH, long outW, int lanes, long mid) {
        long least = Math.min(outH, Math.max(1, (2L * lanes + outW - 1) / outW));
        // why: 56- and 28-wide rows (MobileNet's large planes) leave half a vector per row: 4 and 8 rows make whole tiles
        for (long r = least; r <= outH && r * outW * mid * 4 <= ROWS_BYTES; r++)
            if (r * outW >= 4L * lanes && r * outW % (2L * lanes) == 0) return r;
        // why: no row count makes whole tiles (14- and 7-wide rows): the whole plane wastes at most part of its last tile,
        // where the fewest rows (3 of 14: one-vector tiles of 42 pixels in 48) cost MobileNet-v2's features.7 a quarter more
        if (outH * outW * mid * 4 <= ROWS_BYTES) return outH;
        return least;
    }

    private static boolean aliased(Value v) {
        return v.producer() != null && v.producer().op().has(Trait.ALIAS);
    }
}
