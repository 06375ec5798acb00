package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ops.Ops;

/**
 * ONNX mappings of the ops whose output size depends on input values (NonZero, Compress, Unique,
 * NonMaxSuppression: bounded shapes, see {@link dev.kiln.ops.Extents}) and of DynamicQuantizeLinear: one method
 * per ONNX op. A user bound ({@code --bound NODE=N}) becomes the node's {@code bound} attribute.
 */
public final class BoundedMappings {
    private BoundedMappings() {}

    /** The node's attributes {@code names} plus the user's bound for it, when one was given. */
    static Attrs withBound(OnnxNode n, String... names) {
        Attrs a = n.attrs(names);
        Long b = n.options().bounds().get(n.name());
        return b == null ? a : a.with("bound", b);
    }

    /** NonZero (opset 9, 13). */
    public static void NonZero(OnnxNode n) { n.emit(Ops.NON_ZERO, n.inputs(), withBound(n)); }

    /** Compress (opset 9, 11): axis optional. */
    public static void Compress(OnnxNode n) { n.emit(Ops.COMPRESS, n.inputs(), withBound(n, "axis")); }

    /** Unique (opset 11): up to four outputs. */
    public static void Unique(OnnxNode n) { n.emit(Ops.UNIQUE, n.inputs(), withBound(n, "axis", "sorted"), n.numOutputs()); }

    /** NonMaxSuppression (opset 10, 11): the three scalar operands stay run-time inputs. */
    public static void NonMaxSuppression(OnnxNode n) {
        Attrs a = withBound(n, "center_point_box");
        // why: boxes and scores with a run-time count of candidates (concatenated heads) are read up to that count
        long[] bounded = new long[2];
        for (int i = 0; i < 2; i++) bounded[i] = n.input(i) != null && dev.kiln.ops.Extents.axisOf(n.graph(), n.input(i)) != null ? 1 : 0;
        if (bounded[0] + bounded[1] > 0) a = a.with("bounded", bounded);
        n.emit(Ops.NON_MAX_SUPPRESSION, n.inputs(), a);
    }

    /** DynamicQuantizeLinear (opset 11). */
    public static void DynamicQuantizeLinear(OnnxNode n) { n.emit(Ops.DYNAMIC_QUANTIZE_LINEAR, n.inputs(), Attrs.EMPTY, 3); }
}
