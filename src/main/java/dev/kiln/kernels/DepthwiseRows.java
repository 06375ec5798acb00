package dev.kiln.kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * The vector depthwise path over padded phase rows (templates/c/ops/dwrows.stg): for a block of output rows, each
 * channel's input rows are copied once into a small zero-padded buffer, split by column phase (column {@code c}
 * of a padded row goes to phase {@code c % strideW} at index {@code c / strideW}), so that every tap of every output
 * column is a contiguous run whatever the stride, padding or dilation; the outputs of a row are then computed a whole
 * vector at a time with constant tap offsets, no tables and no edge cases, and bias and activation are applied to the
 * vector before the valid lanes are stored.
 *
 * <p>Chosen for float32 2-d depthwise windows on speed targets with vectors ({@link #choose}); scalar FPUs keep the
 * table-driven loops (their arena must not grow). Without GCC vector extensions the template computes the same
 * taps one column at a time from the same buffer.
 */
public final class DepthwiseRows {
    /** Floats per vector, and its size in bytes. */
    public final int lanes, vectorBytes;
    /** Output columns of a row, rounded up to whole vectors. */
    public final long outRound;
    /**
     * Floats each output row's last vector stores past the row's end ({@code outRound - outW}): whole vectors are
     * stored (masked part-vector stores cost MobileNet-v2's 14x14 separables 4-8 % more), so a row's tail lands on the start of the
     * next row, which is stored after it, and the last row's on whatever follows, which the caller leaves room for.
     */
    public final long overrun;
    /**
     * For rows that must not store past their end ({@code dw_rows_flat}: a depthwise conv writing Y): the columns in
     * whole vectors and the bytes of the part vector after them; whether there are any of each.
     */
    public final long fullEnd, partialBytes;
    public final boolean hasFull, partial;
    /** Phases (the column stride), floats per phase, floats per padded row ({@code phases * phaseLen}). */
    public final int phases;
    public final long phaseLen, rowSize;
    /** Padded rows per block ({@code (rowsPer - 1) * strideH + (kernelH - 1) * dilationH + 1}) and the buffer's floats. */
    public final long rows, bufFloats;
    /** Buffer floats between the first rows of two consecutive output rows ({@code strideH * rowSize}). */
    public final long rowStep;
    /** Input rows above the first output row's window: {@code ih = oh0 * strideH - padTop + r}. */
    public final long strideH, padTop;
    /** Input rows, input row length and the input's row step; output row length. */
    public final long inH, inW, inStep, outW;
    /** The taps: index into the channel's weights and offset into the buffer from an output row's first padded row. */
    public final List<BlockedKernels.Vec> taps = new ArrayList<>();
    /** Where each phase's input columns go: the first input column, its index in the phase, how many. */
    public final List<Phase> copies = new ArrayList<>();
    /**
     * Stride 2 with a vector's worth of input pairs or more: the fill splits two vectors of input into the even and
     * odd columns with one shuffle each ({@link #pairBlocks} blocks of {@code 2 * lanes} columns), the even ones to
     * {@link #evenAt}, the odd ones to {@link #oddAt}; each phase's columns from {@link #pairFloats} on one at a time.
     */
    public final boolean deinterleave;
    public final long pairBlocks, pairFloats, pairStep, evenAt, oddAt;
    /** The shuffle lanes that pick the even and the odd columns of two vectors. */
    public final String evenLanes, oddLanes;
    /**
     * Whether a whole output row fits in {@link #GROUP_ACCS} vectors: then the vector path computes {@link #rowGroup}
     * rows at a time ({@link #group}), the rows a block has left over one at a time ({@link #single}), every vector of
     * them in its own accumulator, so that the taps' multiply-add chains overlap instead of waiting on one another.
     */
    public final boolean grouped;
    /** Rows computed together (a divisor of the block's rows) and whether that is more than one. */
    public final long rowGroup;
    public final boolean hasRowGroups;
    /** The accumulators of {@link #rowGroup} rows and of one row (null unless {@link #grouped}). */
    public final Block group, single;

    /**
     * Most vector accumulators of one row computed together (8 of AVX-512's 32 or AVX2's 16 registers, with the
     * loads), and of several rows: more than 4 measured slower on 7x7 planes (7 rows of one vector each).
     */
    static final int GROUP_ACCS = 8, ROWS_ACCS = 4;

    /** One output vector of a {@link Block}: its accumulator and its offsets from the row's pb and ro. */
    public static final class Slot {
        public final String name;
        public final long in, out;

        Slot(String name, long in, long out) {
            this.name = name;
            this.in = in;
            this.out = out;
        }
    }

    /** One tap of a {@link Block}: its weight index and, per slot, the accumulator and its input offset from pb. */
    public static final class BlockTap {
        public final int index;
        public final List<Use> uses = new ArrayList<>();

        BlockTap(int index) { this.index = index; }
    }

    /** An accumulator's input for one tap: its name and the input's offset from pb. */
    public static final class Use {
        public final String name;
        public final long offset;

        Use(String name, long offset) {
            this.name = name;
            this.offset = offset;
        }
    }

    /** Output vectors computed together: rows {@code rows} of {@code vectors} vectors each, tap by tap. */
    public static final class Block {
        public final List<Slot> slots = new ArrayList<>();
        public final List<BlockTap> taps = new ArrayList<>();

        Block(DepthwiseRows r, long rows, long vectors) {
            for (long i = 0; i < rows; i++)
                for (long v = 0; v < vectors; v++) {
                    slots.add(new Slot("acc" + slots.size(), i * r.rowStep + v * r.lanes, i * r.outW + v * r.lanes));
                }
            for (BlockedKernels.Vec tp : r.taps) {
                BlockTap bt = new BlockTap(tp.index);
                for (Slot sl : slots) bt.uses.add(new Use(sl.name, tp.offset + sl.in));
                taps.add(bt);
            }
        }
    }

    /** Stride 1: each input row is one run copied at {@link #padLeft}. */
    public final boolean unit;
    public final long padLeft;

    /** One phase of a padded row: input columns {@code first, first + stride, ...} ({@code count}) at {@code at, at + 1, ...}. */
    public static final class Phase {
        public final long first, at, count;

        Phase(long first, long at, long count) {
            this.first = first;
            this.at = at;
            this.count = count;
        }
    }

    /** The activation on whole vectors ({@link VectorClamp}), or null where it runs lane by lane. */
    public final VectorClamp clamp;

    private DepthwiseRows(NnKernels.Window w, int lanes, long rowsPer, Activation act) {
        // why: relu, clip, hard_swish and hard_sigmoid are exact on vectors with compare-and-select (NaN passes)
        this.clamp = VectorClamp.of(act, lanes * 4);
        this.lanes = lanes;
        this.vectorBytes = lanes * 4;
        NnKernels.Axis h = w.h, c = w.w;
        this.outRound = (c.out + lanes - 1) / lanes * lanes;
        this.overrun = outRound - c.out;
        this.fullEnd = c.out / lanes * lanes;
        this.partialBytes = (c.out - fullEnd) * 4L;
        this.hasFull = fullEnd > 0;
        this.partial = fullEnd < c.out;
        this.phases = c.stride;
        long reach = (long) (c.kernel - 1) * c.dilation / c.stride;
        long dataEnd = (c.padBegin + (long) c.in + c.stride - 1) / c.stride;
        this.phaseLen = Math.max(outRound + reach, dataEnd);
        this.rowSize = phases * phaseLen;
        this.rows = (rowsPer - 1) * h.stride + (long) (h.kernel - 1) * h.dilation + 1;
        this.bufFloats = rows * rowSize;
        this.rowStep = (long) h.stride * rowSize;
        this.strideH = h.stride;
        this.padTop = h.padBegin;
        this.inH = h.in;
        this.inW = c.in;
        this.outW = c.out;
        this.inStep = h.inStep;
        this.unit = c.stride == 1;
        this.padLeft = c.padBegin;
        for (int kh = 0; kh < h.kernel; kh++)
            for (int kw = 0; kw < c.kernel; kw++) {
                long col = (long) kw * c.dilation;
                taps.add(new BlockedKernels.Vec(kh * c.kernel + kw,
                        (long) kh * h.dilation * rowSize + (col % c.stride) * phaseLen + col / c.stride));
            }
        for (int p = 0; p < c.stride; p++) {
            long first = Math.floorMod(p - c.padBegin, c.stride);
            if (first >= c.in) continue;
            long count = (c.in - first + c.stride - 1) / c.stride;
            copies.add(new Phase(first, p * phaseLen + (first + c.padBegin) / c.stride, count));
        }
        long evenDest = -1, oddDest = -1;
        for (Phase ph : copies) {
            if (ph.first == 0) evenDest = ph.at;
            if (ph.first == 1) oddDest = ph.at;
        }
        // why: two loads and two shuffles move a vector to each phase; GCC's own vectorised strided copy is as good
        // where one block and a scalar tail would do the row (MobileNet-v2's 56 columns: 101 -> 112 us measured, its
        // 112 columns 258 -> 236 us)
        long blocks = c.stride == 2 && evenDest >= 0 && oddDest >= 0 ? c.in / (2L * lanes) : 0;
        this.pairBlocks = blocks >= 2 ? blocks : 0;
        this.deinterleave = pairBlocks > 0;
        this.pairFloats = pairBlocks * lanes;
        this.pairStep = 2L * lanes;
        this.evenAt = evenDest;
        this.oddAt = oddDest;
        this.evenLanes = everyOtherLane(lanes, 0);
        this.oddLanes = everyOtherLane(lanes, 1);
        long vectors = outRound / lanes;
        this.grouped = vectors <= GROUP_ACCS;
        long g = 1;
        // why: whole groups in every full block (a divisor of its rows); only a short last block has single rows
        for (long d = 2; grouped && d * vectors <= ROWS_ACCS && d <= rowsPer; d++) if (rowsPer % d == 0) g = d;
        this.rowGroup = g;
        this.hasRowGroups = g > 1;
        this.group = grouped && g > 1 ? new Block(this, g, vectors) : null;
        this.single = grouped ? new Block(this, 1, vectors) : null;
    }

    /**
     * The shuffle indices that pick every other lane of two concatenated vectors of {@code lanes} floats, from lane
     * {@code first} ({@code 0, 2, 4, ...} or {@code 1, 3, 5, ...}).
     */
    static String everyOtherLane(int lanes, int first) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lanes; i++) b.append(i == 0 ? "" : ", ").append(2 * i + first);
        return b.toString();
    }

    /**
     * The padded-row path for a depthwise window computed {@code rowsPer} output rows at a time on a target with
     * {@code vectorBytes} bytes per vector, then activation {@code act}, or null where it does not apply.
     */
    static DepthwiseRows choose(NnKernels.Window w, int vectorBytes, long rowsPer, Activation act) {
        int lanes = vectorBytes / 4;
        // why: the buffer exists to feed vectors; scalar FPUs keep the tables (and their arena its size)
        if (lanes < 2) return null;
        // why: written for 1-d and 2-d windows (the depth axis a single tap)
        if (w.d.in != 1 || w.d.out != 1 || w.d.kernel != 1) return null;
        return new DepthwiseRows(w, lanes, rowsPer, act);
    }
}
