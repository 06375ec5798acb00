package dev.kiln.report;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Node;
import dev.kiln.ops.FusedActivation;
import dev.kiln.ops.FusedElementwise;
import dev.kiln.ops.SeparableConv;
import java.util.List;

/**
 * What a node fused: its title ({@code conv + relu + residual}) and, for ops made of several ops
 * (separable_conv, fused_elementwise), its members in order. Read from the fusion attributes and the signature's
 * residual input, so a new fused op with the same attributes is described without changes here.
 */
final class Fusion {
    private Fusion() {}

    /** The op name followed by the fused activation and residual, e.g. {@code conv + relu + residual}. */
    static String title(Node n) {
        StringBuilder s = new StringBuilder(n.op().name());
        String act = activation(n, FusedActivation.ACTIVATION);
        if (!act.isEmpty()) s.append(" + ").append(act);
        if (FusedActivation.residualInput(n) >= 0) s.append(" + residual");
        return s.toString();
    }

    /** Whether the node fused anything (an activation, a residual input or several ops). */
    static boolean fused(Node n) { return !title(n).equals(n.op().name()) || !members(n).isEmpty(); }

    /** The member ops of a multi-op node in order, joined by arrows ({@code "depthwise + relu → pointwise"}), or "". */
    static String members(Node n) {
        Attrs a = n.attrs();
        if (n.op().signature().attrs().containsKey(FusedElementwise.STEPS) && a.has(FusedElementwise.STEPS))
            return String.join(" \u2192 ", List.of(a.getStrings(FusedElementwise.STEPS)));
        if (n.op().signature().attrs().containsKey(SeparableConv.DW_ACTIVATION)) {
            String dw = activation(n, SeparableConv.DW_ACTIVATION), act = activation(n, FusedActivation.ACTIVATION);
            return "depthwise" + (dw.isEmpty() ? "" : " + " + dw) + " \u2192 pointwise" + (act.isEmpty() ? "" : " + " + act);
        }
        return "";
    }

    private static String activation(Node n, String attr) {
        Object v = n.attrs().get(attr);
        return v instanceof String s ? s : "";
    }
}
