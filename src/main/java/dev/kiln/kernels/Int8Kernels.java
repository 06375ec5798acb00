package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.ConvGeometry;
import dev.kiln.ops.Qadd;
import dev.kiln.ops.QaveragePool;
import dev.kiln.ops.Qconv;
import dev.kiln.ops.Qmatmul;
import dev.kiln.ops.QuantAttrs;
import dev.kiln.ops.Qsoftmax;
import dev.kiln.ops.Requantize;
import dev.kiln.quant.FixedPoint;
import java.util.ArrayList;
import java.util.List;

/**
 * C kernel lowerings of Kiln's integer ops (templates in {@code templates/c/ops/int8.stg}): one public static method
 * per op (see Lowerings). The arithmetic is int32 accumulation and fixed-point requantization through the
 * runtime's {@code kiln_requantize_q31} and {@code kiln_add_zp_clamp}, twins of {@link FixedPoint}; every
 * multiplier, shift, zero point, clamp and table comes from the op's own Java (the numbers its {@code evaluate}
 * uses), so the C gives the interpreter's int8 outputs byte for byte and contains no float.
 *
 * <p>On targets whose descriptor says {@code dsp=true}, convolutions with several input channels per group and
 * matrix products take a SIMD path: the input window (or row), minus its zero point, is gathered into 16-bit
 * scratch and multiplied with four weights at a time by two ACLE {@code __smlad} on sign-extended pairs
 * ({@code __sxtb16}); the weights are packed at compile time so that the pairs line up (see {@link #packGroups}).
 * Integer sums do not depend on their order, so both paths give the same bytes. Faster still, where the
 * requantization shifts allow the branch-free {@code kiln_requantize_q31_r32}: one-group convolutions whose windows
 * are whole weight quads take the blocked kernel ({@link QConvModel#blocked}: {@link #BLOCK} positions share each
 * extended weight quad), and 1-D/2-D depthwise ones the kernel over a zero-padded 16-bit plane ({@link PaddedPlane}).
 */
public final class Int8Kernels {
    /** Output positions per block of the blocked DSP convolution (accumulators held in registers at once). */
    static final int BLOCK = 6;

    private Int8Kernels() {}

    /**
     * Per-channel requantization: multipliers and shifts as literals or tables, output zero point and clamp. Compact
     * multipliers ({@link FixedPoint#compact}) whose shifts span at most 31 are stored packed, 16 bits per channel
     * ({@link FixedPoint#pack}) above a base shift literal; others as an int32 multiplier and a shift table.
     */
    public static final class Requant {
        /** Whether the multiplier differs per output channel (then read the tables). */
        public final boolean perChannel;
        /** Per channel: whether the table is packed ({@code rq_p[c]} with {@link #base}), else {@code rq_m[c]}, {@code rq_s[c]}. */
        public final boolean packed;
        /** The single multiplier and shift (per tensor), as literals. */
        public final String mult, shift;
        /** The per-channel tables' values (empty per tensor), as literals, and the C type of the shift table. */
        public final List<String> mults = new ArrayList<>(), shifts = new ArrayList<>();
        public final String shiftType;
        /** Packed: the 16-bit words and the base shift. */
        public final List<String> words = new ArrayList<>();
        public final long base;
        /** Output zero point and clamp bounds (the fused activation as a range of the quantized output). */
        public final long zp, lo, hi;
        /** Whether every multiplier is >= 0 and every shift in [-31, -1] ({@code kiln_requantize_q31_r32} applies). */
        public final boolean fastShifts;
        /** Whether the clamp is the whole int8 range (one {@code __ssat} on DSP targets). */
        public final boolean fullRange;
        /** Whether a DSP kernel may requantize by SMMLA and one shift ({@link Int8PairKernels#floorRequant}). */
        public boolean floor;
        /**
         * Bits the fast kernels shift the accumulator left before requantizing ({@link #leftShifted}); the tables'
         * shifts are already lowered by as many. 0 for every other requantization.
         */
        public final long leftShift;
        /** Whether {@link #leftShift} is not 0, and the accumulator's factor {@code 2^leftShift} as a literal. */
        public final boolean shifted;
        public final String scale;
        /** The multipliers the tables hold (per channel, or one). */
        final FixedPoint.Multiplier[] multipliers;

        Requant(FixedPoint.Multiplier[] m, long zp, long lo, long hi) {
            this(m, zp, lo, hi, 0);
        }

