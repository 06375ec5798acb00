package dev.kiln.passes;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.FusedActivation;
import dev.kiln.ops.Ops;
import dev.kiln.ops.SeparableConv;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Fuses a depthwise convolution (with or without a fused activation) and the 1×1 convolution that is its only
 * consumer into one {@code separable_conv}, whose kernel computes the intermediate tensor a row at a time in
 * scratch memory instead of storing it.
 *
 * <p>The fused kernel still needs its input and output live together, so fusing pays only where the intermediate
 * is larger than the input or the output (a depth multiplier above 1, or a 1×1 projection that narrows, as in
 * inverted residual blocks): with activations in NCHW and every tensor in its own arena block, the unfused pair
 * keeps {@code max(x + mid, mid + y)} bytes live and the fused one {@code x + y + row}. Only pairs whose live
 * bytes drop are fused; the others are reported as skipped with both numbers.
 */
public final class FuseDepthwisePointwise implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        Set<Node> removed = new HashSet<>();
        for (Node dw : new ArrayList<>(g.nodes())) {
            if (removed.contains(dw) || !isDepthwise(dw)) continue;
            Value mid = dw.output(0);
            // why: the intermediate disappears, so nothing else may read it
            if (mid.uses().size() != 1 || g.outputs().contains(mid)) {
                cx.skip(dw.name(), "depthwise output has " + mid.uses().size() + " uses" + (g.outputs().contains(mid) ? " and is a graph output" : ""));
                continue;
            }
            // why: a quantized model rounds and saturates the intermediate on its own grid; the fused kernel would skip
            // both, and the int8 lowering splits the pair again anyway
            if (cx.quant().get(mid) != null) {
                cx.skip(dw.name(), "its output " + mid.name() + " is quantized (the model rounds it to int8 before the 1x1 conv)");
                continue;
            }
            Node pw = mid.uses().get(0).user();
            String why = notPointwise(pw, mid);
            if (why != null) {
                cx.skip(dw.name(), "its consumer " + pw.name() + " " + why);
                continue;
            }
            long[] peak = peakBytes(g, dw, pw);
            // why: x and y are live together in the fused kernel; that only pays where the intermediate outweighs one of them
            if (peak[1] >= peak[0]) {
                cx.skip(dw.name(), "fusing with " + pw.name() + " would not lower the pair's live bytes (" + peak[0] + " -> " + peak[1]
                        + "): the intermediate is no larger than its input or output");
                continue;
            }
            // conv_dw(x, Wd, Bd) -> conv1x1(., Wp, Bp, Z)  ==>  separable_conv(x, Wd, Wp, Bd, Bp, Z)
            Attrs a = SeparableConv.pointwiseAttrs(pw.attrs()).without("group");
            for (String k : List.of("kernel_shape", "strides", "dilations", "pads")) if (dw.attrs().has(k)) a = a.with(k, dw.attrs().get(k));
            if (FusedActivation.present(dw.attrs())) {
                a = a.with(SeparableConv.DW_ACTIVATION, dw.attrs().get(FusedActivation.ACTIVATION));
                if (dw.attrs().has(FusedActivation.PARAMS)) a = a.with(SeparableConv.DW_PARAMS, dw.attrs().get(FusedActivation.PARAMS));
            }
            Value out = pw.output(0);
            String outName = out.name();
            Node sep = g.insertNode(g.nodes().indexOf(pw), Ops.SEPARABLE_CONV, dw.name() + "_sep",
                    Arrays.asList(dw.input(0), dw.input(1), pw.input(1), dw.input(2), pw.input(2), pw.input(3)), a,
                    List.of(g.uniqueValueName(outName + "_sep")));
            g.replaceAllUses(out, sep.output(0));
            g.removeNode(pw);
            g.removeNode(dw);
            removed.add(pw);
            g.renameValue(sep.output(0), outName);
            cx.report(dw.name() + " + " + pw.name() + " -> separable_conv (intermediate " + mid.type() + " no longer stored; live bytes "
                    + peak[0] + " -> " + peak[1] + ")");
            changed = true;
        }
        return changed;
    }

    /**
     * The most bytes the pair keeps live in working memory, unfused ({@code max(x + mid, mid + y)}) and fused
     * ({@code x + y + one row of the intermediate}, the scratch a row-streaming kernel needs). Graph inputs and
     * outputs live in the caller's buffers and count 0.
     */
    private static long[] peakBytes(Graph g, Node dw, Node pw) {
        long x = working(g, dw.input(0)), mid = working(g, dw.output(0)), y = working(g, pw.output(0));
        Value m = dw.output(0);
        long row = m.type().byteSize() / ((long) m.shape().dim(0) * m.shape().prod(2, m.shape().rank() - 1));
        return new long[] {Math.max(x + mid, mid + y), x + y + row};
    }

    private static long working(Graph g, Value v) {
        return g.inputs().contains(v) || g.outputs().contains(v) || v.isConstant() ? 0 : v.type().byteSize();
    }

    /** A conv with one input channel per group and group = C_in, no residual. */
    private static boolean isDepthwise(Node n) {
        if (n.op() != Ops.CONV) return false;
        Value x = n.input(0), w = n.input(1);
        return x.shape().rank() >= 3 && n.attrs().getInt("group", 1) == x.shape().dim(1) && w.shape().dim(1) == 1 && n.input(3) == null;
    }

    /** Why {@code pw} is not a 1×1 conv (group 1, stride 1, no pads) reading {@code mid} as its data input, or null. */
    private static String notPointwise(Node pw, Value mid) {
        if (pw.op() != Ops.CONV) return "is not a conv";
        if (pw.input(0) != mid) return "reads the depthwise output as weights";
        if (pw.attrs().getInt("group", 1) != 1) return "is a grouped conv";
        int[] w = pw.input(1).shape().dims();
        for (int i = 2; i < w.length; i++) if (w[i] != 1) return "is not 1×1";
        for (String k : List.of("strides", "pads"))
            if (pw.attrs().has(k) && Arrays.stream(pw.attrs().getInts(k)).anyMatch(v -> v != (k.equals("strides") ? 1 : 0)))
                return "has " + k + " (the fused kernel writes the depthwise output grid as is)";
        return null;
    }
}
