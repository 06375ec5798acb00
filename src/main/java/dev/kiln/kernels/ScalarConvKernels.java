package dev.kiln.kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * The float convolution of scalar FPUs (Cortex-M4F/M7, RV32F): a spatial conv computed directly, without gathered
 * columns or any scratch, in register blocks of {@link #ROWS} output channels by up to {@link #COLS} adjacent output
 * columns of one row (templates/c/ops/nn.stg, {@code nn_conv_rows}).
 *
 * <p>Per input channel and kernel row, the input values the block's windows read on that row are loaded into
 * registers once (zeros where the row's padding is, in the edge blocks only), and each tap's {@link #ROWS} weights
 * (packed {@code [q][r]} as {@link BlockedKernels#pack} stores them) meet every column of the block: 16 FMAs for 4
 * weight loads. Kernel rows in the padding are skipped by the row's tap range.
 */
public final class ScalarConvKernels {
    private ScalarConvKernels() {}

    /** Output channels per block and the most output columns per block (16 accumulators of 32 registers). */
    static final int ROWS = 4, COLS = 4;
    /** The widest kernel row whose inputs stay in registers beside the accumulators. */
    private static final int MAX_KW = 3;

    /** One accumulator: output channel {@code r} of the block, column {@code t}. */
    public static final class Acc {
        public final int r, t;

        Acc(int r, int t) {
            this.r = r;
            this.t = t;
        }
    }

    /** One product of a tap: accumulator (r, t) += weight r times input value {@code j} of the row. */
    public static final class Fma {
        public final int r, t, j;

        Fma(int r, int t, int j) {
            this.r = r;
            this.t = t;
            this.j = j;
        }
    }

    /** One tap of a kernel row: its weights' offset in the row's packed weights and its products. */
    public static final class Tap {
        public final int kw;
        public final List<Integer> rows = new ArrayList<>();
        public final List<Fma> fmas = new ArrayList<>();

        Tap(int kw) { this.kw = kw; }
    }

    /** The model of {@code nn_conv_rows}. */
    public static final class Rows {
        /** Output channels per block, output columns per block, input values a kernel row of the block reads. */
        public final int rows, cols, span;
        /** The row's input values (of 0..span-1, those some product reads), the accumulators, the taps of a kernel row. */
        public final List<Integer> xs = new ArrayList<>();
        public final List<Acc> accs = new ArrayList<>();
        public final List<Tap> taps = new ArrayList<>();
        /** Weights per kernel row of a block ({@code kw * rows}) and per input channel ({@code kh * kw * rows}). */
        public final long rowWeights, channelWeights;

        Rows(int rows, int cols, int kh, int kw, int stride) {
            this.rows = rows;
            this.cols = cols;
            this.span = (cols - 1) * stride + kw;
            // why: with a stride wider than the window some row values feed no product (and would be unused variables)
            for (int j = 0; j < span; j++) if (j % stride < kw || j >= (cols - 1) * stride) xs.add(j);
            for (int r = 0; r < rows; r++)
                for (int t = 0; t < cols; t++) accs.add(new Acc(r, t));
            for (int q = 0; q < kw; q++) {
                Tap tap = new Tap(q);
                for (int r = 0; r < rows; r++) tap.rows.add(r);
                for (int r = 0; r < rows; r++)
                    for (int t = 0; t < cols; t++) tap.fmas.add(new Fma(r, t, t * stride + q));
                taps.add(tap);
            }
            this.rowWeights = (long) kw * rows;
            this.channelWeights = (long) kh * kw * rows;
        }
    }

    /**
     * The row-blocked model for {@code m} on a scalar-FPU target, or null where it does not apply: a 2-d (or 1-d)
     * conv of one group with dilation 1, at most {@link #MAX_KW} taps a row, output channels a multiple of
     * {@link #ROWS}, and a window of more than one tap (1×1 convs take the blocked product).
     */
    static Rows choose(NnKernels.Window m) {
        // why: the block loads one input row segment per kernel row: 2-d windows without dilation
        if (m.d.in != 1 || m.d.out != 1 || m.d.kernel != 1 || m.h.dilation != 1 || m.w.dilation != 1) return null;
        // why: the weights of a block are packed for whole blocks of channels of one group
        if (m.groups != 1 || m.outChannels % ROWS != 0) return null;
        // why: the row's input values stay in registers beside the 16 accumulators only for narrow windows
        if (m.w.kernel > MAX_KW || m.taps < 2) return null;
        int cols = 1;
        for (int c : new int[] {COLS, 3, 2}) {
            if (m.w.out % c == 0) {
                cols = c;
                break;
            }
        }
        // why: wide strides load more row values than registers hold beside the accumulators
        if ((cols - 1) * m.w.stride + m.w.kernel > 9) return null;
        return new Rows(ROWS, cols, m.h.kernel, m.w.kernel, m.w.stride);
    }
}