        Requant(FixedPoint.Multiplier[] m, long zp, long lo, long hi, long leftShift) {
            this.multipliers = m;
            this.leftShift = leftShift;
            this.shifted = leftShift != 0;
            this.scale = Long.toString(1L << leftShift);
            boolean same = true;
            for (FixedPoint.Multiplier x : m) same &= x.equals(m[0]);
            perChannel = !same;
            mult = Integer.toString(m[0].multiplier());
            shift = Integer.toString(m[0].shift());
            int minShift = 0, maxShift = 0;
            int lowest = Integer.MAX_VALUE, highest = Integer.MIN_VALUE;
            boolean compact = true;
            for (FixedPoint.Multiplier x : m) {
                minShift = Math.min(minShift, x.shift());
                maxShift = Math.max(maxShift, x.shift());
                compact &= FixedPoint.isCompact(x);
                // why: a zero multiplier packs as 0 whatever the base, so it does not widen the span
                if (x.multiplier() != 0) {
                    lowest = Math.min(lowest, x.shift());
                    highest = Math.max(highest, x.shift());
                }
            }
            base = lowest == Integer.MAX_VALUE ? 0 : lowest;
            packed = perChannel && compact && highest - lowest < (1 << FixedPoint.PACKED_SHIFT_BITS);
            shiftType = minShift >= Byte.MIN_VALUE && maxShift <= Byte.MAX_VALUE ? "int8_t" : "int32_t";
            if (packed) for (FixedPoint.Multiplier x : m) words.add(FixedPoint.pack(x, (int) base) + "u");
            else if (perChannel) for (FixedPoint.Multiplier x : m) {
                mults.add(Integer.toString(x.multiplier()));
                shifts.add(Integer.toString(x.shift()));
            }
            this.zp = zp;
            this.lo = lo;
            this.hi = hi;
            this.fastShifts = rightShiftsOf32AndMore(m);
            this.fullRange = lo == -128 && hi == 127;
        }

        /** Bytes of the tables (0 per tensor). */
        long tableBytes() {
            if (packed) return 2L * words.size();
            return perChannel ? mults.size() * (4L + (shiftType.equals("int8_t") ? 1 : 4)) : 0;
        }
    }

    // ---------------------------------------------------------------- qconv

    /** The model of qconv: the float conv's window (tables of valid taps) plus the integer numbers. */
    public static final class QConvModel {
        /** The window: geometry, valid-tap tables, channels and groups (as for the float conv). */
        public final NnKernels.Window w;
        public final Requant rq;
        /** Input zero point (taps in the padding are skipped: they contribute x - zero point = 0). */
        public final long xz;
        /** Whether the bias is given. */
        public final boolean hasBias;
        /** The depthwise kernel applies (one input channel per group). */
        public final boolean depthwise;
        /** The DSP (SMLAD) path: gather each window into 16-bit scratch, dot it with packed weights. */
        public final boolean dsp;
        /** DSP: weights per output channel done four at a time, and whether single ones remain. */
        public final long n4;
        public final boolean hasQuads, hasTail;
        /** DSP: whether some window crosses the padding (then the scratch is cleared first). */
        public final boolean padded;
        /** Weight zero points per output channel when some is not 0 (imported models), else null. */
        public List<String> wz;
        /**
         * DSP, one group: the blocked kernel, four output positions at a time. Their windows go to 16-bit scratch
         * interleaved by four taps ({@code col[(j / 4) * 16 + i * 4 + j % 4]} for tap j of position i), so each
         * packed weight word, extended once, meets four positions: eight SMLADs per four weights.
         */
        public boolean blocked;
        /** Blocked: a 1x1 kernel with stride 1 and no pads (position q of channel c is {@code x[c * plane + q]}). */
        public boolean pointwise;
        /**
         * Blocked: weight quads per output channel ({@code wPad / 4}: the window rounded up to whole quads, a partial
         * last quad padded with zero weights at compile time); whether they go two per loop turn.
         */
        public long quads, wPad;
        /** Blocked: col's 64-bit words (quads * block, where the window buffer win begins) and bytes (wPad * block * 2). */
        public long colWords, colBytes;
        /** Blocked with a partial last quad and no pads: the window's padding taps are cleared once, up front. */
        public boolean zeroTail;
        public boolean twoQuads;
        /** Blocked: output positions per block, their numbers ({@code lanes}) and those after the first ({@code later}). */
        public long block;
        public final List<Integer> lanes = new ArrayList<>(), later = new ArrayList<>();
        /** Blocked: each position's col word of the loop turn's first and second quad (index, word, byte offset from cp). */
        public final List<Lane> quad0 = new ArrayList<>(), quad1 = new ArrayList<>();
        /** Depthwise on DSP: the fast kernel over a zero-padded 16-bit copy of each input plane (see {@link PaddedPlane}). */
        public PaddedPlane plane;
        /** Depthwise: int4 weights read from their packed nibbles, once per channel ({@link Int4Kernels}). */
        public boolean nibbleTaps;
        /**
         * With a residual Z (named {@code w.z}): the qadd of each int8 result and Z's element, A being the conv's value,
         * B the residual (see {@link dev.kiln.ops.Qconv}); null without.
         */
        public QAddModel add;
        /** Depthwise on DSP: the two-output kernel (see {@link Int8PairKernels.DwPairs}), before {@link #plane}. */
        public Int8PairKernels.DwPairs dwPairs;

        QConvModel(NnKernels.Window w, Requant rq, long xz, boolean hasBias, boolean dsp, boolean padded) {
            this.w = w;
            this.rq = rq;
            this.xz = xz;
            this.hasBias = hasBias;
            this.depthwise = w.depthwise;
            this.dsp = dsp;
            this.n4 = w.wStride & ~3L;
            this.hasQuads = n4 > 0;
            this.hasTail = n4 < w.wStride;
            this.padded = padded;
        }
    }

    /** A position of the blocked kernel's block and where its col word lies: {@code cp[word]}, {@code offset} bytes from cp. */
    public static final class Lane {
        public final int index;
        public final long word, offset;

        Lane(int index, long word, long offset) {
            this.index = index;
            this.word = word;
            this.offset = offset;
        }
    }

