package dev.kiln.ops;

import java.util.Arrays;

/**
 * The direct N-d grouped convolution loops shared by conv, conv_integer and qlinear_conv: {@code y[n, m, o] =
 * b[m] + sum over the group's input channels c and kernel taps k of w[m, c, k] * x[n, c, o * s + k * d - pb]},
 * positions in the padding reading zero.
 *
 * <p>How it runs: each input channel is copied once into a zero-padded plane, so no tap ever needs a bounds check.
 * With unit strides, a kernel tap is then a constant shift of the padded plane: every (channel, tap) pair
 * becomes one long contiguous multiply-add {@code acc[t] += w * plane[shift + t]} over an accumulator laid out
 * with the padded plane's row pitch (columns past the output width are computed and dropped). With other
 * strides the taps' strided windows are first gathered into contiguous columns (im2col per group) and the
 * same loop runs over them. The output-channel loop is outside, so one channel's accumulator stays in cache.
 * Float convolutions accumulate in double; integer ones in int (two's-complement wrap, as int32 hardware does).
 */
final class ConvKernel {
    private final int channels, outChannels, groups, groupChannels, groupOutChannels;
    private final int inSize, outSize, kernelSize, paddedSize;
    private final boolean padded, unitStride;
    /** For each (channel of a group, tap), where its data starts in the padded group planes or in the columns. */
    private final int[] columnOffsets;
    /** For each kernel tap, its offset in a padded plane. */
    private final int[] tapOffsets;
    /** For each output position, its index in the accumulator (null: identity). */
    private final int[] outIndex;
    /** For each output position, where its window starts in a padded plane (strided convolutions only). */
    private final int[] windowStart;
    /** For each input row (all axes but the last), where it goes in the padded plane. */
    private final int[] rowDest;
    private final int rowLength;
    private final int accLength;

    /** Plans a convolution of {@code channels} input channels into {@code outChannels} outputs with {@code groups} groups. */
    ConvKernel(ConvGeometry g, int channels, int outChannels, int groups) {
        this.channels = channels;
        this.outChannels = outChannels;
        this.groups = groups;
        this.groupChannels = channels / groups;
        this.groupOutChannels = outChannels / groups;
        int r = g.rank();
        inSize = g.inSize();
        outSize = g.outSize();
        kernelSize = g.kernelSize();
        int[] pdims = new int[r];
        boolean anyPad = false, unit = true;
        for (int i = 0; i < r; i++) {
            pdims[i] = g.in[i] + g.padsBegin[i] + g.padsEnd[i];
            anyPad |= g.padsBegin[i] != 0 || g.padsEnd[i] != 0;
            unit &= g.strides[i] == 1;
        }
        padded = anyPad;
        unitStride = unit;
        paddedSize = ConvGeometry.prod(pdims);
        int[] ps = ConvGeometry.stridesOf(pdims);

        int[] tapOffsets = new int[kernelSize];
        int[] k = new int[r];
        for (int t = 0; t < kernelSize; t++) {
            int off = 0;
            for (int i = 0; i < r; i++) off += k[i] * g.dilations[i] * ps[i];
            tapOffsets[t] = off;
            step(k, g.kernel);
        }

        int[] o = new int[r];
        int[] start = new int[outSize];
        int[] acc = new int[outSize];
        for (int j = 0; j < outSize; j++) {
            int a = 0, s = 0;
            for (int i = 0; i < r; i++) {
                a += o[i] * ps[i];
                s += o[i] * g.strides[i] * ps[i];
            }
            acc[j] = a;
            start[j] = s;
            step(o, g.out);
        }

        columnOffsets = new int[groupChannels * kernelSize];
        for (int c = 0; c < groupChannels; c++)
            for (int t = 0; t < kernelSize; t++)
                columnOffsets[c * kernelSize + t] = unitStride ? c * paddedSize + tapOffsets[t] : (c * kernelSize + t) * outSize;
        if (unitStride) {
            outIndex = acc;
            windowStart = null;
            accLength = outSize == 0 ? 0 : acc[outSize - 1] + 1;
        } else {
            outIndex = null;
            windowStart = start;
            accLength = outSize;
        }
        this.tapOffsets = tapOffsets;

        rowLength = r == 0 ? 1 : g.in[r - 1];
        int rows = rowLength == 0 ? 0 : inSize / rowLength;
        rowDest = new int[rows];
        int[] row = new int[Math.max(r - 1, 0)];
        int[] rowDims = Arrays.copyOf(g.in, Math.max(r - 1, 0));
        for (int q = 0; q < rows; q++) {
            int d = r == 0 ? 0 : g.padsBegin[r - 1];
            for (int i = 0; i < r - 1; i++) d += (row[i] + g.padsBegin[i]) * ps[i];
            rowDest[q] = d;
            step(row, rowDims);
        }
    }

    /** Advances a row-major multi-index within {@code dims}. */
    private static void step(int[] idx, int[] dims) {
        for (int i = idx.length - 1; i >= 0; i--) {
            if (++idx[i] < dims[i]) return;
            idx[i] = 0;
        }
    }

