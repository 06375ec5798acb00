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
 * The Helium (MVE) form of int8 1x1 convolutions on Cortex-M55 (template {@code mq_conv_pw} in
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

    /** The model of an MVE 1x1 convolution. */
    public static final class Pointwise {
        /** Output channels, input channels and their count padded to 16, positions, positions per block, batch and per-image strides. */
        public long oc, c, cpad, np, pb, batch, inStride, outStride;
        /** Per output channel: bias minus the input zero point times the weight sum. */
        public final List<String> bias = new ArrayList<>();
        public HostInt8.Rq rq;
        /** Whether every shift is in [-31, -1] with a multiplier >= 0 (the branch-free requantization applies). */
        public boolean fast;
    }

    /**
     * The MVE model of qconv {@code n} (window {@code w}), or null where it does not apply: not a 1x1 convolution of
     * one group with stride 1 and no pads, a uint8 input, weights with zero points, computed weights or bias, or a
     * folded bias outside int32.
     */
    static Object qconv(KernelModel k, Node n, NnKernels.Window w, List<String> wz, FixedPoint.Multiplier[] m) {
        Value wv = n.input(1), bv = n.input(2);
        // why: a fused residual (input 3) is added by the SMLAD kernels' epilogue, which this kernel does not have
        if (w.groups != 1 || wz != null || n.input(0).dtype() != DType.I8 || !wv.isConstant() || wv.uses().size() != 1
                || bv != null && !bv.isConstant() || n.inputs().size() > 3 && n.input(3) != null) return null;
        ConvGeometry g = ConvGeometry.forConv(n.attrs(), n.input(0).shape(), wv.shape());
        for (int i = 0; i < g.rank(); i++)
            if (g.kernel[i] != 1 || g.strides[i] != 1 || g.padsBegin[i] != 0 || g.padsEnd[i] != 0) return null;
        Pointwise p = new Pointwise();
        p.oc = w.outChannels;
        p.c = w.groupIn;
        p.cpad = (p.c + 15) / 16 * 16;
        p.np = w.outPlane;
        p.pb = Math.min(BLOCK, p.np);
        p.batch = w.batch;
        p.inStride = w.groupInStride;
        p.outStride = (long) w.outChannels * w.outPlane;
        long xz = Int8Kernels.zeroPoint(n.input(0));
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
        if (p.batch == 1) {
            k.inPlaceInput = 0;
            k.inPlaceAtTail = true;
        }
        k.tableBytes += 12L * w.outChannels;
        k.outOfLine = true;
        k.template = "mq_conv_pw";
        return p;
    }
}