    /**
     * The depthwise DSP kernel's view of a 2-D depthwise convolution: each input plane minus its zero point is copied
     * into a zero-bordered 16-bit plane of {@code rows x cols} (the padding becomes zeros, which add nothing), so
     * every output reads the same tap offsets without tap tables; horizontally adjacent taps are multiplied as
     * pairs by one SMLAD, the others one by one.
     */
    public static final class PaddedPlane {
        /** Padded plane size and elements, where the input's first element lands ({@code top * cols + left}), input height and width. */
        public final long rows, cols, size, origin, inH, inW;
        /** Output rows and columns, and the padded elements between two output rows and two output columns. */
        public final long outH, outW, rowStep, colStep;
        /** Tap pairs (two adjacent weights) and single taps, with their offsets in the padded plane. */
        public final List<Tap> pairs = new ArrayList<>(), singles = new ArrayList<>();
        /** The single taps' weights two to a register ({@code ws<index>}: {@code weight} low, {@code next} high or absent). */
        public final List<Tap> singleWords = new ArrayList<>();
        /** The copy: four input elements at a time up to {@code inW4} ({@code quads}: some), {@code -zx} in both halves, the extend-and-add intrinsic. */
        public long inW4;
        public boolean quads;
        public String zxPair, xtab;

        PaddedPlane(long rows, long cols, long origin, long inH, long inW, long outH, long outW, long rowStep, long colStep) {
            this.rows = rows;
            this.cols = cols;
            this.size = rows * cols;
            this.origin = origin;
            this.inH = inH;
            this.inW = inW;
            this.outH = outH;
            this.outW = outW;
            this.rowStep = rowStep;
            this.colStep = colStep;
        }
    }

    /** A tap (or a pair of adjacent taps) of the depthwise DSP kernel: its number, weight index (and the next one's) and offset. */
    public static final class Tap {
        public final int index;
        public final long weight, next, offset;
        /** Single taps: the register {@code ws<word>} holding the weight, in its high half ({@code top}) or low half. */
        public int word;
        public boolean top, hasNext;

        Tap(int index, long weight, long next, long offset) {
            this.index = index;
            this.weight = weight;
            this.next = next;
            this.offset = offset;
            this.hasNext = next >= 0;
        }
    }

    /** The depthwise DSP kernel's plane for {@code n}, or null where it does not apply (3-D, or a window row of one tap). */
    private static PaddedPlane paddedPlane(Node n, NnKernels.Window w) {
        ConvGeometry g = ConvGeometry.forConv(n.attrs(), n.input(0).shape(), n.input(1).shape());
        // why: the padded copy is written for planes (1-D convs are planes of one row; 3-D ones stay on the table kernel)
        if (g.rank() > 2 || w.d.kernel != 1) return null;
        int r = g.rank();
        int inH = r == 2 ? g.in[0] : 1, kh = r == 2 ? g.kernel[0] : 1, sh = r == 2 ? g.strides[0] : 1, dh = r == 2 ? g.dilations[0] : 1;
        int top = r == 2 ? g.padsBegin[0] : 0, outH = r == 2 ? g.out[0] : 1;
        int inW = g.in[r - 1], kw = g.kernel[r - 1], sw = g.strides[r - 1], dw = g.dilations[r - 1], left = g.padsBegin[r - 1], outW = g.out[r - 1];
        long rows = Math.max(top + inH, (long) (outH - 1) * sh + (long) (kh - 1) * dh + 1);
        long cols = Math.max(left + inW, (long) (outW - 1) * sw + (long) (kw - 1) * dw + 1);
        PaddedPlane p = new PaddedPlane(rows, cols, top * cols + left, inH, inW, outH, outW, sh * cols, sw);
        int pairs = 0, singles = 0;
        for (int i = 0; i < kh; i++) {
            int j = 0;
            // why: only horizontally adjacent taps (dilation 1) are adjacent 16-bit elements that one word load reads
            for (; dw == 1 && j + 1 < kw; j += 2) p.pairs.add(new Tap(pairs++, (long) i * kw + j, (long) i * kw + j + 1, i * dh * cols + j));
            for (; j < kw; j++) {
                Tap t = new Tap(singles, (long) i * kw + j, -1, i * dh * cols + (long) j * dw);
                t.word = singles / 2;
                t.top = singles % 2 == 1;
                if (t.top) {
                    Tap w0 = p.singleWords.get(t.word);
                    p.singleWords.set(t.word, new Tap(t.word, w0.weight, t.weight, 0));
                } else {
                    p.singleWords.add(new Tap(t.word, t.weight, -1, 0));
                }
                p.singles.add(t);
                singles++;
            }
        }
        p.inW4 = inW & ~3L;
        p.quads = p.inW4 > 0;
        long xz = zeroPoint(n.input(0));
        p.zxPair = ((-xz) & 0xFFFFL) * 0x10001L + "u";
        p.xtab = n.input(0).dtype() == DType.U8 ? "__uxtab16" : "__sxtab16";
        return p;
    }

