package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ops.ConvGeometry;
import dev.kiln.quant.FixedPoint;
import java.util.ArrayList;
import java.util.List;

/**
 * Cortex-M DSP pieces of the int8 kernels beside {@link Int8Kernels}: the depthwise kernel that computes two
 * neighbouring outputs of a row at once from one zero-padded plane of 16-bit pairs ({@link DwPairs}), and the
 * proof that lets a kernel requantize with one {@code SMMLA} and one shift ({@link #floorRequant}).
 */
public final class Int8PairKernels {
    private Int8PairKernels() {}

    /**
     * The two-output depthwise kernel's view of a 2-D (or 1-D) depthwise convolution with horizontal dilation 1.
     * Each input plane minus its zero point is copied into a zero-bordered plane of {@code rows x cols} 16-bit
     * values read as 32-bit words (cols even, so every row starts on a word and element {@code 2j, 2j + 1} is word
     * j). Outputs {@code 2p} and {@code 2p + 1} of a row start at words {@code p * sw} (lane 0 always on an even
     * element): each lane's taps are SMLADs on whole words against weight pairs, or SMLA&lt;x&gt;&lt;y&gt; on one half; the
     * two lanes share the loaded words, and a weight register serves both lanes (a pair's halves are single taps too).
     */
    public static final class DwPairs {
        /** Padded plane rows, columns (even), words, and its word-pair columns ({@code cols / 2}). */
        public final long rows, cols, words, rowWords;
        /** Input height and width; output rows and columns; output pairs per row, and whether one output is left. */
        public final long inH, inW, outH, outW, pairs;
        public final boolean oddTail;
        /** Words between two output rows ({@code sh * rowWords}) and two output pairs ({@code sw}). */
        public final long rowStep, pairStep;
        /** The copy: word of the first input row's first whole word, input column of its first element. */
        public final long firstWord, firstCol;
        /** The copy: whether a lone first element goes into the top half of the word before (left pad odd). */
        public final boolean leadHalf;
        /** The copy: whole words per row, the even part done four bytes at a time, one word left, one element left. */
        public final long rowPairs, quadWords;
        public final boolean quads, oneWord, tailHalf;
        /** The last word and element indexes of the copy's leftovers (relative to the row's first whole word / first col). */
        public final long oneWordIndex, oneWordCol, tailIndex, tailCol;
        /** The copy's {@code -zx} in both halves and extend-and-add intrinsic. */
        public String zxPair, xtab;
        /** Weight registers ({@code wr<index>}: tap {@code weight} low, {@code next} high or absent). */
        public final List<Int8Kernels.Tap> regs = new ArrayList<>();
        /** Lane 0's and lane 1's multiply-accumulates. */
        public final List<Op> lane0 = new ArrayList<>(), lane1 = new ArrayList<>();
        /** The words both lanes read ({@code x<var>}), and those lane 0 alone reads (the lone last output of a row). */
        public final List<Load> loads = new ArrayList<>(), loads0 = new ArrayList<>();
        /** Lane 0's multiply-accumulates over {@link #loads0}'s variables. */
        public final List<Op> tail = new ArrayList<>();

        DwPairs(long rows, long cols, long inH, long inW, long outH, long outW, long rowStep, long pairStep, long top, long left) {
            this.rows = rows;
            this.cols = cols;
            this.words = rows * cols / 2;
            this.rowWords = cols / 2;
            this.inH = inH;
            this.inW = inW;
            this.outH = outH;
            this.outW = outW;
            this.pairs = outW / 2;
            this.oddTail = outW % 2 == 1;
            this.rowStep = rowStep;
            this.pairStep = pairStep;
            this.leadHalf = left % 2 == 1;
            this.firstCol = leadHalf ? 1 : 0;
            this.firstWord = top * rowWords + (left + 1) / 2;
            long rest = inW - firstCol;
            this.rowPairs = rest / 2;
            this.quadWords = rowPairs & ~1L;
            this.quads = quadWords > 0;
            this.oneWord = rowPairs % 2 == 1;
            this.oneWordIndex = rowPairs - 1;
            this.oneWordCol = 2 * (rowPairs - 1);
            this.tailHalf = rest % 2 == 1;
            this.tailIndex = rowPairs;
            this.tailCol = 2 * rowPairs;
        }
    }

    /** One multiply-accumulate of a lane: {@code a = <fn>(x<var>, wr<reg>, a)}, fn an ACLE SMLAD or SMLA&lt;x&gt;&lt;y&gt;. */
    public static final class Op {
        public final String fn;
        public final long word;
        public final int reg;
        /** The variable holding the word (set once the loads are laid out). */
        public int var;

        Op(String fn, long word, int reg) {
            this.fn = fn;
            this.word = word;
            this.reg = reg;
        }
    }

    /**
     * A load of word {@code word} into {@code x<var>} or, {@code pair}, of words {@code word, word + 1} into
     * {@code x<var>, x<nextVar>} by one LDRD at byte {@code offset}.
     */
    public static final class Load {
        public final long word, offset, next;
        public final int var, nextVar;
        public final boolean pair;

