package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * N-d grouped transposed convolution (the gradient of {@link Conv}): every input element X[n, c, i] adds
 * {@code X[n, c, i] * W[c, m, k]} to Y[n, m, i * s + k * d - pads_begin] for each tap k, with X [N, C, in...],
 * W [C, M / group, k...], optional bias B [M], and Y [N, M, out...] where
 * {@code out = s * (in - 1) + output_padding + (k - 1) * d + 1 - pads_begin - pads_end}.
 *
 * <p>Attributes: {@code kernel_shape}, {@code strides}, {@code dilations}, {@code pads} (explicit crops, begins
 * then ends), {@code output_padding} (extra size at the end of each axis) and {@code group}. ONNX's
 * {@code output_shape} and {@code auto_pad} are turned into pads and output_padding at import
 * ({@link ConvGeometry#transposePadsFor}). Float inputs; sums in double. A {@link FusedActivation} is applied to
 * the rounded result.
 */
public final class ConvTranspose extends OpDef implements ChannelAffine {
    public ConvTranspose() {
        super("conv_transpose", FusedActivation.addAttrs(ConvGeometry.windowAttrs(Signature.builder().input("X", "W").optionalInput("B").output("Y"))
                .optionalAttr("output_padding", AttrType.INTS)
                .attr("group", AttrType.INT, 1L)).build(), Trait.MAC);
    }

    @Override
    public String summary() { return "N-d grouped transposed convolution with output padding"; }

    private static ConvGeometry geometry(dev.kiln.ir.Attrs a, Shape x, Shape w) {
        long group = a.getInt("group", 1);
        if (x.rank() < 3) throw new IllegalArgumentException("input must have rank 3 or more (N, C, spatial...), got " + x);
        if (w.rank() != x.rank()) throw new IllegalArgumentException("weight " + w + " must have the input's rank " + x.rank());
        if (group < 1) throw new IllegalArgumentException("group " + group + " must be at least 1");
        if (w.dim(0) != x.dim(1)) throw new IllegalArgumentException("input has " + x.dim(1) + " channels but weight " + w + " takes " + w.dim(0));
        if (x.dim(1) % group != 0) throw new IllegalArgumentException("input's " + x.dim(1) + " channels are not divisible by group " + group);
        return ConvGeometry.transposed(a, ConvGeometry.spatial(x), ConvGeometry.spatial(w));
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        cx.checkSameDType(0, 1);
        ConvGeometry g;
        try {
            g = geometry(cx.attrs(), cx.shape(0), cx.shape(1));
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        long m = (long) cx.shape(1).dim(1) * cx.attrs().getInt("group");
        cx.check(m <= Integer.MAX_VALUE, "too many output channels");
        if (cx.has(2)) {
            cx.checkSameDType(0, 2);
            cx.check(cx.shape(2).equals(Shape.of((int) m)), "bias B must have shape [%d] (one value per output channel), got %s", m, cx.shape(2));
        }
        FusedActivation.check(cx);
        return List.of(new TensorType(cx.dtype(0), g.outputShape(cx.shape(0).dim(0), (int) m)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray xa = cx.input(0), wa = cx.input(1), ba = cx.input(2);
        ConvGeometry g = geometry(cx.attrs(), xa.shape(), wa.shape());
        int group = (int) cx.attrs().getInt("group");
        int batch = xa.shape().dim(0), channels = xa.shape().dim(1), groupChannels = channels / group;
        int groupOut = wa.shape().dim(1), outChannels = groupOut * group;
        int r = g.rank(), inSize = g.inSize(), outSize = g.outSize(), taps = g.kernelSize();
        double[] x = xa.toDoubleArray(), w = wa.toDoubleArray();
        double[] y = new double[batch * outChannels * outSize];
        if (ba != null)
            for (int n = 0; n < batch; n++)
                for (int m = 0; m < outChannels; m++)
                    java.util.Arrays.fill(y, (n * outChannels + m) * outSize, (n * outChannels + m + 1) * outSize, ba.getDouble(m));

        // For each tap: the output shift of each axis and the box of input positions that land inside the output.
        int[] is = ConvGeometry.stridesOf(g.in), os = ConvGeometry.stridesOf(g.out);
        int[][] shift = new int[taps][r], lo = new int[taps][r], hi = new int[taps][r];
        boolean[] empty = new boolean[taps];
        int[] k = new int[r];
        for (int t = 0; t < taps; t++) {
            for (int i = 0; i < r; i++) {
                int off = k[i] * g.dilations[i] - g.padsBegin[i], s = g.strides[i];
                shift[t][i] = off;
                lo[t][i] = Math.max(0, Math.floorDiv(-off + s - 1, s));
                hi[t][i] = Math.min(g.in[i], Math.floorDiv(g.out[i] - 1 - off, s) + 1);
                empty[t] |= lo[t][i] >= hi[t][i];
            }
            for (int i = r - 1; i >= 0; i--) {
                if (++k[i] < g.kernel[i]) break;
                k[i] = 0;
            }
        }

        int last = r - 1, sLast = g.strides[last];
        int[] idx = new int[r];
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                int gi = c / groupChannels, xBase = (n * channels + c) * inSize;
                for (int mo = 0; mo < groupOut; mo++) {
                    int m = gi * groupOut + mo, yBase = (n * outChannels + m) * outSize, wBase = (c * groupOut + mo) * taps;
                    for (int t = 0; t < taps; t++) {
                        if (empty[t]) continue;
                        double wv = w[wBase + t];
                        int[] tl = lo[t], th = hi[t], ts = shift[t];
                        System.arraycopy(tl, 0, idx, 0, r);
                        while (true) {
                            int xo = xBase, yo = yBase + ts[last] * os[last];
                            for (int i = 0; i < last; i++) {
                                xo += idx[i] * is[i];
                                yo += (idx[i] * g.strides[i] + ts[i]) * os[i];
                            }
                            for (int j = tl[last]; j < th[last]; j++) y[yo + j * sLast] += wv * x[xo + j];
                            int i = last - 1;
                            while (i >= 0 && ++idx[i] >= th[i]) {
                                idx[i] = tl[i];
                                i--;
                            }
                            if (i < 0) break;
                        }
                    }
                }
            }
        }
        NdArray out = cx.newOutput(0);
        for (int i = 0; i < y.length; i++) out.setDouble(i, y[i]);
        return List.of(FusedActivation.apply(cx.attrs(), out));
    }

    @Override
    public long macs(dev.kiln.ir.Node n) { return filterMacs(n.input(0), n.input(1)); }

    @Override
    public int channelAxis(dev.kiln.ir.Node n) { return 1; }

    @Override
    public String cannotFold(dev.kiln.ir.Node n, boolean shift) {
        String why = ChannelAffine.noActivation(n);
        if (why == null) why = ChannelAffine.constantFloat(n, 1, "the weight");
        if (why == null) why = ChannelAffine.constantFloat(n, 2, "the bias");
        return why;
    }

    /**
     * Scales the weights of output channel {@code g * M/group + mo} (W [C, M / group, k...]: entries [c, mo, ...] of
     * the input channels c of group g) by its scale; the bias becomes {@code B * scale + shift}.
     */
    @Override
    public Folded fold(dev.kiln.ir.Node n, double[] scale, double[] shift) {
        NdArray w = n.input(1).constant();
        int c = w.shape().dim(0), groupOut = w.shape().dim(1), group = (int) n.attrs().getInt("group");
        int taps = w.size() / Math.max(1, c * groupOut), groupIn = c / group, m = groupOut * group;
        Object wIn = n.input(1), bIn = n.input(2);
        if (scale != null) {
            NdArray s = w.copy();
            for (int i = 0; i < s.size(); i++) {
                int ci = i / (groupOut * taps), mo = (i / taps) % groupOut;
                s.setDouble(i, w.getDouble(i) * scale[(ci / groupIn) * groupOut + mo]);
            }
            wIn = s;
        }
        if (shift != null || (scale != null && n.input(2) != null))
            bIn = ChannelAffine.affineBias(n.input(2) == null ? null : n.input(2).constant(), scale, shift, m, n.output(0).dtype());
        return new Folded(this, java.util.Arrays.asList(n.input(0), wIn, bIn), n.attrs());
    }
}