    /**
     * The fast kernels' form of a requantization that {@code kiln_requantize_q31_r32} cannot take as it is because
     * some multiplier is 1/2 or more (shift >= 0; int4 weights' coarse scales give such layers): the accumulator is
     * multiplied by {@code 2^L} with L two more than the largest shift (one more where two would not fit), and every
     * shift lowered by L. That is exact:
     * {@code round(acc 2^L m / 2^(31 - shift + L)) = round(acc m / 2^(31 - shift))}, the interpreter's result, as long as
     * {@code acc 2^L} is an int32, which each channel's bound from the constant weights and bias
     * ({@link Int8PairKernels#accumulatorBounds}) proves. Zero multipliers take the lowest shift. Null where no such
     * L exists (a negative multiplier, shifts more than 30 apart, an accumulator too large, operands not constant).
     *
     * @param w the weights, {@code channels} rows of {@code perChannel} values (any layout of a row)
     */
    static Requant leftShifted(Node n, Requant base, NdArray w, long perChannel) {
        FixedPoint.Multiplier[] m = base.multipliers;
        Value b = n.input(2);
        long[] bound = Int8PairKernels.accumulatorBounds(w, perChannel, n, b == null ? null : b.constant(), b != null);
        if (bound == null) return null;
        int lowest = Integer.MAX_VALUE, highest = Integer.MIN_VALUE;
        for (FixedPoint.Multiplier x : m) {
            if (x.multiplier() < 0) return null;
            if (x.multiplier() == 0) continue;
            lowest = Math.min(lowest, x.shift());
            highest = Math.max(highest, x.shift());
        }
        if (lowest == Integer.MAX_VALUE) return null;
        // one bit more than needed where it fits: shifts of -2 and below let the SMMLA form apply (floorRequant)
        int left = -1;
        for (int l = Math.max(0, highest + 2); l >= Math.max(0, highest + 1) && left < 0; l--)
            if (lowest - l >= -31 && fits(bound, l)) left = l;
        if (left < 0) return null;
        FixedPoint.Multiplier[] lowered = new FixedPoint.Multiplier[m.length];
        for (int i = 0; i < m.length; i++)
            lowered[i] = new FixedPoint.Multiplier(m[i].multiplier(), (m[i].multiplier() == 0 ? lowest : m[i].shift()) - left);
        Requant rq = new Requant(lowered, base.zp, base.lo, base.hi, left);
        return rq.fastShifts ? rq : null;
    }

    /** Whether every bound times 2^left is an int32. */
    private static boolean fits(long[] bound, int left) {
        for (long b : bound) if (b > (Integer.MAX_VALUE >> left)) return false;
        return true;
    }

    /** Whether every multiplier is >= 0 with a shift in [-31, -1], so the DSP kernels may requantize with {@code kiln_requantize_q31_r32}. */
    static boolean rightShiftsOf32AndMore(FixedPoint.Multiplier[] m) {
        for (FixedPoint.Multiplier x : m) if (x.multiplier() < 0 || x.shift() > -1 || x.shift() < -31) return false;
        return true;
    }