        Load(long word, int var, boolean pair) {
            this.word = word;
            this.offset = 4 * word;
            this.var = var;
            this.next = word + 1;
            this.nextVar = var + 1;
            this.pair = pair;
        }
    }

    /** The LDRD/LDR loads of the words {@code ops} read, numbering each word's variable into the ops. */
    private static void layLoads(List<Load> loads, List<List<Op>> lanes) {
        java.util.TreeSet<Long> words = new java.util.TreeSet<>();
        for (List<Op> ops : lanes) for (Op o : ops) words.add(o.word);
        java.util.Map<Long, Integer> var = new java.util.HashMap<>();
        Long w = words.isEmpty() ? null : words.first();
        while (w != null) {
            // why: LDRD's offset is an 8-bit word count
            boolean pair = words.contains(w + 1) && 4 * (w + 1) <= 1020;
            var.put(w, var.size());
            if (pair) var.put(w + 1, var.size());
            loads.add(new Load(w, var.get(w), pair));
            w = words.higher(pair ? w + 1 : w);
        }
        for (List<Op> ops : lanes) for (Op o : ops) o.var = var.get(o.word);
    }

    /** Most weight registers the two lanes may hold (more would spill in the inner loop). */
    private static final int MAX_REGS = 8;

    /** The two-output depthwise kernel's plane for {@code n}, or null where it does not apply. */
    static DwPairs dwPairs(Node n, NnKernels.Window w) {
        ConvGeometry g = ConvGeometry.forConv(n.attrs(), n.input(0).shape(), n.input(1).shape());
        // why: written for planes (1-D convs are planes of one row) whose row taps are adjacent elements
        if (g.rank() > 2 || w.d.kernel != 1 || g.dilations[g.rank() - 1] != 1) return null;
        int r = g.rank();
        int inH = r == 2 ? g.in[0] : 1, kh = r == 2 ? g.kernel[0] : 1, sh = r == 2 ? g.strides[0] : 1, dh = r == 2 ? g.dilations[0] : 1;
        int top = r == 2 ? g.padsBegin[0] : 0, outH = r == 2 ? g.out[0] : 1;
        int inW = g.in[r - 1], kw = g.kernel[r - 1], sw = g.strides[r - 1], left = g.padsBegin[r - 1], outW = g.out[r - 1];
        // why: two outputs a turn only pay where rows hold at least two
        if (outW < 2) return null;
        long rows = Math.max(top + inH, (long) (outH - 1) * sh + (long) (kh - 1) * dh + 1);
        long cols = Math.max(left + inW, (long) (outW - 1) * sw + kw);
        cols = (cols + 1) & ~1L;
        long rowWords = cols / 2;
        DwPairs p = new DwPairs(rows, cols, inH, inW, outH, outW, sh * rowWords, sw, top, left);
        // weight registers: pairs (k, k+1) where a lane starts a pair on an even element; singles ride in a pair
        // register when one holds them, else two to a register
        boolean[] pairAt = new boolean[kw];
        for (int lane = 0; lane < 2; lane++) {
            int s = lane * sw;
            for (int k = 0; k < kw; ) {
                if ((s + k) % 2 == 0 && k + 1 < kw) {
                    pairAt[k] = true;
                    k += 2;
                } else k++;
            }
        }
        for (int i = 0; i < kh; i++) {
            int[] pairReg = new int[kw];
            java.util.Arrays.fill(pairReg, -1);
            for (int k = 0; k < kw; k++)
                if (pairAt[k]) {
                    pairReg[k] = p.regs.size();
                    p.regs.add(new Int8Kernels.Tap(p.regs.size(), (long) i * kw + k, (long) i * kw + k + 1, 0));
                }
            // single taps not held by a pair register: two to a register
            int[] singleReg = new int[kw];
            boolean[] singleTop = new boolean[kw];
            java.util.Arrays.fill(singleReg, -1);
            int open = -1;
            for (int lane = 0; lane < 2; lane++) {
                int s = lane * sw;
                for (int k = 0; k < kw; ) {
                    if ((s + k) % 2 == 0 && k + 1 < kw) {
                        k += 2;
                        continue;
                    }
                    boolean held = pairReg[k] >= 0 || k > 0 && pairReg[k - 1] >= 0;
                    if (!held && singleReg[k] < 0) {
                        if (open >= 0) {
                            Int8Kernels.Tap t = p.regs.get(open);
                            p.regs.set(open, new Int8Kernels.Tap(open, t.weight, (long) i * kw + k, 0));
                            singleReg[k] = open;
                            singleTop[k] = true;
                            open = -1;
                        } else {
                            open = p.regs.size();
                            singleReg[k] = open;
                            p.regs.add(new Int8Kernels.Tap(open, (long) i * kw + k, -1, 0));
                        }
                    }
                    k++;
                }
            }
            long rowWord = (long) i * dh * rowWords;
            for (int lane = 0; lane < 2; lane++) {
                int s = lane * sw;
                List<Op> ops = lane == 0 ? p.lane0 : p.lane1;
                for (int k = 0; k < kw; ) {
                    int e = s + k;
                    long word = rowWord + e / 2;
                    if (e % 2 == 0 && k + 1 < kw) {
                        ops.add(new Op("__smlad", word, pairReg[k]));
                        k += 2;
                        continue;
                    }
                    String x = e % 2 == 1 ? "t" : "b";
                    if (pairReg[k] >= 0) ops.add(new Op("__smla" + x + "b", word, pairReg[k]));
                    else if (k > 0 && pairReg[k - 1] >= 0) ops.add(new Op("__smla" + x + "t", word, pairReg[k - 1]));
                    else ops.add(new Op("__smla" + x + (singleTop[k] ? "t" : "b"), word, singleReg[k]));
                    k++;
                }
            }
        }
        // why: past a few weight registers the inner loop spills; the one-output plane kernel does those
        if (p.regs.size() > MAX_REGS) return null;
        List<Op> tail = new ArrayList<>();
        for (Op o : p.lane0) tail.add(new Op(o.fn, o.word, o.reg));
        layLoads(p.loads0, List.of(tail));
        p.tail.addAll(tail);
        layLoads(p.loads, List.of(p.lane0, p.lane1));
        long xz = Int8Kernels.zeroPoint(n.input(0));
        p.zxPair = ((-xz) & 0xFFFFL) * 0x10001L + "u";
        p.xtab = n.input(0).dtype() == DType.U8 ? "__uxtab16" : "__sxtab16";
        return p;
    }

