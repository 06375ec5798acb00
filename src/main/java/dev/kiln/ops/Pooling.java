package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * The windows of a pool over one [spatial...] plane, precomputed once per evaluation: for each output position,
 * the plane offsets of the window's positions that fall inside the input, and how many of its positions fall
 * inside the padded input (the divisor of an average that counts pads). Shared by max_pool and average_pool,
 * whose geometry attributes are {@link ConvGeometry}'s plus {@code ceil_mode}.
 */
final class Pooling {
    /** Window j's offsets are {@code offsets[start[j] .. start[j + 1])}. */
    final int[] start;
    final int[] offsets;
    /** Per output position, the number of window positions inside the input or its pads. */
    final int[] paddedCount;

    Pooling(ConvGeometry g) {
        int r = g.rank(), outSize = g.outSize();
        int[] is = ConvGeometry.stridesOf(g.in);
        start = new int[outSize + 1];
        paddedCount = new int[outSize];
        int[] buf = new int[Math.max(16, outSize * Math.min(g.kernelSize(), 64))];
        int used = 0;
        int[] o = new int[r];
        int[][] valid = new int[r][];
        int[] nValid = new int[r];
        for (int i = 0; i < r; i++) valid[i] = new int[g.kernel[i]];
        for (int j = 0; j < outSize; j++) {
            int padded = 1, count = 1;
            for (int i = 0; i < r; i++) {
                int first = o[i] * g.strides[i] - g.padsBegin[i], nv = 0, np = 0;
                for (int q = 0; q < g.kernel[i]; q++) {
                    int p = first + q * g.dilations[i];
                    if (p >= 0 && p < g.in[i]) valid[i][nv++] = p * is[i];
                    if (p >= -g.padsBegin[i] && p < g.in[i] + g.padsEnd[i]) np++;
                }
                nValid[i] = nv;
                padded *= np;
                count *= nv;
            }
            paddedCount[j] = padded;
            if (used + count > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, used + count));
            if (count > 0) {
                int[] q = new int[r];
                for (int c = 0; c < count; c++) {
                    int off = 0;
                    for (int i = 0; i < r; i++) off += valid[i][q[i]];
                    buf[used++] = off;
                    for (int i = r - 1; i >= 0; i--) {
                        if (++q[i] < nValid[i]) break;
                        q[i] = 0;
                    }
                }
            }
            start[j + 1] = used;
            for (int i = r - 1; i >= 0; i--) {
                if (++o[i] < g.out[i]) break;
                o[i] = 0;
            }
        }
        offsets = Arrays.copyOf(buf, used);
    }

    /** Adds the pool attributes: the window attributes and {@code ceil_mode}. */
    static Signature.Builder poolAttrs(Signature.Builder b) {
        return ConvGeometry.windowAttrs(b).attr("ceil_mode", AttrType.INT, 0L);
    }

    /** The geometry of a pool node over {@code x} [N, C, spatial...]. */
    static ConvGeometry geometry(dev.kiln.ir.Attrs a, Shape x) {
        if (x.rank() < 3) throw new IllegalArgumentException("input must have rank 3 or more (N, C, spatial...), got " + x);
        long ceil = a.getInt("ceil_mode", 0);
        if (ceil != 0 && ceil != 1) throw new IllegalArgumentException("ceil_mode must be 0 or 1, got " + ceil);
        return ConvGeometry.of(a, ConvGeometry.spatial(x), null, ceil == 1);
    }

    /** The output type of a pool over input 0. */
    static List<TensorType> infer(InferContext cx) {
        ConvGeometry g;
        try {
            g = geometry(cx.attrs(), cx.shape(0));
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        // why: a pool picks (max) input values, so per-tensor quantization parameters carry over
        return List.of(DataMovement.moved(cx.input(0), g.outputShape(cx.shape(0).dim(0), cx.shape(0).dim(1))));
    }
}