    /**
     * qconv: {@code y = clamp(requantize(B[c] + sum (x - zx) * w) + zy, act_min, act_max)} per output channel c,
     * 1-D to 3-D, groups, strides, dilations, pads; a depthwise kernel for one input channel per group and, on DSP
     * targets, the SMLAD kernel for the others.
     */
    public static Object qconv(KernelModel k, Node n, Strategy t) {
        requireI8(n);
        NnKernels.Window w = (NnKernels.Window) NnKernels.conv(k, n, t);
        Requant rq = requant(n, Qconv.multipliers(n));
        long xz = zeroPoint(n.input(0));
        // why: without pads every window lies inside the input, so each scratch entry is written before it is read
        boolean padded = hasPad(n);
        List<String> wz = weightZeroPoints(n.input(1), w.outChannels);
        QAddModel add = n.input(3) == null ? null : new QAddModel(n.attrs().getInt(QuantAttrs.OUT_ZERO_POINT, 0), zeroPoint(n.input(3)),
                Qconv.sumMultipliers(n), n.attrs().getInt(Qconv.SUM_ZERO_POINT, 0), n.attrs().getInt(Qconv.SUM_ACT_MIN, -128), n.attrs().getInt(Qconv.SUM_ACT_MAX, 127));
        // why: the residual store is written for the kernels of convs that are not depthwise
        if (add != null && w.depthwise) throw new Unsupported("a depthwise qconv with a residual input has no kernel");
        if (t.hostInt8()) {
            Object host = HostInt8.qconv(k, n, w, wz, Qconv.multipliers(n), t, add);
            if (host != null) return host;
        }
        if (t.isa().contains("mve")) {
            Object mve = MveInt8.qconv(k, n, w, wz, Qconv.multipliers(n));
            if (mve != null) return mve;
        }
        // why: SMLAD multiplies raw weights; weights with zero points, shared or computed at run time stay portable
        // (an int4 weight is the widening cast of a packed constant: its layout passes through the cast)
        NdArray wData = PackedConstants.data(n.input(1));
        boolean packable = t.hasDsp() && wz == null && wData != null && n.input(1).uses().size() == 1;
        // why: a multiplier of 1/2 or more is beyond the fast kernels' requantization unless the accumulator shifts left
        Requant portable = rq;
        if (t.hasDsp() && wz == null && !rq.fastShifts) {
            Requant lifted = leftShifted(n, rq, wData, w.depthwise ? w.taps : w.wStride);
            if (lifted != null) rq = lifted;
        }
        // why: an int4 weight the blocked kernel reads as nibbles (Int4Kernels) is laid out afresh, so it may pad
        boolean nibbles = packable && Int4Kernels.readable(n, t, wData, 0);
        // why: the blocked kernel's requantization needs right shifts of 32 and more; windows of under 4 taps would be
        // mostly padding; a layout through an int4 weight's cast cannot pad, so there the window must be whole quads
        boolean blocked = packable && w.groups == 1 && w.wStride >= 4 && rq.fastShifts && (w.wStride % 4 == 0 || n.input(1).isConstant() || nibbles);
        long wPad = blocked ? (w.wStride + 3) & ~3L : w.wStride;
        boolean dsp = blocked || packable && !w.depthwise && w.wStride >= 4;
        PaddedPlane plane = t.hasDsp() && !dsp && w.depthwise && wz == null && rq.fastShifts ? paddedPlane(n, w) : null;
        Int8PairKernels.DwPairs dwPairs = plane != null ? Int8PairKernels.dwPairs(n, w) : null;
        if (dwPairs != null) {
            plane = null;
            rq.floor = Int8PairKernels.floorRequant(rq.multipliers, PackedConstants.data(n.input(1)), w.taps, n,
                    n.input(2) == null ? null : n.input(2).constant(), n.input(2) != null, rq.zp, rq.leftShift);
        }
        // why: the other kernels requantize with the unshifted multipliers
        if (!blocked && plane == null && dwPairs == null) rq = portable;
        // why: inlined into the run function, the SMLAD kernels' many live registers spill more
        k.outOfLine = dsp || plane != null || dwPairs != null;
        if (dsp) {
            k.systemHeaders.add("<arm_acle.h>");
            // blocked: the block's windows, plus one window gathered contiguously first (1x1 gathers directly)
            boolean pointwise = blocked && pointwise(w, padded);
            k.scratchBytes = (blocked ? BLOCK + (pointwise ? 0 : 1) : 1) * wPad * 2;
            k.packed.put(1, packGroups(wData, w.outChannels, w.wStride, wPad));
        }
        if (plane != null) {
            k.systemHeaders.add("<arm_acle.h>");
            k.scratchBytes = plane.size * 2;
        }
        if (dwPairs != null) {
            k.systemHeaders.add("<arm_acle.h>");
            k.scratchBytes = dwPairs.words * 4;
        }
        k.tableBytes += rq.tableBytes() + (wz == null ? 0 : 2L * wz.size());
        QConvModel m = new QConvModel(w, rq, xz, n.input(2) != null, dsp, padded);
        m.wz = wz;
        m.add = add;
        m.blocked = blocked;
        m.quads = wPad / 4;
        m.wPad = wPad;
        m.twoQuads = m.quads % 2 == 0;
        m.block = BLOCK;
        m.colWords = m.quads * BLOCK;
        m.colBytes = wPad * BLOCK * 2;
        for (int i = 0; i < BLOCK; i++) m.lanes.add(i);
        m.later.addAll(m.lanes.subList(1, BLOCK));
        for (int i = 0; i < BLOCK; i++) {
            m.quad0.add(new Lane(i, i, 8L * i));
            m.quad1.add(new Lane(i, BLOCK + i, 8L * (BLOCK + i)));
        }
        m.pointwise = blocked && pointwise(w, padded);
        if (blocked)
            rq.floor = Int8PairKernels.floorRequant(rq.multipliers, wData, w.wStride, n,
                    n.input(2) == null ? null : n.input(2).constant(), n.input(2) != null, rq.zp, rq.leftShift);
        m.zeroTail = blocked && !m.pointwise && !padded && wPad > w.wStride;
        m.plane = plane;
        m.dwPairs = dwPairs;
        // why: the plane kernel copies input plane c into scratch before it writes output plane c, which is no
        // larger, so the output's planes only cover input planes already copied
        if ((plane != null || dwPairs != null) && w.groupOut == 1) k.inPlaceInput = 0;
        // why: the 1x1 kernel gathers a block's positions of every channel before it writes those positions (and no
        // others), so output bytes a whole number of planes before or after the input's overwrite read positions only
        if (m.pointwise && w.batch == 1 && add == null) {
            k.inPlaceInput = 0;
            k.inPlaceAtTail = true;
        }
        if (nibbles && blocked) return Int4Kernels.blockedConv(k, m, wData);
        if (nibbles && w.depthwise && !blocked) Int4Kernels.depthwise(k, m);
        return m;
    }

    /** Whether the blocked kernel reads the input planes directly: 1x1, stride 1, no pads, whole quads of channels. */
    private static boolean pointwise(NnKernels.Window w, boolean padded) {
        return w.taps == 1 && !padded && w.d.stride == 1 && w.h.stride == 1 && w.w.stride == 1 && w.wStride % 4 == 0;
    }

    private static boolean hasPad(Node n) {
        if (!n.attrs().has("pads")) return false;
        for (long v : n.attrs().getInts("pads")) if (v != 0) return true;
        return false;
    }

    // ---------------------------------------------------------------- qmatmul

