package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.ConvGeometry;
import dev.kiln.quant.FixedPoint;
import java.util.ArrayList;
import java.util.List;

/**
 * The Helium (MVE) forms of int8 1x1 and depthwise convolutions on Cortex-M55 (templates {@code mq_conv_pw} and
 * {@code mq_conv_dw} in
 * {@code templates/c/ops/int8.stg}), chosen by {@link Int8Kernels} when the target's {@code isa} lists {@code mve}:
 * each block of {@link #BLOCK} positions of the input is transposed into scratch (its channels padded to 16 with zeros), the
 * weights are packed at compile time as rows of the same padded length, and each output is a sum of
 * {@code vmladavaq_s8} dot products of 16 bytes, two output channels by two positions per step. The input zero point
 * is folded into the bias table ({@code bias - zx * sum w}); the requantization is the portable one, so the outputs
 * are the interpreter's byte for byte.
 */
public final class MveInt8 {
    /** Positions per transposed block: the scratch holds this many rows of the padded channels. */
    static final int BLOCK = 16;

    private MveInt8() {}

    /** The model of an MVE convolution with one group (1x1, or any window through a gather of each position's taps). */
    public static final class Pointwise extends HostInt8.Geometry {
        /** Output channels, taps per output (input channels times the window) and their count padded to 16, positions, positions per block, batch and per-image strides. */
        public long oc, c, cpad, np, pb, batch, inStride, outStride;
        /** Whether it is a 1x1 convolution with stride 1 and no pads (the block is a transposition); else the input channels and the zero point's raw byte (the padding's taps). */
        public boolean pointwise;
        public long cin, zpr;
        /** Per output channel: bias minus the input zero point times the weight sum. */
        public final List<String> bias = new ArrayList<>();
        public HostInt8.Rq rq;
        /** Whether every shift is in [-31, -1] with a multiplier >= 0 (the branch-free requantization applies). */
        public boolean fast;
    }

    /** The model of an MVE depthwise convolution (stride 1) over a padded plane of raw bytes. */
    public static final class Depthwise extends HostInt8.Geometry {
        /** Channels, output channels per channel, batch, plane sizes, taps. */
        public long channels, groupOut, outChannels, batch, inPlane, outPlane, taps;
        /** The padded plane's rows, columns and bytes; the flat outputs (oh - 1) * cols + ow and them rounded to 16. */
        public long rows, cols, planeBytes, flat, flatPad;
        /** The input zero point's raw byte (the border's value). */
        public long zpr;
        /** Per output channel: bias minus the input zero point times the weight sum. */
        public final List<String> bias = new ArrayList<>();
        /** Per window row: its offset in the padded plane and its taps (weight index, offset in the row). */
        public final List<TapRow> tapRows = new ArrayList<>();
        public HostInt8.Rq rq;
    }

    /** One tap of a depthwise window: weight index and offset in its row. */
    public static final class Tap {
        public final long index, offset;

        Tap(long index, long offset) {
            this.index = index;
            this.offset = offset;
        }
    }

    /** One row of a depthwise window: its offset in the padded plane and its taps. */
    public static final class TapRow {
        public final long number, offset;
        public final List<Tap> taps = new ArrayList<>();

        TapRow(long number, long offset) {
            this.number = number;
            this.offset = offset;
        }
    }

    /**
     * The MVE model of qconv {@code n} (window {@code w}; depthwise ones through {@link #depthwise}), or null where it
     * does not apply: not a 1-D or 2-D convolution of one group, a uint8 input, weights with zero points, computed weights or bias, or a
     * folded bias outside int32.
     */
    static Object qconv(KernelModel k, Node n, NnKernels.Window w, List<String> wz, FixedPoint.Multiplier[] m) {
        Value wv = n.input(1), bv = n.input(2);
        // why: a one-channel input with one group counts as depthwise too; the gather kernel serves it
        if (w.depthwise && w.groups > 1) return depthwise(k, n, w, wz, m);
        // why: a fused residual (input 3) is added by the SMLAD kernels' epilogue, which this kernel does not have
        if (w.groups != 1 || wz != null || n.input(0).dtype() != DType.I8 || !wv.isConstant() || wv.uses().size() != 1
                || bv != null && !bv.isConstant() || n.inputs().size() > 3 && n.input(3) != null) return null;
        ConvGeometry g = ConvGeometry.forConv(n.attrs(), n.input(0).shape(), wv.shape());
        if (g.rank() > 2) return null;
        Pointwise p = new Pointwise();
        p.set(g);
        p.pointwise = true;
        for (int i = 0; i < g.rank(); i++)
            p.pointwise &= g.kernel[i] == 1 && g.strides[i] == 1 && g.padsBegin[i] == 0 && g.padsEnd[i] == 0;
        p.oc = w.outChannels;
        p.cin = w.groupIn;
        p.c = w.wStride;
        p.cpad = (p.c + 15) / 16 * 16;
        p.np = w.outPlane;
        p.pb = Math.min(BLOCK, p.np);
        p.batch = w.batch;
        p.inStride = w.groupInStride;
        p.outStride = (long) w.outChannels * w.outPlane;
        long xz = Int8Kernels.zeroPoint(n.input(0));
        p.zpr = xz & 0xFF;
        NdArray wt = wv.constant(), b = bv == null ? null : bv.constant();
        long[] packed = new long[(int) (p.oc * p.cpad)];
        for (int o = 0; o < p.oc; o++) {
            long sum = 0;
            for (int i = 0; i < p.c; i++) {
                long v = wt.getLong((int) (o * p.c + i));
                packed[(int) (o * p.cpad + i)] = v;
                sum += v;
            }
            long folded = (b == null ? 0 : b.getLong(o)) - xz * sum;
            if (folded != (int) folded) return null;
            p.bias.add(Long.toString(folded));
        }
        p.rq = new HostInt8.Rq(m, w.outChannels, n);
        p.fast = p.rq.fast == 1;
        k.packed.put(1, NdArray.ofLongs(wt.dtype(), Shape.of(packed.length), packed));
        k.systemHeaders.add("<arm_mve.h>");
        k.scratchBytes = p.pb * p.cpad;
        // why: a block's positions of every channel are copied before those positions (and no others) are written, so
        // output bytes a whole number of planes before or after the input's overwrite read positions only
        if (p.batch == 1 && p.pointwise) {
            k.inPlaceInput = 0;
            k.inPlaceAtTail = true;
        }
        k.tableBytes += 12L * w.outChannels;
        k.outOfLine = true;
        k.template = "mq_conv_pw";
        return p;
    }

