package dev.kiln.passes;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps an imported block-quantized int4 or uint4 weight packed: {@code gemm(A, DequantizeLinear(Q, S, Z, block_size), C)}
 * and {@code matmul(A, DequantizeLinear(Q, S, Z, block_size))}, Q a constant int4 or uint4 weight, Z its optional
 * constant zero points, and blocks along the product's reduction axis, become {@code dequant_gemm(A, Q, S, C, Z)}. Otherwise constant
 * folding would turn Q into a float weight (four bytes a weight instead of half a byte) and the blocked grid would be
 * lost. The result is the same numbers: dequant_gemm's reference is the dequantized float32 weights times A.
 * Likewise a 2-D {@code conv(X, DequantizeLinear(Q, S, Z, block_size), B)}, grouped and depthwise ones included, with
 * blocks along the input channels (axis 1 of Q [M, C / group, kh, kw]) becomes {@code dequant_conv(X, Q, S, B, Z)}
 * with the conv's window attributes and group, unless packed it would take no fewer bytes than the float weight: a
 * depthwise conv's blocks (one channel of a group) hold one weight each, so each needs a float scale of its own and
 * the dequantized float weight, the same numbers, is smaller.
 */
public final class KeepBlockedWeightsPacked implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (n.op() == Ops.CONV) {
                changed |= keepConv(g, n, cx);
                continue;
            }
            if (n.op() != Ops.GEMM && n.op() != Ops.MATMUL) continue;
            Node dq = n.input(1).producer();
            if (dq == null || dq.op() != Ops.DEQUANTIZE_LINEAR) continue;
            String why = unfit(g, n, dq);
            if (why != null) {
                cx.skip(n.name(), why);
                continue;
            }
            boolean tb = n.op() == Ops.GEMM && n.attrs().getInt("trans_b", 0) != 0;
            List<Value> ins = new ArrayList<>(List.of(n.input(0), dq.input(0), dq.input(1)));
            Value bias = n.op() == Ops.GEMM ? n.input(2) : null, zp = dq.input(2);
            Value out = n.output(0);
            Node add = n.op() == Ops.MATMUL ? biasAdd(g, out) : null;
            if (add != null) {
                // matmul(A, dequantize(Q, S, Z)) + C -> dequant_gemm(A, Q, S, C, Z)
                bias = add.input(add.input(0) == out ? 1 : 0);
                g.replaceAllUses(add.output(0), out);
                String addName = add.output(0).name();
                g.removeNode(add);
                g.renameValue(out, addName);
            }
            if (bias != null || zp != null) ins.add(bias);
            if (zp != null) ins.add(zp);
            // gemm(A, dequantize(Q, S, Z), C) -> dequant_gemm(A, Q, S, C, Z)
            String name = out.name();
            g.renameValue(out, g.uniqueValueName(name + "_unpacked"));
            Node fused = g.insertNode(g.nodes().indexOf(n), Ops.DEQUANT_GEMM, g.uniqueNodeName(n.name() + "_int4"), ins,
                    Attrs.of("trans_b", tb ? 1L : 0L, "block_size", dq.attrs().getInt("block_size")), List.of(name));
            g.replaceAllUses(out, fused.output(0));
            g.removeNode(n);
            if (dq.output(0).uses().isEmpty()) g.removeNode(dq);
            changed = true;
        }
        if (changed) g.removeUnusedConstants();
        return changed;
    }

    /** conv(X, dequantize(Q, S, Z), B) -> dequant_conv(X, Q, S, B, Z) when it fits; whether it was rewritten. */
    private static boolean keepConv(Graph g, Node n, PassContext cx) {
        Node dq = n.input(1).producer();
        if (dq == null || dq.op() != Ops.DEQUANTIZE_LINEAR) return false;
        String why = unfitWeight(dq);
        Value q = dq.input(0);
        // why: the kernels walk a 2-D window over a group's input channels; blocks along them
        if (why == null && (q.shape().rank() != 4 || n.input(0).shape().rank() != 4)) why = "it is not a 2-D convolution";
        if (why == null && q.shape().axis(dq.attrs().getInt("axis", 1)) != 1) why = "its blocks do not run along the input channels";
        // why: dequant_conv has no residual input nor fused activation
        if (why == null && (n.input(3) != null || n.attrs().has(dev.kiln.ops.FusedActivation.ACTIVATION))) why = "it carries a fused residual or activation";
        if (why == null && n.input(2) != null && n.input(2).dtype() != DType.F32) why = "its bias is not float32";
        if (why == null && !Rewrites.onlyUser(g, dq.output(0), n)) why = "its dequantized weight has other readers";
        if (why == null) why = largerPacked(q, dq.input(1), dq.input(2));
        if (why != null) {
            cx.skip(n.name(), why);
            return false;
        }
        Value zp = dq.input(2);
        List<Value> ins = new ArrayList<>(List.of(n.input(0), q, dq.input(1)));
        if (n.input(2) != null || zp != null) ins.add(n.input(2));
        if (zp != null) ins.add(zp);
        Attrs a = Attrs.of("block_size", dq.attrs().getInt("block_size"));
        for (String k : new String[] {"kernel_shape", "strides", "dilations", "pads", "group"})
            if (n.attrs().has(k)) a = a.with(k, n.attrs().get(k));
        Value out = n.output(0);
        String name = out.name();
        g.renameValue(out, g.uniqueValueName(name + "_unpacked"));
        Node fused = g.insertNode(g.nodes().indexOf(n), Ops.DEQUANT_CONV, g.uniqueNodeName(n.name() + "_int4"), ins, a, List.of(name));
        g.replaceAllUses(out, fused.output(0));
        g.removeNode(n);
        if (dq.output(0).uses().isEmpty()) g.removeNode(dq);
        return true;
    }

    /**
     * Why weight q with scales s and zero points z (may be null) is better folded to float, when packed (Q and Z half a
     * byte each, a float scale a block) it would take at least the float weight's bytes; else null.
     */
    private static String largerPacked(Value q, Value s, Value z) {
        long packed = q.type().byteSize() + s.type().byteSize() + (z == null ? 0 : z.type().byteSize()), asFloat = 4 * q.shape().numel();
        if (packed < asFloat) return null;
        return String.format("packed it would take %d bytes against %d as a float weight (%d weight(s) a scale), which holds the same numbers",
                packed, asFloat, q.shape().numel() / s.shape().numel());
    }

    /**
     * The add that is the only reader of matmul output {@code out} and adds one float constant per column (a bias
     * dequant_gemm can take as its C), or null.
     */
    private static Node biasAdd(Graph g, Value out) {
        if (out.uses().size() != 1 || g.outputs().contains(out)) return null;
        Node add = out.uses().get(0).user();
        if (add.op() != Ops.ADD || add.numInputs() != 2 || add.input(0) == add.input(1)) return null;
        Value c = add.input(add.input(0) == out ? 1 : 0);
        int cols = out.shape().dim(1);
        // why: only a constant per-column float bias keeps Y's shape and dequant_gemm's meaning
        boolean perColumn = c.isConstant() && c.dtype() == DType.F32 && c.shape().numel() == cols
                && (c.shape().rank() == 1 || c.shape().rank() == 2 && c.shape().dim(0) == 1);
        return perColumn && add.output(0).shape().equals(out.shape()) ? add : null;
    }

    /** Why the weight that {@code dq} dequantizes is not a blocked constant int4/uint4 one with float32 output, or null. */
    private static String unfitWeight(Node dq) {
        Value q = dq.input(0), s = dq.input(1), z = dq.input(2);
        // why: only a constant int4 or uint4 weight has packed bytes to keep
        if (!q.isConstant() || q.dtype() != DType.I4 && q.dtype() != DType.U4 || !s.isConstant() || s.dtype() != DType.F32)
            return "its weight is not a constant int4 or uint4 one";
        // why: the kernels read the zero points as constants of the weight's type, one per block
        if (z != null && (!z.isConstant() || z.dtype() != q.dtype() || !z.shape().equals(s.shape()))) return "its zero points are not constants of its type, one per block";
        if (dq.attrs().getInt("block_size", 0) <= 0 || dq.output(0).dtype() != DType.F32) return "its weight is not blocked float32";
        return null;
    }

    /** Why product {@code n} over dequantized weight {@code dq} does not fit dequant_gemm, or null when it does. */
    private static String unfit(Graph g, Node n, Node dq) {
        String why = unfitWeight(dq);
        if (why != null) return why;
        Value q = dq.input(0);
        if (q.shape().rank() != 2 || n.input(0).shape().rank() != 2 || dq.output(0).dtype() != DType.F32)
            return "its weight is not a blocked float32 matrix";
        boolean gemm = n.op() == Ops.GEMM, tb = gemm && n.attrs().getInt("trans_b", 0) != 0;
        // why: the kernel sums each block along K, so the blocks must lie along the reduction axis
        if (q.shape().axis(dq.attrs().getInt("axis", 1)) != (tb ? 1 : 0)) return "its blocks do not run along the reduction axis";
        // why: the dequantized weight disappears, so nobody else may read it
        if (!Rewrites.onlyUser(g, dq.output(0), n)) return "its dequantized weight has other readers";
        if (gemm) {
            if (n.attrs().getInt("trans_a", 0) != 0 || n.attrs().getFloat("alpha", 1.0) != 1.0) return "it transposes or scales A";
            Value c = n.input(2);
            int cols = n.output(0).shape().dim(1);
            if (c != null && (n.attrs().getFloat("beta", 1.0) != 1.0 || c.dtype() != DType.F32 || c.shape().numel() != cols
                    || !(c.shape().rank() == 1 || c.shape().rank() == 2 && c.shape().dim(0) == 1)))
                return "its C is not one bias per column";
            if (n.attrs().has(dev.kiln.ops.FusedActivation.ACTIVATION)) return "it carries a fused activation";
        }
        return null;
    }
}