    /** The model of qmatmul: rows of X [.., K] times the constant W [K, N], plus bias, requantized per column. */
    public static final class QMatmulModel {
        public final long rows, k, n;
        public final long xz;
        public final Requant rq;
        public final boolean hasBias;
        /**
         * DSP path: W stored transposed as [N, K]; four bytes of X at a time become two pairs {@code (x0 - zx, x2 - zx)},
         * {@code (x1 - zx, x3 - zx)} by {@code __sxtab16} (u8 X: {@code __uxtab16}) against {@link #zxPair}, four
         * weights the matching pairs by {@code __sxtb16}; no scratch.
         */
        public final boolean dsp;
        public final long n4;
        public final boolean hasQuads, hasTail;
        /** DSP: {@code -zx} in both 16-bit halves, and the extend-and-add intrinsic for X's type. */
        public String zxPair, xtab;
        /** Weight zero points per column when some is not 0, else null. */
        public List<String> wz;

        QMatmulModel(long rows, long k, long n, long xz, Requant rq, boolean hasBias, boolean dsp) {
            this.rows = rows;
            this.k = k;
            this.n = n;
            this.xz = xz;
            this.rq = rq;
            this.hasBias = hasBias;
            this.dsp = dsp;
            this.n4 = k & ~3L;
            this.hasQuads = n4 > 0;
            this.hasTail = n4 < k;
        }
    }

    /** qmatmul: {@code y[r, j] = clamp(requantize(B[j] + sum_k (x[r, k] - zx) * W[k, j]) + zy, lo, hi)}. */
    public static Object qmatmul(KernelModel k, Node n, Strategy t) {
        requireI8(n);
        Shape xs = n.input(0).shape(), ws = n.input(1).shape();
        long kk = ws.dim(0), nn = ws.dim(1);
        long rows = xs.numel() / kk;
        Requant rq = requant(n, Qmatmul.multipliers(n));
        List<String> wz = weightZeroPoints(n.input(1), (int) nn);
        if (t.hostInt8()) {
            Object host = HostInt8.qmatmul(k, n, wz, Qmatmul.multipliers(n), t);
            if (host != null) return host;
        }
        // why: SMLAD multiplies raw weights; weights with zero points, shared or computed at run time stay portable
        NdArray wData = PackedConstants.data(n.input(1));
        boolean dsp = t.hasDsp() && wz == null && kk >= 4 && wData != null && n.input(1).uses().size() == 1;
        k.outOfLine = dsp;
        if (dsp) {
            k.systemHeaders.add("<arm_acle.h>");
            k.packed.put(1, transpose(wData, (int) kk, (int) nn));
        }
        k.tableBytes += rq.tableBytes() + (wz == null ? 0 : 2L * wz.size());
        QMatmulModel m = new QMatmulModel(rows, kk, nn, zeroPoint(n.input(0)), rq, n.input(2) != null, dsp);
        m.wz = wz;
        m.zxPair = ((-m.xz) & 0xFFFFL) * 0x10001L + "u";
        m.xtab = n.input(0).dtype() == DType.U8 ? "__uxtab16" : "__sxtab16";
        if (dsp && Int4Kernels.readable(n, t, wData, 1)) return Int4Kernels.matmul(k, m, wData);
        return m;
    }


    // ---------------------------------------------------------------- qadd, requantize

    /** The model of qadd: both operands rescaled onto a common scale, summed, requantized. */
    public static final class QAddModel {
        public final long za, zb, leftShift;
        /** Multiplier and shift of A, of B, and of the sum. */
        public final String ma, sa, mb, sb, mo, so;
        public final long zp, lo, hi;
        /**
         * The DSP kernels' branch-free forms apply: both operands' multipliers >= 0 with shifts in [-31, 0]
         * (kiln_rescale_q31_shl20), the sum's >= 0 with a shift in [-31, -1] (kiln_requantize_q31_r32).
         */
        public final boolean fast;
        /** Operand A's, B's multiplier is exactly 1/2 (the operand of the larger scale): its rescaling is {@code d * 2^19}, exact. */
        public final boolean halfA, halfB;

        QAddModel(long za, long zb, FixedPoint.Multiplier[] m, long zp, long lo, long hi) {
            this.halfA = m[0].multiplier() == 1 << 30 && m[0].shift() == 0;
            this.halfB = m[1].multiplier() == 1 << 30 && m[1].shift() == 0;
            boolean operands = true;
            for (int i = 0; i < 2; i++) operands &= m[i].multiplier() >= 0 && m[i].shift() <= 0 && m[i].shift() >= -31;
            this.fast = operands && rightShiftsOf32AndMore(new FixedPoint.Multiplier[] {m[2]});
            this.za = za;
            this.zb = zb;
            this.leftShift = 1L << Qadd.LEFT_SHIFT;
            ma = Integer.toString(m[0].multiplier());
            sa = Integer.toString(m[0].shift());
            mb = Integer.toString(m[1].multiplier());
            sb = Integer.toString(m[1].shift());
            mo = Integer.toString(m[2].multiplier());
            so = Integer.toString(m[2].shift());
            this.zp = zp;
            this.lo = lo;
            this.hi = hi;
        }
    }

    /** qadd: {@code clamp(rq((a - za) * 2^20, Ma) + rq((b - zb) * 2^20, Mb)) -> rq(sum, Mo) + zp}, broadcasting. */
    public static Object qadd(KernelModel k, Node n, Strategy t) {
        requireI8(n);
        return new QAddModel(zeroPoint(n.input(0)), zeroPoint(n.input(1)), Qadd.multipliers(n), n.attrs().getInt("out_zero_point", 0),
                n.attrs().getInt("act_min", -128), n.attrs().getInt("act_max", 127));
    }

