package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * The Winograd F(2×2, 3×3) float convolution of vector hosts (templates/c/ops/winograd.stg, {@code nn_conv_winograd})
 * and the cost model that picks it over the direct, tapped and gathered forms: 3×3 windows at stride 1, dilation 1,
 * one group, any padding.
 *
 * <p>Each 2×2 block of outputs (a tile) comes from a 4×4 patch d of the zero-padded input: {@code Y = A^T [U ⊙ V] A}
 * with {@code V = B^T d B} per input channel and {@code U = G g G^T} per filter (Lavin and Gray's F(2,3) matrices).
 * The filter transform runs at compile time (the weights are stored as U, 16 floats per filter, in flash); at run
 * time the input is copied into zero-padded planes, the tiles are taken a chunk of tile rows at a time, each input
 * transform V stored as 16 matrices {@code [point][c][tile]}, and the element-wise stage is for every one of the 16
 * transform points a matrix product {@code M[oc][tile] = sum_c U[point][oc][c] V[point][c][tile]} in the
 * register blocks of {@link BlockedKernels.Micro} (a block of output channels by vectors of tiles). The output
 * transform of a block's channels follows at once and adds bias and residual and applies the activation.
 *
 * <p>Not bit-exact with the interpreter: the transforms reassociate the sums (U's halves are exact; V and the output
 * transform add and subtract inputs before the products). The error of one output is a few float ulps times
 * {@code sum |x| |w|} over its window (measured bound in the README); {@code conv.winograd=off} in the target
 * descriptor keeps the interpreter-exact forms.
 */
public final class WinogradKernels {
    private WinogradKernels() {}

    /** Transform points (4 × 4) per tile. */
    static final int POINTS = 16;
    /** Bytes of input transforms a chunk of tile rows may take (about the L2 share a core gets). */
    private static final long CHUNK_BYTES = 128 * 1024;
    /** The most scratch (padded planes and one chunk's transforms) the kernel may take. */
    private static final long MAX_SCRATCH = 8L << 20;
    /** Cycles per vector of tiles and input channel of the input transform (16 loads, 32 adds, 16 stores). */
    private static final double INPUT_COST = 48;
    /** Cycles per vector of tiles and output channel of the output transform and its epilogue (as above). */
    private static final double OUTPUT_COST = 48;

    /** What both Winograd forms' register blocks take: vectors of tiles (GCC vector types where lanes > 1). */
    public abstract static class Vectors {
        /** Floats per vector, vectors per block, tile slots per block (lanes × vectors), vector bytes. */
        public final int lanes, vectors, tile, vectorBytes;
        /** Whether a GCC vector type is declared. */
        public final boolean vector;
        public final List<BlockedKernels.Vec> vecs = new ArrayList<>();

        Vectors(int lanes, int vectors) {
            this.lanes = lanes;
            this.vectors = vectors;
            this.tile = lanes * vectors;
            this.vectorBytes = lanes * 4;
            this.vector = lanes > 1;
            for (int u = 0; u < vectors; u++) vecs.add(new BlockedKernels.Vec(u, (long) u * lanes));
        }
    }

    /** The model of a Winograd convolution (see the class comment). */
    public static final class Winograd extends Vectors {
        /**
         * Tile rows and columns, padded plane rows (2 per tile row plus 2), pitch of its even and odd column planes
         * (a tile column plus 1), floats of one channel's two planes and where its odd plane starts; pads before.
         */
        public final long tileRows, tileCols, padRows, pitch, planeFloats, oddAt;
        public final int padTop, padLeft;
        /** Input rows copied into the planes; the column phases of an input row (even, odd plane columns). */
        public final long copyRows;
        public final List<DepthwiseRows.Phase> copies = new ArrayList<>();
        /** Tile rows per chunk; a chunk's tiles rounded up to whole blocks ({@link #tile}); floats per row of V and M. */
        public final long chunkRows, chunkRound, rowFloats;
        /** Floats of each staged output row (whole vectors of tiles, two outputs each). */
        public final long stageFloats;
        /** Input channels, full blocks of rows, the first tail channel; whether there are full blocks and a tail. */
        public final long ic, blocks, tailStart;
        public final boolean hasBlocks, hasTail;
        /** Floats of U per transform point (all filters), of V per point (channels × chunk), of M per point (rows × chunk). */
        public final long uPoint, vPoint, mPoint;
        /** Offsets (floats) of V and M in scratch after the planes; scratch floats in all. */
        public final long vAt, mAt, scratchFloats;
        /** The register blocks: full rows of output channels, and the one-channel tail. */
        public final BlockedKernels.Micro block, tail;
        /** Elements of the plain path's tmp (rows × tile). */
        public final long tmpSize;
        /** The shuffle masks interleaving two vectors' low halves and high halves (vector path). */
        public final String interleaveLo, interleaveHi;

        Winograd(NnKernels.Window m, int lanes, int vectors, int rows, long chunkRows) {
            super(lanes, vectors);
            this.tileRows = (m.h.out + 1) / 2;
            this.tileCols = (m.w.out + 1) / 2;
            this.padRows = 2 * tileRows + 2;
            this.pitch = tileCols + 1;
            this.oddAt = padRows * pitch;
            this.planeFloats = 2 * oddAt;
            this.padTop = m.h.padBegin;
            this.padLeft = m.w.padBegin;
            this.copyRows = Math.max(0, Math.min(m.h.in, padRows - padTop));
            long copyCols = Math.max(0, Math.min(m.w.in, 2 * pitch - padLeft));
            for (int p = 0; p < 2; p++) {
                long first = Math.floorMod(p - padLeft, 2);
                if (first >= copyCols) continue;
                copies.add(new DepthwiseRows.Phase(first, p * oddAt + (first + padLeft) / 2, (copyCols - first + 1) / 2));
            }
            this.chunkRows = chunkRows;
            this.chunkRound = roundUp(chunkRows * tileCols, tile);
            // a vector of tiles from a row's last may run a vector past the chunk; a skew keeps the 16 points' rows
            // off the same cache sets
            this.rowFloats = skew(chunkRound + lanes, lanes);
            this.stageFloats = 2 * roundUp(tileCols, lanes);
            this.ic = m.channels;
            this.blocks = m.outChannels / rows;
            this.tailStart = blocks * rows;
            this.hasBlocks = blocks > 0;
            this.hasTail = tailStart < m.outChannels;
            this.uPoint = (long) m.outChannels * m.channels;
            this.vPoint = skew(ic * rowFloats, lanes);
            this.mPoint = skew((long) rows * rowFloats, lanes);
            // the planes' reads of a vector past their last row's end stay inside the scratch
            this.vAt = ic * planeFloats + lanes + 1;
            this.mAt = vAt + POINTS * vPoint;
            this.scratchFloats = mAt + POINTS * mPoint;
            this.block = new BlockedKernels.Micro(rows, rows, 1, vectors, lanes, "a");
            this.tail = new BlockedKernels.Micro(1, 1, ic, vectors, lanes, "t");
            this.tmpSize = (long) rows * tile;
            StringBuilder lo = new StringBuilder(), hi = new StringBuilder();
            for (int i = 0; i < lanes; i++) {
                String sep = i == 0 ? "" : ", ";
                lo.append(sep).append(i % 2 == 0 ? i / 2 : lanes + i / 2);
                hi.append(sep).append(i % 2 == 0 ? lanes / 2 + i / 2 : lanes + lanes / 2 + i / 2);
            }
            this.interleaveLo = lo.toString();
            this.interleaveHi = hi.toString();
        }
    }

    /** {@code n} plus {@code lanes} floats where it is a multiple of 512 (2 KB strides share cache sets). */
    private static long skew(long n, int lanes) { return n % 512 == 0 ? n + lanes : n; }

    private static long roundUp(long v, long to) { return (v + to - 1) / to * to; }

    /** Whether the Winograd form applies to this conv's geometry and target (before any cost is weighed). */
    static boolean applies(Node n, Strategy t, NnKernels.Window m) {
        // why: the transforms are float32, for speed targets with vectors of at least 8 floats (MCUs and narrow SIMD
        // keep their exact kernels), and the user may turn them off (conv.winograd=off) for interpreter-exact convs
        if (n.output(0).dtype() != DType.F32 || n.input(0).dtype() != DType.F32 || n.input(1).dtype() != DType.F32) return false;
        if (!t.optimizeForSpeed() || t.vectorBytes() < 32 || !t.winograd()) return false;
        // why: F(2,3) is a 3×3 window at stride 1 and dilation 1 over 2-d planes, one group
        if (m.d.in != 1 || m.d.out != 1 || m.d.kernel != 1 || m.groups != 1) return false;
        if (m.h.kernel != 3 || m.w.kernel != 3 || m.h.stride != 1 || m.w.stride != 1 || m.h.dilation != 1 || m.w.dilation != 1) return false;
        Value wv = n.input(1);
        // why: the filters are transformed at compile time, which needs a constant only this node reads
        return wv.isConstant() && wv.uses().size() == 1;
    }

    /**
     * Sets {@code m.winograd} or {@code m.winograd4} (and the transformed weights and scratch) when a Winograd form
     * applies and its estimated cost is below the cheapest exact form's ({@link DirectConvKernels#exactCost}), the
     * cheaper of F(2×2, 3×3) and F(4×4, 3×3) where both apply; returns whether it did.
     */
    static boolean chooseConv(KernelModel k, Node n, Strategy t, NnKernels.Window m) {
        if (!applies(n, t, m)) return false;
        Winograd g = plan(t, m);
        // why: the padded planes and the chunk's transforms live in the arena, which must not grow without bound
        if (g != null && g.scratchFloats * 4 > MAX_SCRATCH) g = null;
        // why: the transforms take a vector of a tile row's tiles at a time; rows of fewer tiles than half a vector
        // waste most lanes (13x13 planes on AVX-512, 7 tiles of 16, measured no faster than the tapped form on
        // squeezenet's expands: 155 vs 150 us and 280 vs 258 us, loaded); F(4x4, 3x3) takes such planes
        if (g != null && 2 * g.tileCols < g.lanes) g = null;
        Winograd4 g4 = plan4(t, m);
        double exact = DirectConvKernels.exactCost(t, m);
        double c2 = g == null ? Double.MAX_VALUE : cost(m, g), c4 = g4 == null ? Double.MAX_VALUE : cost4(m, g4);
        // why: the transforms pay off only where they save more products than they cost (not on 3-channel stems)
        if (Math.min(c2, c4) >= exact) return false;
        if (c4 < c2) {
            m.winograd4 = g4;
            // why: U would take 4 times W's bytes, read from memory on every inference (2.4 MB on squeezenet's
            // 64 -> 256 expand: 390 us with the caches flushed against 270 us for W and the exact form); each
            // block's filters are transformed at run time instead, from W packed [block][c][tap][row]
            k.packed.put(1, BlockedKernels.pack(n.input(1).constant(), 1, m.outChannels, g4.block.count, 9L * m.channels));
            k.scratchBytes = g4.scratchFloats * 4;
        } else {
            m.winograd = g;
            k.packed.put(1, transform(n.input(1).constant(), m.outChannels, m.channels, g.block.count));
            k.scratchBytes = g.scratchFloats * 4;
        }
        k.fpContract = true;
        return true;
    }

    /**
     * The kernel's shape for this conv: blocks of output channels by two vectors of tiles (one where the plane has
     * fewer tiles than two vectors), chunks of as many tile rows as {@link #CHUNK_BYTES} of transforms hold (at
     * least one, and enough for a block of tiles): on squeezenet's 55×55 expand, chunks of one tile row measured
     * 25 % slower than chunks of four.
     */
    static Winograd plan(Strategy t, NnKernels.Window m) {
        int lanes = t.vectorBytes() / 4;
        long tileCols = (m.w.out + 1) / 2, tileRows = (m.h.out + 1) / 2;
        int vectors = tileRows * tileCols >= 2L * lanes ? 2 : 1;
        int rows = BlockedKernels.fitRows(t, lanes, Math.min(BlockedKernels.ROWS_VECTOR, m.outChannels), vectors);
        long perRow = POINTS * (long) m.channels * tileCols * 4;
        long chunkRows = Math.max(1, Math.min(tileRows, CHUNK_BYTES / perRow));
        // why: a chunk of fewer tiles than a block would compute mostly padding
        while (chunkRows < tileRows && chunkRows * tileCols < (long) lanes * vectors) chunkRows++;
        return new Winograd(m, lanes, vectors, rows, chunkRows);
    }

    /**
     * Estimated cycles: the 16 matrix products' register-block steps over each chunk's tiles rounded up to whole
     * blocks ({@link DirectConvKernels#cost} without its per-output epilogue), the input and output transforms a
     * vector of a tile row's tiles at a time, and the padded planes' copy.
     */
    static double cost(NnKernels.Window m, Winograd g) {
        long slots = 0;
        for (long th0 = 0; th0 < g.tileRows; th0 += g.chunkRows)
            slots += roundUp(Math.min(g.chunkRows, g.tileRows - th0) * g.tileCols, g.tile);
        double steps = DirectConvKernels.cost(m.outChannels, g.ic, slots, g.lanes, g.block.count, g.vectors)
                - (double) (slots / g.tile) * m.outChannels * 4;
        double rowVectors = (double) g.tileRows * ((g.tileCols + g.lanes - 1) / g.lanes);
        double transforms = (INPUT_COST * g.ic + OUTPUT_COST * m.outChannels) * rowVectors;
        return POINTS * steps + transforms + g.ic * g.planeFloats * 0.25;
    }

    /**
     * The filters W [oc][ic][3][3] transformed to {@code U = G g G^T} and stored [point][oc][ic] with each point's
     * full blocks of {@code rows} channels as [ic][rows] (the register blocks' weights side by side), the tail
     * channels as [ic]; computed in double, rounded once to float.
     */
    static NdArray transform(NdArray w, int outChannels, int channels, int rows) {
        NdArray u = NdArray.zeros(w.dtype(), Shape.of(POINTS * outChannels * channels));
        long uPoint = (long) outChannels * channels;
        int blocks = outChannels / rows;
        double[][] gm = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
        for (int oc = 0; oc < outChannels; oc++)
            for (int c = 0; c < channels; c++) {
                double[][] tmp = new double[4][3];
                long base = ((long) oc * channels + c) * 9;
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 3; j++) {
                        double s = 0;
                        for (int l = 0; l < 3; l++) s += gm[i][l] * w.getDouble((int) (base + l * 3 + j));
                        tmp[i][j] = s;
                    }
                int b = oc / rows;
                long at = b < blocks ? (long) b * rows * channels + (long) c * rows + oc % rows : (long) oc * channels + c;
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++) {
                        double s = 0;
                        for (int l = 0; l < 3; l++) s += tmp[i][l] * gm[j][l];
                        u.setDouble((int) ((i * 4 + j) * uPoint + at), (float) s);
                    }
            }
        return u;
    }

    /** Transform points (6 × 6) per tile of F(4×4, 3×3). */
    static final int POINTS4 = 36;
    /** The most tiles F(4×4, 3×3) takes (planes up to 16 × 16 outputs). */
    private static final long MAX_TILES4 = 16;
    /** The most floats F(4×4, 3×3)'s input transforms may take (the whole plane's at once, about an L2 share). */
    private static final long MAX_V4 = 64 * 1024;
    /**
     * Cycles per vector of tiles and input channel of F(4×4, 3×3)'s input transform: the 36 gathered vectors (a
     * lane each), 36 stores and about 130 adds and multiplies.
     */
    private static final double INPUT4_COST = 170;
    /** Cycles per vector of tiles and output channel of its output transform (36 loads, ~100 adds, 16 stores). */
    private static final double OUTPUT4_COST = 130;
    /** Cycles per input and output channel and lane of its filter transform at run time (9 loads, ~110 operations, 36 stores). */
    private static final double FILTER4_COST = 160;

    /**
     * The model of a Winograd F(4×4, 3×3) convolution (templates/c/ops/winograd.stg, {@code nn_conv_winograd4}) for
     * small planes, whose tiles (4 × 4 outputs from a 6 × 6 patch, 36 transform points) fill one or two vectors: the
     * tiles are taken flat across the plane, all at once. The filters are transformed at run time, a block of output
     * channels at a time into scratch (U would take 4 times W's bytes, read from memory on every inference). The
     * input is copied into a zero-padded plane a channel, each transform point's vector of tiles gathered through a
     * table ({@link #inTable}, [point][tile]) and transformed; the products are {@link Winograd}'s register blocks; each output channel's transform is staged
     * [output row in tile][output column in tile][tile] and its outputs read back through {@link #outTable} (one entry
     * an output, in order) with bias, residual and activation. On 13 × 13 planes: 16 tiles, one AVX-512 vector, and
     * 2.6 times fewer products than the direct form (F(2×2, 3×3): 49 tiles in 64 slots, 1.5 times).
     */
    public static final class Winograd4 extends Vectors {
        /** Tile rows and columns, tiles; padded plane rows and pitch (4 per tile plus 2), floats of all planes. */
        public final long tileRows, tileCols, tiles, padRows, pitch, planeFloats, planesFloats;
        public final int padTop, padLeft;
        /** Input rows and columns copied into the plane. */
        public final long copyRows, copyCols;
        /** Input channels, full blocks of output channels, the first tail channel; whether there are blocks and a tail. */
        public final long ic, blocks, tailStart;
        public final boolean hasBlocks, hasTail;
        /**
         * Floats of V per point (channels × tile slots) and between its channels, of M per point; of a block's
         * transformed filters U (channels × 36 × rows) and of its packed W per input channel (9 × rows).
         */
        public final long vPoint, rowFloats, mPoint, blockU, blockW;
        /** Floats of W per output channel (9 × channels) and per block; cache lines of W prefetched per point. */
        public final long wChannel, blockWFloats, prefetchLines;
        /** Offsets (floats) of V, M and U in scratch after the planes; scratch floats in all. */
        public final long vAt, mAt, uAt, scratchFloats;
        public final BlockedKernels.Micro block, tail;
        /** Elements of the plain path's tmp (rows × tile), of an output channel's staged transform (16 × tile). */
        public final long tmpSize, stageFloats;
        /** Per point and tile slot the plane element its patch reads; per output its staged element. */
        public final NnKernels.Table inTable, outTable;

        Winograd4(NnKernels.Window m, int lanes, int vectors, int rows, String prefix) {
            super(lanes, vectors);
            this.tileRows = (m.h.out + 3) / 4;
            this.tileCols = (m.w.out + 3) / 4;
            this.tiles = tileRows * tileCols;
            this.padRows = 4 * tileRows + 2;
            this.pitch = 4 * tileCols + 2;
            this.planeFloats = padRows * pitch;
            this.padTop = m.h.padBegin;
            this.padLeft = m.w.padBegin;
            this.copyCols = Math.max(0, Math.min(m.w.in, pitch - padLeft));
            this.copyRows = copyCols == 0 ? 0 : Math.max(0, Math.min(m.h.in, padRows - padTop));
            this.ic = m.channels;
            this.blocks = m.outChannels / rows;
            this.tailStart = blocks * rows;
            this.hasBlocks = blocks > 0;
            this.hasTail = tailStart < m.outChannels;
            this.rowFloats = tile;
            this.vPoint = ic * tile;
            this.mPoint = (long) rows * tile;
            this.blockU = ic * POINTS4 * rows;
            this.blockW = 9L * rows;
            this.wChannel = 9L * ic;
            // why: W streams from memory on every inference (the model's weights outgrow the caches); the products
            // of a block prefetch the next block's W, 16 floats a line, spread over the 36 points (squeezenet's
            // 64 -> 256 expand with the caches flushed: 340 -> 283 us, loaded)
            this.blockWFloats = wChannel * rows;
            this.prefetchLines = (blockWFloats + 16L * POINTS4 - 1) / (16L * POINTS4);
            this.planesFloats = ic * planeFloats;
            this.vAt = planesFloats;
            this.mAt = vAt + POINTS4 * vPoint;
            this.uAt = mAt + POINTS4 * mPoint;
            this.scratchFloats = uAt + blockU;
            // U [c][point][row]: a channel's 36 points side by side (36 stores a point apart would share a cache set)
            this.block = new BlockedKernels.Micro(rows, (long) POINTS4 * rows, 1, vectors, lanes, "a");
            this.tail = new BlockedKernels.Micro(1, POINTS4, ic, vectors, lanes, "t");
            this.tmpSize = (long) rows * tile;
            this.stageFloats = 16L * tile;
            int[] in = new int[POINTS4 * tile];
            for (int e = 0; e < POINTS4; e++)
                for (int s = 0; s < tile; s++) {
                    // why: slots past the last tile read the plane's first element; their lanes are never stored
                    long t = s < tiles ? s : 0;
                    in[e * tile + s] = (int) ((4 * (t / tileCols) + e / 6) * pitch + 4 * (t % tileCols) + e % 6);
                }
            int[] out = new int[(int) m.outPlane];
            for (int oh = 0; oh < m.h.out; oh++)
                for (int ow = 0; ow < m.w.out; ow++)
                    out[oh * m.w.out + ow] = (int) (((oh % 4) * 4 + ow % 4) * tile + (oh / 4) * tileCols + ow / 4);
            this.inTable = new NnKernels.Table(prefix + "_in", in);
            this.outTable = new NnKernels.Table(prefix + "_out", out);
        }
    }

    /**
     * F(4×4, 3×3)'s plan for this conv, or null where it has more than {@link #MAX_TILES4} tiles, they take more than
     * two vectors or its transforms more than {@link #MAX_V4}: the register block of least {@link DirectConvKernels#cost} that fits the registers.
     */
    static Winograd4 plan4(Strategy t, NnKernels.Window m) {
        int lanes = t.vectorBytes() / 4;
        long tiles = (long) ((m.h.out + 3) / 4) * ((m.w.out + 3) / 4);
        int vectors = (int) ((tiles + lanes - 1) / lanes);
        // why: measured only where F(2,3) wastes most lanes or has no better tile count (13x13 and 16x16 planes, 16
        // tiles); larger planes keep F(2,3), whose error is smaller
        if (tiles > MAX_TILES4 || vectors > 2 || POINTS4 * (long) m.channels * vectors * lanes > MAX_V4) return null;
        int best = 1;
        double bestCost = Double.MAX_VALUE;
        for (int r = 1; r <= Math.min(m.outChannels, 24); r++) {
            if (!t.fits(r, vectors) || r * vectors + vectors + 1 > DirectConvKernels.budget(t.vectorRegisters())) continue;
            // why: a tail channel's block is one chain of dependent multiply-adds (about 4 cycles a step, not the
            // cost model's 1.75): 23 rows with a tail of 3 measured slower than 16 with none on 256 channels
            double c = DirectConvKernels.cost(m.outChannels, m.channels, (long) lanes * vectors, lanes, r, vectors)
                    + 2.25 * (m.outChannels % r) * m.channels;
            if (c < bestCost - 1e-9) {
                bestCost = c;
                best = r;
            }
        }
        return new Winograd4(m, lanes, vectors, best, "w4");
    }

    /**
     * F(4×4, 3×3)'s estimated cycles: the 36 products over one block of tiles, the input transform of every channel
     * and the output transform of every output channel (a vector of tiles at a time), and the plane's copy.
     */
    static double cost4(NnKernels.Window m, Winograd4 g) {
        double steps = DirectConvKernels.cost(m.outChannels, g.ic, g.tile, g.lanes, g.block.count, g.vectors)
                - (double) m.outChannels * 4;
        double transforms = (INPUT4_COST * g.ic + OUTPUT4_COST * m.outChannels) * g.vectors + 1.5 * m.outChannels * m.outPlane;
        return POINTS4 * steps + transforms + FILTER4_COST / g.lanes * g.ic * m.outChannels + g.planesFloats * 0.25;
    }
}
