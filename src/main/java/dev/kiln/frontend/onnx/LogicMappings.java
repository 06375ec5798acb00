package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ops.Ops;
import java.util.List;

/** ONNX mappings of the logic, comparison and bit ops: one method per ONNX op, named like it. */
public final class LogicMappings {
    private LogicMappings() {}

    // --- logic and comparison (numpy broadcasting from opset 7, legacy broadcast before) ---

    public static void And(OnnxNode n) { ElementwiseMappings.binary(n, Ops.AND); }

    public static void Or(OnnxNode n) { ElementwiseMappings.binary(n, Ops.OR); }

    public static void Xor(OnnxNode n) { ElementwiseMappings.binary(n, Ops.XOR); }

    public static void Not(OnnxNode n) { ElementwiseMappings.unary(n, Ops.NOT); }

    public static void Less(OnnxNode n) { ElementwiseMappings.binary(n, Ops.LESS); }

    /** LessOrEqual (opset 12). */
    public static void LessOrEqual(OnnxNode n) { ElementwiseMappings.binary(n, Ops.LESS_OR_EQUAL); }

    public static void Greater(OnnxNode n) { ElementwiseMappings.binary(n, Ops.GREATER); }

    /** GreaterOrEqual (opset 12). */
    public static void GreaterOrEqual(OnnxNode n) { ElementwiseMappings.binary(n, Ops.GREATER_OR_EQUAL); }

    // --- bit ops ---

    /** BitShift (opset 11): {@code direction} "LEFT" or "RIGHT" is required. */
    public static void BitShift(OnnxNode n) {
        if (!n.hasAttr("direction")) throw n.error("attribute 'direction' (\"LEFT\" or \"RIGHT\") is required");
        n.emit(Ops.BIT_SHIFT, List.of(n.input(0), n.input(1)), Attrs.of("direction", n.attrString("direction", "")));
    }

    /** BitwiseAnd (opset 18). */
    public static void BitwiseAnd(OnnxNode n) { ElementwiseMappings.binary(n, Ops.BITWISE_AND); }

    /** BitwiseOr (opset 18). */
    public static void BitwiseOr(OnnxNode n) { ElementwiseMappings.binary(n, Ops.BITWISE_OR); }

    /** BitwiseXor (opset 18). */
    public static void BitwiseXor(OnnxNode n) { ElementwiseMappings.binary(n, Ops.BITWISE_XOR); }

    /** BitwiseNot (opset 18). */
    public static void BitwiseNot(OnnxNode n) { ElementwiseMappings.unary(n, Ops.BITWISE_NOT); }

    // --- remainder and float classes ---

    /** Mod (opset 10): {@code fmod} 0 (divisor's sign, integers) or 1 (dividend's sign). */
    public static void Mod(OnnxNode n) {
        n.emit(Ops.MOD, List.of(n.input(0), n.input(1)), Attrs.of("fmod", n.attrInt("fmod", 0)));
    }

    /** IsNaN (opset 9). */
    public static void IsNaN(OnnxNode n) { ElementwiseMappings.unary(n, Ops.IS_NAN); }

    /** IsInf (opset 10). */
    public static void IsInf(OnnxNode n) { n.emit(Ops.IS_INF, List.of(n.input(0)), n.attrs("detect_negative", "detect_positive")); }

    /** Sign (opset 9). */
    public static void Sign(OnnxNode n) { ElementwiseMappings.unary(n, Ops.SIGN); }

    /** Round (opset 11): halves to even. */
    public static void Round(OnnxNode n) { ElementwiseMappings.unary(n, Ops.ROUND); }
}