    /** requantize: {@code clamp(rq(x - zx, M) + zp, lo, hi)}. */
    public static Object requantize(KernelModel k, Node n, Strategy t) {
        requireI8(n);
        FixedPoint.Multiplier m = Requantize.multiplier(n);
        Requant rq = requant(n, new FixedPoint.Multiplier[] {m});
        return new ElementModel(zeroPoint(n.input(0)), rq, null);
    }

    /** The model of qaffine: per channel weight, bias and requantization, the channel of element i being (i / inner) % channels. */
    public static final class QAffineModel {
        public final long xz, channels, inner;
        public final List<String> w = new ArrayList<>(), b = new ArrayList<>();
        public final Requant rq;

        QAffineModel(long xz, long channels, long inner, long[] w, long[] b, Requant rq) {
            this.xz = xz;
            this.channels = channels;
            this.inner = inner;
            for (long v : w) this.w.add(Long.toString(v));
            for (long v : b) this.b.add(Long.toString(v));
            this.rq = rq;
        }
    }

    /** qaffine: {@code clamp(rq((x - zx) * W[c] + B[c], M[c]) + zp, lo, hi)}. */
    public static Object qaffine(KernelModel k, Node n, Strategy t) {
        requireI8(n);
        dev.kiln.ir.Shape s = n.input(0).shape();
        return new QAffineModel(zeroPoint(n.input(0)), s.dim(1), s.prod(2, s.rank()), n.input(1).constant().longs(), n.input(2).constant().longs(),
                requant(n, dev.kiln.ops.Qaffine.multipliers(n.attrs())));
    }

    /** The model of an element-wise int8 kernel: the input zero point, the requantization, or a table. */
    public static final class ElementModel {
        public final long xz;
        public final Requant rq;
        /** qlookup: the 256 entries, indexed by {@code x - offset} (offset = the input type's minimum). */
        public final List<String> table;
        public final long offset;

        ElementModel(long xz, Requant rq, List<String> table) {
            this.xz = xz;
            this.rq = rq;
            this.table = table;
            this.offset = 0;
        }

        ElementModel(List<String> table, long offset, long lo, long hi) {
            this.xz = 0;
            this.rq = new Requant(new FixedPoint.Multiplier[] {FixedPoint.of(1)}, 0, lo, hi);
            this.table = table;
            this.offset = offset;
        }
    }

    /** qlookup: {@code clamp(table[x - min], act_min, act_max)}; the clamp is applied to the table here. */
    public static Object qlookup(KernelModel k, Node n, Strategy t) {
        requireI8(n);
        long[] tab = n.attrs().getInts("table");
        long lo = n.attrs().getInt("act_min", -128), hi = n.attrs().getInt("act_max", 127);
        List<String> v = new ArrayList<>();
        // why: clamping each entry once at compile time gives what clamping each looked-up value gives
        for (long e : tab) v.add(Long.toString(Math.max(lo, Math.min(hi, e))));
        k.tableBytes += tab.length;
        return new ElementModel(v, n.input(0).dtype().minValue(), lo, hi);
    }

    // ---------------------------------------------------------------- qaverage_pool

    /** The model of qaverage_pool: window sums of {@code x - zx}, then a rounded division or a requantization. */
    public static final class QPoolModel {
        /** The window (windowed pools), or null for a global pool over planes of {@link #plane} elements. */
        public final NnKernels.Window w;
        public final long planes, plane;
        public final long xz, zp, lo, hi;
        /** Whether the output keeps the input's scale (a rounded division by the count). */
        public final boolean same;
        /** Otherwise: multiplier and shift per window count (index = count), as table values or literals (global). */
        public final List<String> mults = new ArrayList<>(), shifts = new ArrayList<>();
        public String mult, shift;

        QPoolModel(NnKernels.Window w, long planes, long plane, long xz, boolean same, long zp, long lo, long hi) {
            this.w = w;
            this.planes = planes;
            this.plane = plane;
            this.xz = xz;
            this.same = same;
            this.zp = zp;
            this.lo = lo;
            this.hi = hi;
        }
    }

    /** qaverage_pool: windowed (counts with or without padding) or global. */
    public static Object qaveragePool(KernelModel k, Node n, Strategy t) {
        requireI8(n);
        Shape xs = n.input(0).shape();
        long planes = (long) xs.dim(0) * xs.dim(1);
        boolean global = n.attrs().getInt("global", 0) == 1;
        NnKernels.Window w = global ? null : (NnKernels.Window) NnKernels.averagePool(k, n, t);
        long plane = xs.numel() / Math.max(planes, 1);
        boolean same = QaveragePool.sameScale(n);
        QPoolModel m = new QPoolModel(w, planes, plane, zeroPoint(n.input(0)), same, n.attrs().getInt("out_zero_point", 0),
                n.attrs().getInt("act_min", -128), n.attrs().getInt("act_max", 127));
        if (!same) {
            double outScale = n.attrs().getFloat("out_scale");
            if (global) {
                FixedPoint.Multiplier f = QaveragePool.multiplier(n.input(0).type().quant(), outScale, (int) plane);
                m.mult = Integer.toString(f.multiplier());
                m.shift = Integer.toString(f.shift());
            } else {
                // why: a window holds at most taps positions (with padding counted: still at most taps)
                for (int c = 0; c <= w.taps; c++) {
                    FixedPoint.Multiplier f = c == 0 ? new FixedPoint.Multiplier(0, 0)
                            : QaveragePool.multiplier(n.input(0).type().quant(), outScale, c);
                    m.mults.add(Integer.toString(f.multiplier()));
                    m.shifts.add(Integer.toString(f.shift()));
                }
                k.tableBytes += 8L * m.mults.size();
            }
        }
        return m;
    }

