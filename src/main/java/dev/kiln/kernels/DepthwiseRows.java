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
    /** Output columns of a row, rounded up to whole vectors; the columns in whole vectors; the last part vector's bytes. */
    public final long outRound, fullEnd, partialBytes;
    /** Whether a row has whole vectors, and a part vector. */
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
