package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;

/**
 * ONNX mappings of the reductions, arg-reductions, scans and TopK: one method per ONNX op, named like it.
 * ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum and ReduceLogSumExp are written once here as their ONNX
 * function bodies over registered ops (abs, mul, exp, reduce_sum, sqrt, log), so every backend runs them.
 * Axes are an attribute before opset 18 and an optional constant input from 18, with noop_with_empty_axes.
 */
public final class ReduceMappings {
    private ReduceMappings() {}

    private static final int AXES_INPUT_SINCE = 18;

    public static void ReduceMin(OnnxNode n) { ShapeMappings.reduce(n, Ops.REDUCE_MIN, AXES_INPUT_SINCE); }

    public static void ReduceProd(OnnxNode n) { ShapeMappings.reduce(n, Ops.REDUCE_PROD, AXES_INPUT_SINCE); }

    /** ReduceL1: {@code reduce_sum(|x|)}. */
    public static void ReduceL1(OnnxNode n) {
        Value abs = n.emitNode(Ops.ABS, List.of(n.input(0)), Attrs.EMPTY, 1, n.name() + "/abs").get(0);
        n.emit(Ops.REDUCE_SUM, List.of(abs), ShapeMappings.reduceAttrs(n, AXES_INPUT_SINCE));
    }

    /** ReduceSumSquare: {@code reduce_sum(x * x)}. */
    public static void ReduceSumSquare(OnnxNode n) {
        n.emit(Ops.REDUCE_SUM, List.of(square(n)), ShapeMappings.reduceAttrs(n, AXES_INPUT_SINCE));
    }

    /** ReduceL2: {@code sqrt(reduce_sum(x * x))}. */
    public static void ReduceL2(OnnxNode n) {
        Value sum = n.emitNode(Ops.REDUCE_SUM, List.of(square(n)), ShapeMappings.reduceAttrs(n, AXES_INPUT_SINCE), 1, n.name() + "/sum").get(0);
        n.emit(Ops.SQRT, List.of(sum), Attrs.EMPTY);
    }

    /** ReduceLogSum: {@code log(reduce_sum(x))}. */
    public static void ReduceLogSum(OnnxNode n) {
        Value sum = n.emitNode(Ops.REDUCE_SUM, List.of(n.input(0)), ShapeMappings.reduceAttrs(n, AXES_INPUT_SINCE), 1, n.name() + "/sum").get(0);
        n.emit(Ops.LOG, List.of(sum), Attrs.EMPTY);
    }

    /** ReduceLogSumExp: {@code log(reduce_sum(exp(x)))}, as ONNX's function body (overflows where exp(x) does). */
    public static void ReduceLogSumExp(OnnxNode n) {
        Value exp = n.emitNode(Ops.EXP, List.of(n.input(0)), Attrs.EMPTY, 1, n.name() + "/exp").get(0);
        Value sum = n.emitNode(Ops.REDUCE_SUM, List.of(exp), ShapeMappings.reduceAttrs(n, AXES_INPUT_SINCE), 1, n.name() + "/sum").get(0);
        n.emit(Ops.LOG, List.of(sum), Attrs.EMPTY);
    }

    private static Value square(OnnxNode n) {
        Value x = n.input(0);
        return n.emitNode(Ops.MUL, List.of(x, x), Attrs.EMPTY, 1, n.name() + "/square").get(0);
    }

    /** ArgMax (select_last_index from opset 12). */
    public static void ArgMax(OnnxNode n) { n.emit(Ops.ARG_MAX, List.of(n.input(0)), n.attrs("axis", "keepdims", "select_last_index")); }

    /** ArgMin (select_last_index from opset 12). */
    public static void ArgMin(OnnxNode n) { n.emit(Ops.ARG_MIN, List.of(n.input(0)), n.attrs("axis", "keepdims", "select_last_index")); }

    /** CumSum (opset 11): the axis is a constant scalar input. */
    public static void CumSum(OnnxNode n) { n.emit(Ops.CUM_SUM, List.of(n.input(0)), scanAttrs(n)); }

    /** CumProd (opset 26): as CumSum. */
    public static void CumProd(OnnxNode n) { n.emit(Ops.CUM_PROD, List.of(n.input(0)), scanAttrs(n)); }

    private static Attrs scanAttrs(OnnxNode n) {
        long[] axis = n.constInts(1, "axis");
        if (axis == null || axis.length != 1) throw n.error("input 1 (axis) must be a scalar");
        return n.attrs("exclusive", "reverse").with("axis", axis[0]);
    }

    /**
     * TopK: k is an attribute in opset 1 and an input from 10; largest and sorted from 11. A K that follows from
     * constants becomes the attribute (an exact shape); any other K (a graph input, or computed from one) stays a
     * run-time input, and the outputs are bounded by the input's axis (or {@code --bound NODE=N}).
     */
    public static void TopK(OnnxNode n) {
        long k;
        if (n.opset() < 10) {
            if (!n.hasAttr("k")) throw n.error("attribute 'k' is required");
            k = n.attrInt("k", 0);
        } else {
            if (n.input(1) == null) throw n.error("input 1 (K) is required");
            NdArray kk = n.foldedValue(n.input(1));
            if (kk == null) {
                if (n.input(1).dtype() != dev.kiln.ir.DType.I64 || n.input(1).shape().numel() != 1)
                    throw n.error("input 1 (K) must hold one int64 value, got %s", n.input(1).type());
                n.emit(Ops.TOP_K, List.of(n.input(0), n.input(1)), BoundedMappings.withBound(n, "axis", "largest", "sorted"));
                return;
            }
            if (kk.size() != 1) throw n.error("input 1 (K) must hold one value");
            k = kk.getLong(0);
        }
        n.emit(Ops.TOP_K, List.of(n.input(0)), n.attrs("axis", "largest", "sorted").with("k", k));
    }
}