    /**
     * Whether the channels of a kernel may requantize as {@code (SMMLA(acc, m, c) >> h)} with {@code h = -1 - shift}
     * and {@code c = 2^(h-1) + zy * 2^h}: that is floor((acc m + 2^(R-1) + zy 2^R) / 2^R) with R = 31 - shift, which
     * is the exact round-half-away {@link FixedPoint} result plus zy unless a negative accumulator lands on a tie.
     * A tie needs {@code acc m = 2^(R-1) mod 2^R}, so 2-adic valuations {@code v(acc) = R - 1 - v(m)}; an accumulator
     * of magnitude under {@code 2^(R-1-v(m))} has none. This bounds each channel's accumulator from its constant
     * weights and bias and the input's range, and also checks that c and the high word cannot overflow.
     *
     * With a left shift L ({@link Int8Kernels.Requant#leftShift}) the accumulator is {@code acc * 2^L} and the
     * multipliers' shifts are already lowered by L: the bound scales by 2^L, the tie condition is the same.
     *
     * @param w the weights, {@code channels} rows of {@code perChannel} values (any layout of a row)
     * @param bias the bias constant, or null when there is none; a computed bias gives false
     */
    static boolean floorRequant(FixedPoint.Multiplier[] m, NdArray w, long perChannel, Node n, NdArray bias, boolean hasBias, long zy,
            long leftShift) {
        long[] bound = accumulatorBounds(w, perChannel, n, bias, hasBias);
        if (bound == null) return false;
        for (int c = 0; c < bound.length; c++) {
            FixedPoint.Multiplier mc = m[m.length == 1 ? 0 : c];
            int shift = mc.shift();
            // why: SMMLA rounds nothing, so the rounding constant must be whole high words (R >= 33)
            if (mc.multiplier() < 0 || shift > -2 || shift < -31) return false;
            long sum = bound[c] << leftShift;
            int r = 31 - shift, h = -1 - shift;
            if (mc.multiplier() != 0) {
                int limit = r - 1 - Integer.numberOfTrailingZeros(mc.multiplier());
                if (limit < 62 && sum >= (1L << limit)) return false;
            }
            // the high word of acc m is at most sum / 2 + 1 in magnitude (m < 2^31); c + it must stay an int32
            long cMax = (1L << (h - 1)) + Math.abs(zy) * (1L << h);
            if (cMax + sum / 2 + 2 >= (1L << 31)) return false;
        }
        return true;
    }

    /**
     * The largest magnitude of each output channel's accumulator {@code bias + sum (x - zx) w}: |bias| plus the
     * channel's sum of |w| times the input's largest |x - zx|; null when the weights or the bias are not constants.
     */
    static long[] accumulatorBounds(NdArray w, long perChannel, Node n, NdArray bias, boolean hasBias) {
        if (w == null || hasBias && bias == null) return null;
        long xz = Int8Kernels.zeroPoint(n.input(0));
        DType xt = n.input(0).dtype();
        long xMax = Math.max(Math.abs(xt.minValue() - xz), Math.abs(xt.maxValue() - xz));
        long[] bound = new long[(int) (w.size() / perChannel)];
        for (int c = 0; c < bound.length; c++) {
            long sum = hasBias ? Math.abs(bias.getLong(c)) : 0;
            for (long j = 0; j < perChannel; j++) sum += Math.abs(w.getLong((int) (c * perChannel + j))) * xMax;
            bound[c] = sum;
        }
        return bound;
    }
}
