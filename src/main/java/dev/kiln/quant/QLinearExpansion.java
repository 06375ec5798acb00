package dev.kiln.quant;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rewrites ONNX's QOperator ops into the QDQ form, so one set of patterns reads both kinds of quantized model:
 * {@code qlinear_conv(x, sx, zx, w, sw, zw, sy, zy, B)} becomes
 * {@code quantize(conv(dequantize(x), dequantize(w), dequantize(B, sx * sw)), sy, zy)} and
 * {@code qlinear_matmul(a, sa, za, b, sb, zb, sy, zy)} becomes {@code quantize(matmul(dequantize(a), dequantize(b)), sy, zy)}.
 * The dequantized weights are constant-only subgraphs the QDQ patterns fold. The float form computes the
 * same real values as the integer op's definition, up to float rounding before the final quantize.
 */
public final class QLinearExpansion {
    private QLinearExpansion() {}

    /** Whether {@code n} is a QOperator op this class expands. */
    public static boolean expandable(Node n) {
        return n.op() == Ops.QLINEAR_CONV || n.op() == Ops.QLINEAR_MATMUL;
    }

    /**
     * Expands QOperator node {@code n} in place (its output keeps its name and uses) and returns null, or returns
     * why it cannot (then the graph is unchanged).
     */
    public static String expand(Graph g, Node n) {
        if (n.op() == Ops.QLINEAR_CONV) return expandConv(g, n);
        if (n.op() == Ops.QLINEAR_MATMUL) return expandMatMul(g, n);
        return n.op().name() + " is not a QOperator op this pass expands";
    }

    private static String expandConv(Graph g, Node n) {
        // why: the activation's grid must be known at compile time to become an annotation
        String why = perTensorConstants(n, 1, 2, 6, 7);
        if (why != null) return why;
        // why: the weights and their scales must be constants to become quantized weights
        for (int i : new int[] {3, 4, 5, 8}) if (n.input(i) != null && !n.input(i).isConstant())
            return "input " + n.op().signature().inputName(i) + " is not a constant";
        // qlinear_conv(x, sx, zx, w, sw, zw, sy, zy, B) -> quantize(conv(dq(x), dq(w), dq(B, sx * sw)), sy, zy)
        int at = g.nodes().indexOf(n);
        String base = n.name();
        Value x = dq(g, at++, base + "_x", n.input(0), n.input(1), n.input(2), 1);
        Value w = dq(g, at++, base + "_w", n.input(3), n.input(4), n.input(5), 0);
        List<Value> ins = new ArrayList<>(List.of(x, w));
        if (n.input(8) != null) {
            Value bs = g.addConstant(base + "_bias_scale", QdqPatterns.productScale(n.input(1).constant(), perChannel(n.input(4), n.input(3).shape().dim(0))));
            ins.add(dq(g, at++, base + "_bias", n.input(8), bs, null, 0));
        }
        Value y = g.insertNode(at++, Ops.CONV, base + "_float", ins, n.attrs(), List.of(g.uniqueValueName(base + "_float"))).output(0);
        replaceWithQuantize(g, n, at, y, n.input(6), n.input(7));
        return null;
    }

    private static String expandMatMul(Graph g, Node n) {
        // why: the activation's grid must be known at compile time to become an annotation
        String why = perTensorConstants(n, 1, 2, 6, 7);
        if (why != null) return why;
        Value b = n.input(3);
        // why: a quantized weight is a constant [K, N] matrix with one scale per column or per tensor
        if (!b.isConstant() || b.shape().rank() != 2) return "b is not a constant 2-D weight";
        for (int i : new int[] {4, 5}) {
            Value p = n.input(i);
            if (p != null && (!p.isConstant() || (p.shape().numel() != 1 && p.shape().numel() != b.shape().dim(1))))
                return "input " + n.op().signature().inputName(i) + " is not a constant per tensor or per column";
        }
        // qlinear_matmul(a, sa, za, b, sb, zb, sy, zy) -> quantize(matmul(dq(a), dq(b)), sy, zy)
        int at = g.nodes().indexOf(n);
        String base = n.name();
        Value a = dq(g, at++, base + "_a", n.input(0), n.input(1), n.input(2), 1);
        Value bf = dq(g, at++, base + "_b", b, flat(g, n.input(4)), flat(g, n.input(5)), 1);
        Value y = g.insertNode(at++, Ops.MATMUL, base + "_float", List.of(a, bf), Attrs.EMPTY, List.of(g.uniqueValueName(base + "_float"))).output(0);
        replaceWithQuantize(g, n, at, y, n.input(6), n.input(7));
        return null;
    }

    /** Null when inputs {@code idx} of {@code n} (absent zero points allowed) are constants holding one value, else why not. */
    private static String perTensorConstants(Node n, int... idx) {
        for (int i : idx) {
            Value v = n.input(i);
            boolean optional = n.op().signature().inputName(i).endsWith("zero_point");
            if (v == null && optional) continue;
            if (v == null || !v.isConstant() || v.shape().numel() != 1)
                return "input " + n.op().signature().inputName(i) + " is not a constant scalar";
        }
        return null;
    }

    /** A 1-element parameter as a scalar-shaped one, a per-column one as 1-D (null stays null). */
    private static Value flat(Graph g, Value p) {
        if (p == null || p.shape().rank() <= 1) return p;
        return g.addConstant(p.name() + "_flat", p.constant().reshape(dev.kiln.ir.Shape.of(p.shape().size())));
    }

    /** The per-channel scale {@code s} as {@code m} values (a single scale repeated). */
    private static dev.kiln.ir.NdArray perChannel(Value s, int m) {
        dev.kiln.ir.NdArray a = s.constant();
        if (a.size() == m) return a;
        float[] f = new float[m];
        Arrays.fill(f, a.getFloat(0));
        return dev.kiln.ir.NdArray.ofFloats(dev.kiln.ir.Shape.of(m), f);
    }

    private static Value dq(Graph g, int at, String name, Value q, Value scale, Value zp, long axis) {
        List<Value> ins = new ArrayList<>(Arrays.asList(q, scale, zp));
        if (zp == null) ins.remove(2);
        Attrs a = scale.shape().numel() == 1 ? Attrs.EMPTY : Attrs.of("axis", axis);
        return g.insertNode(at, (OpDef) Ops.DEQUANTIZE_LINEAR, g.uniqueNodeName(name + "_DequantizeLinear"), ins, a,
                List.of(g.uniqueValueName(name + "_dequantized"))).output(0);
    }

    /** Replaces {@code n} by {@code quantize(y, scale, zp)} inserted at {@code at}; the new output takes n's name and uses. */
    private static void replaceWithQuantize(Graph g, Node n, int at, Value y, Value scale, Value zp) {
        List<Value> ins = new ArrayList<>(Arrays.asList(y, scale, zp));
        if (zp == null) ins.remove(2);
        Value old = n.output(0);
        String name = old.name();
        Value q = g.insertNode(at, Ops.QUANTIZE_LINEAR, g.uniqueNodeName(n.name() + "_QuantizeLinear"), ins, Attrs.EMPTY,
                List.of(g.uniqueValueName(name + "_requantized"))).output(0);
        g.replaceAllUses(old, q);
        g.removeNode(n);
        g.renameValue(q, name);
    }
}
