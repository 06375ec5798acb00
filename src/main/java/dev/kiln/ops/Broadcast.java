package dev.kiln.ops;

import dev.kiln.ir.Shape;

/** Numpy-style (ONNX multidirectional) broadcasting of shapes and index mapping. */
public final class Broadcast {
    private Broadcast() {}

    /** The broadcast shape of {@code shapes}, or an IllegalArgumentException naming the mismatch. */
    public static Shape shape(Shape... shapes) {
        int rank = 0;
        for (Shape s : shapes) rank = Math.max(rank, s.rank());
        int[] out = new int[rank];
        java.util.Arrays.fill(out, 1);
        for (Shape s : shapes) {
            for (int i = 0; i < s.rank(); i++) {
                int o = rank - s.rank() + i;
                int d = s.dim(i);
                if (d == out[o] || d == 1) continue;
                if (out[o] == 1) out[o] = d;
                else throw new IllegalArgumentException("shapes " + java.util.Arrays.toString(shapes) + " cannot be broadcast together");
            }
        }
        return Shape.of(out);
    }

    /** True if {@code in} broadcasts to {@code out} (unidirectional broadcasting). */
    public static boolean broadcastsTo(Shape in, Shape out) {
        if (in.rank() > out.rank()) return false;
        for (int i = 0; i < in.rank(); i++) {
            int d = in.dim(i), o = out.dim(out.rank() - in.rank() + i);
            if (d != o && d != 1) return false;
        }
        return true;
    }

    /**
     * For each flat index of {@code out}, the flat index of the element of {@code in} that broadcasts to it.
     * {@code in} must broadcast to {@code out}.
     */
    public static int[] indexMap(Shape in, Shape out) {
        int n = out.size();
        int[] map = new int[n];
        if (in.equals(out)) {
            for (int i = 0; i < n; i++) map[i] = i;
            return map;
        }
        if (in.numel() == 1) return map;
        int rank = out.rank();
        int[] inStride = new int[rank];
        int[] inStrides = in.strides();
        for (int i = 0; i < in.rank(); i++) {
            int o = rank - in.rank() + i;
            inStride[o] = in.dim(i) == 1 ? 0 : inStrides[i];
        }
        int[] dims = out.dims();
        int[] idx = new int[rank];
        int pos = 0;
        for (int i = 0; i < n; i++) {
            map[i] = pos;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                pos += inStride[d];
                if (idx[d] < dims[d]) break;
                pos -= inStride[d] * idx[d];
                idx[d] = 0;
            }
        }
        return map;
    }
}
