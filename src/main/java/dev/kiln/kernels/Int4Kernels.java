package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * The Cortex-M SMLAD kernels of {@link Int8Kernels} reading int4 weights as packed nibbles in flash (templates in
 * {@code templates/c/ops/int4.stg}), instead of a copy widened to int8 in the arena before the layer.
 *
 * <p>Eight weights are one 32-bit word, their nibbles arranged at compile time so that two ANDs and four
 * {@code __sxtb16} give the four sign-extended halfword pairs SMLAD multiplies: {@code h = w & 0xF0F0F0F0} holds the
 * high nibbles and {@code l = (w << 4) & 0xF0F0F0F0} the low ones, each in the top of its byte, so
 * {@code __sxtb16(h)}, {@code __sxtb16(h ror 8)}, {@code __sxtb16(l)} and {@code __sxtb16(l ror 8)} are the pairs, times 16.
 * The sums are then exactly 16 times the int8 kernels' (the lowering checks that 16 times the largest possible sum
 * fits in int32), and {@code bias + (acc >> 4)} is the int8 accumulator, byte for byte.
 *
 * <p>The weight's widening cast is dropped by the backend ({@link KernelModel#nibbleInputs}): the kernel reads the
 * packed constant itself, so the arena holds no unpacked weights.
 */
public final class Int4Kernels {
    /**
     * Element order of a word for the convolution kernels: stored nibble p holds source weight {@code CONV[p]} of the
     * 8 (quads A = 0..3 and B = 4..7, pairs (A0, A1), (A2, A3) from the high nibbles, (B0, B1), (B2, B3) from the low).
     */
    static final int[] CONV = {4, 0, 6, 2, 5, 1, 7, 3};
    /** Element order for the matrix product, whose input pairs are (x0, x2), (x1, x3), (x4, x6), (x5, x7). */
    static final int[] MATMUL = {4, 0, 5, 1, 6, 2, 7, 3};

    private Int4Kernels() {}

    /**
     * Whether the DSP kernels of {@code n} may read its weight (input 1) as packed nibbles: it is the widening of a
     * packed int4 constant, and 16 times the largest sum of products fits in int32 ({@code |x - zx| <= 255}).
     */
    static boolean readable(Node n, Strategy t, NdArray w, int channelAxis) {
        Value src = PackedConstants.source(n.input(1));
        if (!t.hasDsp() || src == null || src.dtype() != DType.I4 || w == null) return false;
        Shape s = w.shape();
        int channels = s.dim(channelAxis), inner = s.prod(channelAxis + 1, s.rank());
        long[] abs = new long[channels];
        for (int i = 0; i < w.size(); i++) abs[(i / inner) % channels] += Math.abs(w.getLong(i));
        long most = 0;
        for (long a : abs) most = Math.max(most, a);
        return 16L * 255L * most <= Integer.MAX_VALUE;
    }

    /** The blocked convolution reading nibbles: the int8 kernel's model and the weight words per output channel. */
    public static final class BlockedConv {
        /** The int8 blocked kernel's model (window, gather, lanes, requantization). */
        public final Int8Kernels.QConvModel c;
        /** Whole words (two quads each) per output channel, the byte offset of the last single quad's word, bytes per channel. */
        public final long words, lastWord, rowBytes;
        public final boolean oddQuad;

        BlockedConv(Int8Kernels.QConvModel c) {
            this.c = c;
            this.words = c.quads / 2;
            this.oddQuad = c.quads % 2 == 1;
            this.lastWord = 4 * words;
            this.rowBytes = 4 * ((c.quads + 1) / 2);
        }
    }

    /** The blocked DSP convolution over nibbles: lays the weights out as words (rows padded to whole words) and drops the cast. */
    static Object blockedConv(KernelModel k, Int8Kernels.QConvModel m, NdArray w) {
        k.packed.put(1, words(w, m.w.outChannels, m.w.wStride, m.wPad, CONV));
        k.nibbleInputs.add(1);
        k.template = "int4_conv_blocked";
        return new BlockedConv(m);
    }

    /** The depthwise kernels (DSP plane or portable) over nibbles: each channel's few taps unpacked once, in the constant's own order. */
    static void depthwise(KernelModel k, Int8Kernels.QConvModel m) {
        m.nibbleTaps = true;
        k.nibbleInputs.add(1);
        k.runtimeHeaders.add("kiln_types.h");
    }

    /** A weight of the matrix product's last partial word read one by one: its column and its nibble in the row. */
    public static final class Single {
        public final long col, nibble;

        Single(long col, long nibble) {
            this.col = col;
            this.nibble = nibble;
        }
    }

    /** The DSP matrix product over nibbles: the int8 kernel's model, whole words, a quad and single weights left. */
    public static final class Matmul {
        public final Int8Kernels.QMatmulModel c;
        /** Whole words per row, bytes per row, the column of the last quad and the byte offset of its word. */
        public final long words, rowBytes, quadAt, lastWord;
        public final boolean quad;
        public final List<Single> singles = new ArrayList<>();

        Matmul(Int8Kernels.QMatmulModel c) {
            this.c = c;
            long k = c.k;
            this.words = k / 8;
            this.quad = k % 8 >= 4;
            this.quadAt = 8 * words;
            this.lastWord = 4 * words;
            this.rowBytes = 4 * ((k + 7) / 8);
            int[] inverse = inverse(MATMUL);
            for (long i = 8 * words + (quad ? 4 : 0); i < k; i++) singles.add(new Single(i, 8 * words + inverse[(int) (i % 8)]));
        }
    }

    /** The DSP matrix product over nibbles: W [K, N] stored as N rows of K weights in words (MATMUL order). */
    static Object matmul(KernelModel k, Int8Kernels.QMatmulModel m, NdArray w) {
        int kk = (int) m.k, nn = (int) m.n;
        long[] t = new long[w.size()];
        for (int i = 0; i < kk; i++)
            for (int j = 0; j < nn; j++) t[j * kk + i] = w.getLong(i * nn + j);
        k.packed.put(1, words(NdArray.ofLongs(DType.I4, Shape.of(nn, kk), t), nn, kk, kk, MATMUL));
        k.nibbleInputs.add(1);
        k.template = "int4_matmul_dsp";
        k.runtimeHeaders.add("kiln_types.h");
        return new Matmul(m);
    }

    /**
     * {@code rows} rows of {@code cols} weights as int4 words: each row padded with zeros to {@code padCols}, then to
     * whole words of 8, each word's weights stored in {@code order} (stored nibble p = source weight order[p]).
     */
    static NdArray words(NdArray w, long rows, long cols, long padCols, int[] order) {
        long rowNibbles = (padCols + 7) & ~7L;
        long[] out = new long[(int) (rows * rowNibbles)];
        for (long r = 0; r < rows; r++)
            for (long g = 0; g < rowNibbles; g += 8)
                for (int p = 0; p < 8; p++) {
                    long j = g + order[p];
                    out[(int) (r * rowNibbles + g + p)] = j < cols ? w.getLong((int) (r * cols + j)) : 0;
                }
        return NdArray.ofLongs(DType.I4, Shape.of((int) rows, (int) rowNibbles), out);
    }

    private static int[] inverse(int[] order) {
        int[] inv = new int[order.length];
        for (int p = 0; p < order.length; p++) inv[order[p]] = p;
        return inv;
    }
}