    /**
     * The MVE model of depthwise qconv {@code n}, or null where it does not apply: strides other than 1, a uint8 input,
     * weights with zero points or not constant int8, a computed bias, a folded bias outside int32, or channels whose
     * requantization the SMMLA form cannot do exactly ({@link Int8PairKernels#floorRequant}). Each channel's plane
     * is copied into scratch with a border of the zero point's raw byte; every tap reads the plane at a fixed offset,
     * 8 flat outputs at a time ({@code vldrbq_s32}, {@code vmlaq_n_s32}), the columns past the output width dropped.
     */
    private static Object depthwise(KernelModel k, Node n, NnKernels.Window w, List<String> wz, FixedPoint.Multiplier[] m) {
        Value wv = n.input(1), bv = n.input(2);
        if (wz != null || n.input(0).dtype() != DType.I8 || wv.dtype() != DType.I8 || !wv.isConstant() || bv != null && !bv.isConstant())
            return null;
        ConvGeometry g = ConvGeometry.forConv(n.attrs(), n.input(0).shape(), wv.shape());
        if (g.rank() > 2) return null;
        Depthwise d = new Depthwise();
        d.set(g);
        if (d.sh != 1 || d.sw != 1) return null;
        NdArray wt = wv.constant(), b = bv == null ? null : bv.constant();
        long zy = n.attrs().getInt("out_zero_point", 0);
        if (!Int8PairKernels.floorRequant(m, wt, w.taps, n, b, bv != null, zy, 0)) return null;
        d.channels = w.channels;
        d.groupOut = w.groupOut;
        d.outChannels = w.outChannels;
        d.batch = w.batch;
        d.inPlane = w.inPlane;
        d.outPlane = w.outPlane;
        d.taps = d.kh * d.kw;
        d.rows = Math.max(d.pt + d.ih, (d.oh - 1) + (d.kh - 1) * d.dh + 1);
        d.cols = Math.max(d.pl + d.iw, (d.ow - 1) + (d.kw - 1) * d.dw + 1);
        d.planeBytes = d.rows * d.cols;
        d.flat = (d.oh - 1) * d.cols + d.ow;
        d.flatPad = (d.flat + 15) / 16 * 16;
        long xz = Int8Kernels.zeroPoint(n.input(0));
        d.zpr = xz & 0xFF;
        for (long ki = 0; ki < d.kh; ki++) {
            TapRow row = new TapRow(ki, ki * d.dh * d.cols);
            for (long kj = 0; kj < d.kw; kj++) row.taps.add(new Tap(ki * d.kw + kj, kj * d.dw));
            d.tapRows.add(row);
        }
        for (int o = 0; o < d.outChannels; o++) {
            long sum = 0;
            for (long t = 0; t < d.taps; t++) sum += wt.getLong((int) (o * d.taps + t));
            long folded = (b == null ? 0 : b.getLong(o)) - xz * sum;
            if (folded != (int) folded) return null;
            d.bias.add(Long.toString(folded));
        }
        d.rq = new HostInt8.Rq(m, w.outChannels, n);
        k.systemHeaders.add("<arm_mve.h>");
        // why: the last block of 8 reads up to 7 bytes past the plane and writes up to 7 past the flat outputs (16 kept)
        k.scratchBytes = d.planeBytes + 16 + d.flatPad;
        // why: input plane c is copied into scratch before output plane c, no larger, is written, so the output's
        // planes only cover input planes already copied
        if (d.groupOut == 1 && d.outPlane <= d.inPlane) k.inPlaceInput = 0;
        k.tableBytes += 12L * w.outChannels;
        k.outOfLine = true;
        k.template = "mq_conv_dw";
        return d;
    }
}