    // ---------------------------------------------------------------- qsoftmax

    /** The model of qsoftmax: rows along the axis and the exponent coefficient of the fixed-point exp. */
    public static final class QSoftmaxModel {
        public final long outer, len, inner;
        /** Elements from one outer index to the next (len * inner). */
        public final long outerStride;
        /** {@code c ~= 2^16 s log2(e)}: {@code e = kiln_exp2_neg_q16(d * c)} ({@link Qsoftmax#exp}). */
        public final long coefficient;

        QSoftmaxModel(long outer, long len, long inner, long coefficient) {
            this.outer = outer;
            this.len = len;
            this.inner = inner;
            this.outerStride = len * inner;
            this.coefficient = coefficient;
        }
    }

    /** qsoftmax: per row, {@code min(127, (512 e + sum) / (2 sum) - 128)} with {@code e = 2^16 exp(-s (max - x))}. */
    public static Object qsoftmax(KernelModel k, Node n, Strategy t) {
        requireI8(n);
        Shape s = n.input(0).shape();
        int axis = s.axis((int) n.attrs().getInt("axis", -1));
        long len = s.dim(axis), inner = s.prod(axis + 1, s.rank());
        return new QSoftmaxModel(s.numel() / (len * inner), len, inner, Qsoftmax.expCoefficient(n));
    }

    // ---------------------------------------------------------------- shared

    /** Per-channel weight zero points of {@code w} as literals when some is not 0, else null. */
    private static List<String> weightZeroPoints(Value w, int channels) {
        dev.kiln.ir.QuantParams q = w.type().quant();
        if (q == null) throw new Unsupported("weight '" + w.name() + "' has no quantization parameters");
        boolean any = false;
        List<String> r = new ArrayList<>();
        for (int c = 0; c < channels; c++) {
            long z = q.zeroPoint(q.perChannel() ? c : 0);
            any |= z != 0;
            r.add(Long.toString(z));
        }
        return any ? r : null;
    }

    /** The output's requantization from the op's multipliers and its out/act attributes. */
    private static Requant requant(Node n, FixedPoint.Multiplier[] m) {
        long zp = n.attrs().getInt("out_zero_point", 0);
        long lo = n.attrs().getInt("act_min", -128), hi = n.attrs().getInt("act_max", 127);
        return new Requant(m, zp, lo, hi);
    }

    /** The per-tensor zero point of a quantized value. */
    static long zeroPoint(Value v) {
        if (v.type().quant() == null) throw new Unsupported("'" + v.name() + "' has no quantization parameters");
        return v.type().quant().zeroPoint(0);
    }

    /** Fails unless the node gives int8 from int8 or uint8 data with quantization parameters, none of it empty. */
    private static void requireI8(Node n) {
        DType in = n.input(0).dtype();
        if (in != DType.I8 && in != DType.U8 || n.output(0).dtype() != DType.I8)
            throw new Unsupported("the int8 C kernels take i8 or u8 data to i8 (got " + in + " -> " + n.output(0).dtype() + ")");
        for (Value v : n.inputs())
            if (v != null && v.shape().numel() == 0) throw new Unsupported("empty tensor '" + v.name() + "'");
    }

    /**
     * Reorders each row of {@code rows} x {@code cols} int8 values in groups of four {@code [w0, w1, w2, w3]} to
     * {@code [w0, w2, w1, w3]} (a last partial group stays), so that {@code __sxtb16(word)} gives the pair
     * (w0, w1) and {@code __sxtb16(word ror 8)} the pair (w2, w3), matching two consecutive 16-bit input pairs.
     * Rows are stored {@code padCols} apart ({@code padCols >= cols}), the weights past {@code cols} 0: a partial last
     * group then becomes a whole one.
     */
    static NdArray packGroups(NdArray a, long rows, long cols, long padCols) {
        long[] p = new long[(int) (rows * padCols)];
        for (long r = 0; r < rows; r++)
            for (long j = 0; j < cols; j++) p[(int) (r * padCols + j)] = a.getLong((int) (r * cols + j));
        long quads = padCols & ~3L;
        for (long r = 0; r < rows; r++) {
            for (long j = 0; j < quads; j += 4) {
                int b = (int) (r * padCols + j);
                long t = p[b + 1];
                p[b + 1] = p[b + 2];
                p[b + 2] = t;
            }
        }
        return NdArray.ofLongs(a.dtype(), padCols == cols ? a.shape() : Shape.of((int) rows, (int) padCols), p);
    }

    /** W [K, N] as [N, K] (same element count and shape object kept, for emission in place of W). */
    private static NdArray transpose(NdArray a, int k, int n) {
        long[] p = new long[a.size()];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < n; j++) p[j * k + i] = a.getLong(i * n + j);
        return NdArray.ofLongs(a.dtype(), a.shape(), p);
    }
}
