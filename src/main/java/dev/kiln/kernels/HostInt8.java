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
 * The host forms of the int8 kernels (templates {@code hq_*} in {@code templates/c/ops/int8.stg}, C helpers in
 * {@code runtime-c/kiln_int8_host.h}), chosen by {@link Int8Kernels} when the strategy says {@link Strategy#hostInt8}:
 * one-group convolutions (1x1 directly, others through im2col) and matrix products as a packed u8 x s8 GEMM whose
 * tile has AVX-512 VNNI, AVX-VNNI, AVX2 and plain-C paths, and depthwise convolutions over a zero-bordered plane
 * split by stride phase, in float (exact: every partial sum is an integer below 2^24) in loops the compiler vectorises
 * (on AArch64 in int16 x int16 NEON multiply-accumulates into int32). The weights are packed here at compile time in the layout the GEMM's
 * micro-kernel reads; the bias table absorbs the input zero point (see the header). Every path computes the exact
 * integer sums, so the outputs are the interpreter's byte for byte.
 */
public final class HostInt8 {
    /** Output channels and positions of the GEMM tile (KILN_QG_MR, KILN_QG_NR). */
    static final int MR = 8, NR = 16;
    /** The largest reduction the GEMM takes: the plain-C path's sum of u8 x s8 products stays below 2^31. */
    static final long MAX_K = 65536;

    private HostInt8() {}

    /** Requantization of the host kernels: per-channel multiplier and shift tables (every channel listed), zero point, clamp. */
    public static final class Rq {
        public final List<String> mults = new ArrayList<>(), shifts = new ArrayList<>();
        /** 1 when every shift is in [-31, -1] with a multiplier >= 0 (the branch-free requantization), else 0. */
        public final int fast;
        public final long zp, lo, hi;

        Rq(FixedPoint.Multiplier[] m, int channels, Node n) {
            for (int c = 0; c < channels; c++) {
                FixedPoint.Multiplier x = m[Math.min(c, m.length - 1)];
                mults.add(Integer.toString(x.multiplier()));
                shifts.add(Integer.toString(x.shift()));
            }
            fast = Int8Kernels.rightShiftsOf32AndMore(m) ? 1 : 0;
            zp = n.attrs().getInt("out_zero_point", 0);
            lo = n.attrs().getInt("act_min", -128);
            hi = n.attrs().getInt("act_max", 127);
        }
    }

    /** A 2-D convolution's geometry (1-D: one row): input, kernel and output sizes, strides, dilations, leading pads. */
    public static class Geometry {
        public long ih, iw, kh, kw, oh, ow, sh, sw, dh, dw, pt, pl;

        /** Fills the fields from {@code g} (rank 1 or 2). */
        final void set(ConvGeometry g) {
            int r = g.rank();
            ih = r == 2 ? g.in[0] : 1;
            kh = r == 2 ? g.kernel[0] : 1;
            sh = r == 2 ? g.strides[0] : 1;
            dh = r == 2 ? g.dilations[0] : 1;
            pt = r == 2 ? g.padsBegin[0] : 0;
            oh = r == 2 ? g.out[0] : 1;
            iw = g.in[r - 1];
            kw = g.kernel[r - 1];
            sw = g.strides[r - 1];
            dw = g.dilations[r - 1];
            pl = g.padsBegin[r - 1];
            ow = g.out[r - 1];
        }
    }

    /** The model of a packed-GEMM convolution or matrix product. */
    public static final class Gemm extends Geometry {
        /** The ISA features of the target (for the kernel's comment). */
        public final String isa;
        /** Output channels (matrix columns), reduction length and its quads, positions and positions rounded to the tile. */
        public final long oc, k, k4, np, ppad;
        /** Batch images, elements of one input image and of one output image (convolutions). */
        public long batch, inStride, outStride;
        /** Input channels of a convolution, and whether it is a 1x1 stride-1 convolution without pads. */
        public long c;
        /** The padded copy of the input (im2col's source): rows and columns of each plane. */
        public long rows, cols;
        public boolean pointwise, conv;
        /** Bytes of the column buffer B; the padded copy of the input follows it in scratch. */
        public long colBytes;
        /** The xor that maps the input's bytes to unsigned ({@code 0x80u} for int8, {@code 0u} for uint8), the zero point's raw byte. */
        public String flip, zpr;
        /** Bias and the sum of the channel's weights, per output channel. */
        public final List<String> bias = new ArrayList<>(), wsum = new ArrayList<>();
        /** The input zero point as B's uint8 form stores it (the header derives the zero point's share from it). */
        public long zpu;
        public Rq rq;
        /** Convolutions with a residual: the qadd applied to each stored result and the residual Z's element (null without), Z's name. */
        public Int8Kernels.QAddModel add;
        public String z;

        Gemm(String isa, long oc, long k, long np) {
            this.isa = isa;
            this.oc = oc;
            this.k = k;
            this.k4 = (k + 3) / 4;
            this.np = np;
            this.ppad = (np + NR - 1) / NR * NR;
            this.colBytes = k4 * ppad * 4;
        }
    }

    /** The model of a depthwise convolution over a zero-bordered plane split by stride phase. */
    public static final class Depthwise extends Geometry {
        public final String isa;
        public long batch, channels, groupOut, outChannels, inPlane, outPlane;
        /** The padded plane split by stride phase: sub-plane rows and columns, floats in all, accumulators per output plane. */
        public long srows, scols, planeFloats, accLen;
        /** Weights per output channel (kh * kw). */
        public long taps;
        /** 1 when the input is uint8; the input zero point. */
        public int u8;
        public long xz;
        public boolean hasBias;
        public Rq rq;

        Depthwise(String isa) {
            this.isa = isa;
        }
    }

    /**
     * The host model of qconv {@code n} (window {@code w}, weight zero points {@code wz}), or null where no host form
     * applies (3-D, groups that are neither one nor depthwise, asymmetric weights, computed weights or bias).
     */
    static Object qconv(KernelModel k, Node n, NnKernels.Window w, List<String> wz, FixedPoint.Multiplier[] m, Strategy t, Int8Kernels.QAddModel add) {
        ConvGeometry g = ConvGeometry.forConv(n.attrs(), n.input(0).shape(), n.input(1).shape());
        if (g.rank() > 2 || wz != null) return null;
        int r = g.rank();
        Value wv = n.input(1), bv = n.input(2);
        long xz = Int8Kernels.zeroPoint(n.input(0));
        boolean u8 = n.input(0).dtype() == DType.U8;
        String isa = String.join(" ", t.isa());
        if (w.groups == 1) {
            boolean constant = wv.isConstant() && wv.uses().size() == 1 && (bv == null || bv.isConstant());
            if (!constant || w.wStride > MAX_K) return null;
            Gemm q = new Gemm(isa, w.outChannels, w.wStride, w.outPlane);
            q.conv = true;
            q.batch = w.batch;
            q.inStride = w.groupInStride;
            q.outStride = (long) w.outChannels * w.outPlane;
            q.c = w.groupIn;
            q.set(g);
            boolean noPad = true;
            for (int i = 0; i < r; i++) noPad &= g.padsBegin[i] == 0 && g.padsEnd[i] == 0;
            q.pointwise = q.kh == 1 && q.kw == 1 && q.sh == 1 && q.sw == 1 && noPad;
            fill(q, wv.constant(), false, bv, xz, u8);
            q.rq = new Rq(m, w.outChannels, n);
            q.add = add;
            q.z = w.z;
            // why: the GEMM stores the conv's values before the residual pass reads Z, so the output cannot be Z's bytes
            if (add != null) k.inPlaceInput = -1;
            k.packed.put(1, pack(wv.constant(), w.outChannels, w.wStride, false));
            q.rows = Math.max(q.pt + q.ih, (q.oh - 1) * q.sh + (q.kh - 1) * q.dh + 1);
            q.cols = Math.max(q.pl + q.iw, (q.ow - 1) * q.sw + (q.kw - 1) * q.dw + 1);
            k.scratchBytes = q.colBytes + (q.pointwise ? 0 : q.c * q.rows * q.cols);
            k.runtimeHeaders.add("kiln_int8_host.h");
            k.template = "hq_conv_gemm";
            k.tableBytes += 8L * q.bias.size() + 8L * w.outChannels;
            return q;
        }
        // why: the float sums are exact while every partial sum stays below 2^24 (see kiln_int8_host.h)
        Depthwise d = new Depthwise(isa);
        d.set(g);
        if (!w.depthwise || d.kh * d.kw * 255 * 128 >= 1L << 24) return null;
        d.batch = w.batch;
        d.channels = w.channels;
        d.groupOut = w.groupOut;
        d.outChannels = w.outChannels;
        d.inPlane = w.inPlane;
        d.outPlane = w.outPlane;
        long rows = Math.max(d.pt + d.ih, (d.oh - 1) * d.sh + (d.kh - 1) * d.dh + 1);
        long cols = Math.max(d.pl + d.iw, (d.ow - 1) * d.sw + (d.kw - 1) * d.dw + 1);
        d.srows = Math.max((rows + d.sh - 1) / d.sh, d.oh + (d.kh - 1) * d.dh / d.sh);
        d.scols = Math.max((cols + d.sw - 1) / d.sw, d.ow + (d.kw - 1) * d.dw / d.sw);
        d.u8 = u8 ? 1 : 0;
        d.xz = xz;
        d.hasBias = bv != null;
        d.planeFloats = d.sh * d.sw * d.srows * d.scols;
        d.accLen = (d.oh - 1) * d.scols + d.ow;
        d.taps = d.kh * d.kw;
        d.rq = new Rq(m, w.outChannels, n);
        k.scratchBytes = 4 * d.planeFloats + 8 * d.accLen + d.accLen;
        k.runtimeHeaders.add("kiln_int8_host.h");
        k.template = "hq_conv_dw";
        k.tableBytes += 8L * w.outChannels;
        return d;
    }

    /**
     * The host model of qmatmul: rows of X [rows, K] times constant W [K, N]; W is packed transposed (N plays the
     * output channels), the rows are the positions. Null where W or the bias is computed or W has zero points.
     */
    static Object qmatmul(KernelModel k, Node n, List<String> wz, FixedPoint.Multiplier[] m, Strategy t) {
        Value wv = n.input(1), bv = n.input(2);
        if (wz != null || !wv.isConstant() || wv.uses().size() != 1 || bv != null && !bv.isConstant()) return null;
        Shape xs = n.input(0).shape(), ws = wv.shape();
        long kk = ws.dim(0), nn = ws.dim(1);
        if (kk > MAX_K) return null;
        Gemm q = new Gemm(String.join(" ", t.isa()), nn, kk, xs.numel() / kk);
        fill(q, wv.constant(), true, bv, Int8Kernels.zeroPoint(n.input(0)), n.input(0).dtype() == DType.U8);
        q.rq = new Rq(m, (int) nn, n);
        k.packed.put(1, pack(wv.constant(), (int) nn, kk, true));
        k.scratchBytes = q.colBytes;
        k.runtimeHeaders.add("kiln_int8_host.h");
        k.template = "hq_matmul";
        k.tableBytes += 8L * q.bias.size() + 8L * nn;
        return q;
    }

    /** The flip, the zero point's raw byte and uint8 form, and the bias and weight-sum tables of {@code q}. */
    private static void fill(Gemm q, NdArray wt, boolean transposed, Value bv, long xz, boolean u8) {
        q.flip = u8 ? "0u" : "0x80u";
        q.zpr = (xz & 0xFF) + "u";
        q.zpu = u8 ? xz : xz + 128;
        NdArray b = bv == null ? null : bv.constant();
        for (int o = 0; o < q.oc; o++) {
            long sum = 0;
            for (long i = 0; i < q.k; i++) sum += wt.getLong((int) (transposed ? i * q.oc + o : o * q.k + i));
            long bias = b == null ? 0 : b.getLong(o);
            q.bias.add(Long.toString(bias));
            // why: the header multiplies it by a zero point of at most 255: 255 * 127 * 65536 (MAX_K) is an int32
            q.wsum.add(Long.toString(sum));
        }
    }

    /**
     * W as the GEMM's A: {@code [ceil(O / 8)][ceil(K / 4)][8][4]}, zero beyond O and K; W is [O][K] or, transposed,
     * [K][O].
     */
    static NdArray pack(NdArray wt, long o, long kk, boolean transposed) {
        long k4 = (kk + 3) / 4, blocks = (o + MR - 1) / MR;
        long[] a = new long[(int) (blocks * k4 * MR * 4)];
        for (long ob = 0; ob < blocks; ob++)
            for (long q = 0; q < k4; q++)
                for (int i = 0; i < MR; i++)
                    for (int t = 0; t < 4; t++) {
                        long oc = ob * MR + i, kx = q * 4 + t;
                        if (oc >= o || kx >= kk) continue;
                        a[(int) (((ob * k4 + q) * MR + i) * 4 + t)] = wt.getLong((int) (transposed ? kx * o + oc : oc * kk + kx));
                    }
        return NdArray.ofLongs(wt.dtype(), Shape.of(a.length), a);
    }
}
