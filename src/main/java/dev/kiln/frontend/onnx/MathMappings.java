package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;

/**
 * ONNX mappings of the trigonometric and hyperbolic functions and the remaining activations: one method per
 * ONNX op, named like it. Selu, Celu and Softsign are written once here as their ONNX function bodies in
 * registered element-wise ops, so every backend that runs those runs them.
 */
public final class MathMappings {
    private MathMappings() {}

    // --- trigonometric and hyperbolic (opsets 7 and 9) ---

    public static void Sin(OnnxNode n) { ElementwiseMappings.unary(n, Ops.SIN); }

    public static void Cos(OnnxNode n) { ElementwiseMappings.unary(n, Ops.COS); }

    public static void Tan(OnnxNode n) { ElementwiseMappings.unary(n, Ops.TAN); }

    public static void Asin(OnnxNode n) { ElementwiseMappings.unary(n, Ops.ASIN); }

    public static void Acos(OnnxNode n) { ElementwiseMappings.unary(n, Ops.ACOS); }

    public static void Atan(OnnxNode n) { ElementwiseMappings.unary(n, Ops.ATAN); }

    public static void Sinh(OnnxNode n) { ElementwiseMappings.unary(n, Ops.SINH); }

    public static void Cosh(OnnxNode n) { ElementwiseMappings.unary(n, Ops.COSH); }

    public static void Asinh(OnnxNode n) { ElementwiseMappings.unary(n, Ops.ASINH); }

    public static void Acosh(OnnxNode n) { ElementwiseMappings.unary(n, Ops.ACOSH); }

    public static void Atanh(OnnxNode n) { ElementwiseMappings.unary(n, Ops.ATANH); }

    // --- activations ---

    /** ThresholdedRelu (opset 10). */
    public static void ThresholdedRelu(OnnxNode n) { n.emit(Ops.THRESHOLDED_RELU, List.of(n.input(0)), n.attrs("alpha")); }

    /** Shrink (opset 9). */
    public static void Shrink(OnnxNode n) { n.emit(Ops.SHRINK, List.of(n.input(0)), n.attrs("bias", "lambd")); }

    /** Selu (opsets 1 and 6; 1's consumed_inputs is legacy): {@code gamma * elu(x, alpha)}. */
    public static void Selu(OnnxNode n) {
        Value x = n.input(0);
        double alpha = n.attrFloat("alpha", 1.67326319217681884765625), gamma = n.attrFloat("gamma", 1.05070102214813232421875);
        // selu(x) -> gamma * elu(x, alpha)
        Value elu = n.emitNode(Ops.ELU, List.of(x), Attrs.of("alpha", alpha), 1, n.name() + "/elu").get(0);
        n.emit(Ops.MUL, List.of(elu, scalar(n, x, "gamma", gamma)), Attrs.EMPTY);
    }

    /** Celu (opset 12): {@code alpha * elu(x / alpha, 1)}, which is {@code max(0, x) + min(0, alpha * (e^(x/alpha) - 1))}. */
    public static void Celu(OnnxNode n) {
        Value x = n.input(0);
        double alpha = n.attrFloat("alpha", 1.0);
        if (alpha == 0) throw n.error("alpha must not be 0");
        if (alpha == 1) {
            n.emit(Ops.ELU, List.of(x), Attrs.of("alpha", 1.0));
            return;
        }
        // celu(x) -> alpha * elu(x / alpha)
        Value scaled = n.emitNode(Ops.DIV, List.of(x, scalar(n, x, "alpha", alpha)), Attrs.EMPTY, 1, n.name() + "/div").get(0);
        Value elu = n.emitNode(Ops.ELU, List.of(scaled), Attrs.of("alpha", 1.0), 1, n.name() + "/elu").get(0);
        n.emit(Ops.MUL, List.of(elu, scalar(n, x, "alpha_out", alpha)), Attrs.EMPTY);
    }

    /** Softsign (opset 1): {@code x / (1 + |x|)}. */
    public static void Softsign(OnnxNode n) {
        Value x = n.input(0);
        // softsign(x) -> x / (|x| + 1)
        Value abs = n.emitNode(Ops.ABS, List.of(x), Attrs.EMPTY, 1, n.name() + "/abs").get(0);
        Value den = n.emitNode(Ops.ADD, List.of(abs, scalar(n, x, "one", 1)), Attrs.EMPTY, 1, n.name() + "/add").get(0);
        n.emit(Ops.DIV, List.of(x, den), Attrs.EMPTY);
    }

    /** Hardmax: one axis from opset 13, the coerced 2-D trailing block before (as Softmax). */
    public static void Hardmax(OnnxNode n) { ShapeMappings.softmax(n, Ops.HARDMAX); }

    /** Det (opset 11). */
    public static void Det(OnnxNode n) { ElementwiseMappings.unary(n, Ops.DET); }

    /** A scalar constant of {@code like}'s element type. */
    static Value scalar(OnnxNode n, Value like, String suffix, double v) {
        if (!like.dtype().isFloat()) throw n.error("input '%s' must be a float tensor, got %s", like.name(), like.dtype());
        return n.constant(suffix, NdArray.scalar(like.dtype(), v));
    }
}
