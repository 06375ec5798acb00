package dev.kiln.ops;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;

/**
 * Computes the index maps of the data-movement ops (Transpose, Slice, Pad, Tile, Expand...) and copies
 * elements of any type along them. A data-movement op describes its output as, for every output axis, the
 * flat input offset each coordinate of that axis contributes; {@link #offsetMap} sums them into one input
 * index per output element, and {@link #take} copies by that map.
 */
public final class DataMovement {
    /** An offset table entry saying that coordinate lies outside the input (padding). */
    public static final int OUTSIDE = -1;

    private DataMovement() {}

    /**
     * For each flat index of an output of dimensions {@code outDims}, the flat input index: the sum over axes d
     * of {@code offsets[d][coordinate d]}, or {@link #OUTSIDE} when any axis's entry is {@link #OUTSIDE}.
     * Entries other than {@link #OUTSIDE} must be non-negative.
     */
    public static int[] offsetMap(int[] outDims, int[][] offsets) {
        int rank = outDims.length;
        long total = 1;
        for (int d : outDims) total *= d;
        int n = Math.toIntExact(total);
        int[] map = new int[n];
        if (n == 0) return map;
        int[] idx = new int[rank];
        for (int i = 0; i < n; i++) {
            int pos = 0;
            for (int d = 0; d < rank; d++) {
                int o = offsets[d][idx[d]];
                if (o < 0) {
                    pos = OUTSIDE;
                    break;
                }
                pos += o;
            }
            map[i] = pos;
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < outDims[d]) break;
                idx[d] = 0;
            }
        }
        return map;
    }

    /** The offset table of one axis: {@code coords[o] * stride}, keeping {@link #OUTSIDE} entries. */
    public static int[] scaled(int[] coords, int stride) {
        int[] r = new int[coords.length];
        for (int i = 0; i < coords.length; i++) r[i] = coords[i] < 0 ? OUTSIDE : coords[i] * stride;
        return r;
    }

    /**
     * Copies {@code src[map[i]]} to {@code dst[i]} for every i; elements whose map entry is {@link #OUTSIDE}
     * are left as they are in {@code dst} (e.g. a padding value filled beforehand). Both arrays have the same type.
     */
    public static void take(NdArray src, int[] map, NdArray dst) {
        switch (storage(src)) {
            case 'f': {
                float[] s = src.floats(), t = dst.floats();
                for (int i = 0; i < map.length; i++) if (map[i] >= 0) t[i] = s[map[i]];
                break;
            }
            case 'd': {
                double[] s = src.doubles(), t = dst.doubles();
                for (int i = 0; i < map.length; i++) if (map[i] >= 0) t[i] = s[map[i]];
                break;
            }
            default: {
                long[] s = src.longs(), t = dst.longs();
                for (int i = 0; i < map.length; i++) if (map[i] >= 0) t[i] = s[map[i]];
            }
        }
    }

    /** Copies {@code len} consecutive elements from {@code src} at {@code from} to {@code dst} at {@code to}. */
    public static void copy(NdArray src, int from, NdArray dst, int to, int len) {
        switch (storage(src)) {
            case 'f': System.arraycopy(src.floats(), from, dst.floats(), to, len); break;
            case 'd': System.arraycopy(src.doubles(), from, dst.doubles(), to, len); break;
            default: System.arraycopy(src.longs(), from, dst.longs(), to, len);
        }
    }

    /** Sets every element of {@code a} to {@code v}, converted to its type as {@link NdArray#setDouble} does. */
    public static void fill(NdArray a, double v) {
        NdArray one = NdArray.scalar(a.dtype(), v);
        switch (storage(a)) {
            case 'f': java.util.Arrays.fill(a.floats(), one.floats()[0]); break;
            case 'd': java.util.Arrays.fill(a.doubles(), one.doubles()[0]); break;
            default: java.util.Arrays.fill(a.longs(), one.longs()[0]);
        }
    }

    /** The data of {@code a} seen with the output type's shape (a copy, so outputs never share storage with inputs). */
    public static NdArray reshaped(NdArray a, Shape s) { return a.copy().reshape(s); }

    /**
     * The type of a data-movement op's output: the input's element type with shape {@code s}. Per-tensor
     * quantization parameters carry over (the values are unchanged); per-channel ones do not, because the
     * channel axis may have moved.
     */
    public static TensorType moved(TensorType in, Shape s) {
        QuantParams q = in.quant();
        return new TensorType(in.dtype(), s, q != null && !q.perChannel() ? q : null);
    }

    private static char storage(NdArray a) {
        if (a.dtype() == dev.kiln.ir.DType.F64) return 'd';
        return a.dtype().isFloat() ? 'f' : 'l';
    }
}
