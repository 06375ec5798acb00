package dev.kiln.ops;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;

/** Index helpers shared by the gather and scatter ops: bounds-checked index normalisation and typed element updates. */
final class Indexing {
    private Indexing() {}

    /** Index {@code v} into an axis of {@code dim} elements, negative ones counting from the end; throws when outside. */
    static int index(long v, int dim, String what) {
        if (v < -dim || v >= dim)
            throw new IllegalArgumentException("index " + v + " of " + what + " is out of range for a dimension of " + dim);
        return (int) (v < 0 ? v + dim : v);
    }

    /**
     * For each element of {@code indices} (shape {@code is}, same rank as {@code ds}), the flat offset in a tensor of
     * shape {@code ds} of its own position with the {@code axis} coordinate replaced by the index (bounds-checked).
     */
    static int[] elementOffsets(Shape ds, NdArray indices, int axis) {
        Shape is = indices.shape();
        int r = ds.rank();
        int[] dstr = ds.strides(), p = new int[r], off = new int[indices.size()];
        for (int i = 0; i < off.length; i++) {
            for (int k = 0; k < r; k++) off[i] += (k == axis ? index(indices.getLong(i), ds.dim(axis), "indices") : p[k]) * dstr[k];
            for (int k = r - 1; k >= 0; k--) {
                if (++p[k] < is.dim(k)) break;
                p[k] = 0;
            }
        }
        return off;
    }

    /** Combines {@code dst[i]} with {@code src[j]} by {@code reduction} (none, add, mul, max, min), in the element type. */
    static void update(NdArray dst, int i, NdArray src, int j, String reduction) {
        if (dst.dtype().isFloat()) {
            double a = dst.getDouble(i), b = src.getDouble(j);
            dst.setDouble(i, switch (reduction) {
                case "add" -> a + b;
                case "mul" -> a * b;
                case "max" -> Math.max(a, b);
                case "min" -> Math.min(a, b);
                default -> b;
            });
        } else {
            long a = dst.getLong(i), b = src.getLong(j);
            dst.setLong(i, switch (reduction) {
                case "add" -> a + b;
                case "mul" -> a * b;
                case "max" -> Math.max(a, b);
                case "min" -> Math.min(a, b);
                default -> b;
            });
        }
    }

    /** Fails unless {@code reduction} is one of ONNX's scatter reductions. */
    static void checkReduction(InferContext cx) {
        String r = cx.attrs().getString("reduction");
        cx.check(r.equals("none") || r.equals("add") || r.equals("mul") || r.equals("max") || r.equals("min"),
                "reduction '%s' is not one of none, add, mul, max, min", r);
    }
}