    /** Float convolution: x[N, C, in...], w[M, C/groups, k...], optional b[M] into y[N, M, out...]. */
    void run(double[] x, double[] w, double[] b, double[] y, int batch) {
        double[] plane = padded ? new double[groupChannels * paddedSize] : null;
        double[] cols = unitStride ? null : new double[groupChannels * kernelSize * outSize];
        double[] acc = new double[accLength];
        int columns = groupChannels * kernelSize;
        for (int n = 0; n < batch; n++) {
            for (int gi = 0; gi < groups; gi++) {
                int xBase = (n * channels + gi * groupChannels) * inSize;
                double[] src = x;
                int base = xBase;
                if (padded) {
                    for (int c = 0; c < groupChannels; c++)
                        for (int q = 0; q < rowDest.length; q++)
                            System.arraycopy(x, xBase + c * inSize + q * rowLength, plane, c * paddedSize + rowDest[q], rowLength);
                    src = plane;
                    base = 0;
                }
                if (!unitStride) {
                    for (int c = 0; c < groupChannels; c++)
                        for (int t = 0; t < kernelSize; t++) {
                            int from = base + c * paddedSize + tapOffsets[t];
                            int to = (c * kernelSize + t) * outSize;
                            for (int j = 0; j < outSize; j++) cols[to + j] = src[from + windowStart[j]];
                        }
                    src = cols;
                    base = 0;
                }
                for (int mo = 0; mo < groupOutChannels; mo++) {
                    int m = gi * groupOutChannels + mo;
                    Arrays.fill(acc, 0);
                    int wBase = m * columns;
                    for (int c = 0; c < columns; c++) {
                        double wv = w[wBase + c];
                        int off = base + columnOffsets[c];
                        for (int t = 0; t < accLength; t++) acc[t] += wv * src[off + t];
                    }
                    double bias = b == null ? 0 : b[m];
                    int yBase = (n * outChannels + m) * outSize;
                    if (outIndex == null) for (int j = 0; j < outSize; j++) y[yBase + j] = acc[j] + bias;
                    else for (int j = 0; j < outSize; j++) y[yBase + j] = acc[outIndex[j]] + bias;
                }
            }
        }
    }

    /** Integer convolution with int32 wrap-around accumulation; same layouts as {@link #run(double[], double[], double[], double[], int)}. */
    void run(int[] x, int[] w, int[] b, int[] y, int batch) {
        int[] plane = padded ? new int[groupChannels * paddedSize] : null;
        int[] cols = unitStride ? null : new int[groupChannels * kernelSize * outSize];
        int[] acc = new int[accLength];
        int columns = groupChannels * kernelSize;
        for (int n = 0; n < batch; n++) {
            for (int gi = 0; gi < groups; gi++) {
                int xBase = (n * channels + gi * groupChannels) * inSize;
                int[] src = x;
                int base = xBase;
                if (padded) {
                    for (int c = 0; c < groupChannels; c++)
                        for (int q = 0; q < rowDest.length; q++)
                            System.arraycopy(x, xBase + c * inSize + q * rowLength, plane, c * paddedSize + rowDest[q], rowLength);
                    src = plane;
                    base = 0;
                }
                if (!unitStride) {
                    for (int c = 0; c < groupChannels; c++)
                        for (int t = 0; t < kernelSize; t++) {
                            int from = base + c * paddedSize + tapOffsets[t];
                            int to = (c * kernelSize + t) * outSize;
                            for (int j = 0; j < outSize; j++) cols[to + j] = src[from + windowStart[j]];
                        }
                    src = cols;
                    base = 0;
                }
                for (int mo = 0; mo < groupOutChannels; mo++) {
                    int m = gi * groupOutChannels + mo;
                    Arrays.fill(acc, 0);
                    int wBase = m * columns;
                    for (int c = 0; c < columns; c++) {
                        int wv = w[wBase + c];
                        int off = base + columnOffsets[c];
                        for (int t = 0; t < accLength; t++) acc[t] += wv * src[off + t];
                    }
                    int bias = b == null ? 0 : b[m];
                    int yBase = (n * outChannels + m) * outSize;
                    if (outIndex == null) for (int j = 0; j < outSize; j++) y[yBase + j] = acc[j] + bias;
                    else for (int j = 0; j < outSize; j++) y[yBase + j] = acc[outIndex[j]] + bias;
                }
            }
        }
    }

    /**
     * Fails unless input {@code i} ({@code name}) of an integer convolution, a scale or zero point, holds one value,
     * or one per output channel when {@code perChannel} allows it.
     */
    static void checkQuantParam(InferContext cx, int i, String name, int outChannels, boolean perChannel) {
        if (!cx.has(i)) return;
        dev.kiln.ir.Shape s = cx.shape(i);
        if (s.numel() == 1 && s.rank() <= 1) return;
        if (perChannel && s.rank() == 1 && s.dim(0) == outChannels) return;
        throw cx.error("input '%s' has shape %s; expected a scalar%s", name, s, perChannel ? " or [" + outChannels + "] (one per output channel)" : "");
    }

    /** The values of a per-tensor or per-channel parameter, one per output channel (zeros when absent). */
    static long[] perChannel(dev.kiln.ir.NdArray p, int outChannels) {
        long[] r = new long[outChannels];
        if (p == null) return r;
        for (int m = 0; m < outChannels; m++) r[m] = p.getLong(p.size() == 1 ? 0 : m);
        return r;
    }

    /** The values of a per-tensor or per-channel float parameter, one per output channel. */
    static float[] perChannelFloat(dev.kiln.ir.NdArray p, int outChannels) {
        float[] r = new float[outChannels];
        for (int m = 0; m < outChannels; m++) r[m] = p.getFloat(p.size() == 1 ? 0 : m);
        return r;
    }

    /** Integer input data minus its zero point, as ints. */
    static int[] minusZeroPoint(dev.kiln.ir.NdArray x, long zeroPoint) {
        long[] v = x.longs();
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (int) (v[i] - zeroPoint);
        return r;
    }

    /** Weights [M, ...] minus their per-output-channel zero points, as ints. */
    static int[] weightsMinusZeroPoints(dev.kiln.ir.NdArray w, long[] zeroPoints) {
        long[] v = w.longs();
        int m = zeroPoints.length, per = m == 0 ? 0 : v.length / m;
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (int) (v[i] - zeroPoints[i / per]);
        return r;
    }
}
