package dev.kiln.passes;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;

/**
 * Fuses a constant pad of the spatial axes into the conv or pool that reads it, adding its amounts to the
 * consumer's {@code pads}, so the padded tensor is never stored. Which pad values a consumer can absorb:
 * <ul>
 * <li>conv: 0 (its pads read zero);</li>
 * <li>average_pool: 0, when the pool counts pads in its divisor ({@code count_include_pad = 1}), or when it has no
 * pads of its own (it then starts counting pads, which are exactly the pad's zeros);</li>
 * <li>max_pool: -inf, which never wins a max; only without ceil_mode and with every new pad shorter than the
 * dilated window, so no window lies wholly in padding (max_pool gives NaN for such a window, where -inf elements
 * would give -inf). The one other difference: a window whose real elements are all NaN gives NaN (skipped
 * elements, empty window) where the padded tensor gave -inf.</li>
 * </ul>
 */
public final class FusePad implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (Node pad : new ArrayList<>(g.nodes())) {
            if (pad.op() != Ops.PAD) continue;
            Value out = pad.output(0);
            // why: the consumer absorbs the pad, so it must be the pad's only reader
            if (out.uses().size() != 1 || g.outputs().contains(out)) {
                cx.skip(pad.name(), "its output has several readers");
                continue;
            }
            Node c = out.uses().get(0).user();
            // why: convs and pools pad their data input only
            if (out.uses().get(0).index() != 0 || !(c.op() == Ops.CONV || c.op() == Ops.AVERAGE_POOL || c.op() == Ops.MAX_POOL)) {
                cx.skip(pad.name(), "its reader " + c.name() + " is not the data input of a conv or pool");
                continue;
            }
            // why: edge, reflect and wrap pads copy data, which no consumer's pads can do
            if (!pad.attrs().getString("mode").equals("constant")) {
                cx.skip(pad.name(), "mode " + pad.attrs().getString("mode") + " is not constant");
                continue;
            }
            int r = out.shape().rank();
            long[] p = pad.attrs().getInts("pads");
            String why = null;
            for (int a = 0; a < r && why == null; a++) {
                // why: consumers pad spatial axes only, and only by adding (negative pads crop)
                if (a < 2 && (p[a] != 0 || p[a + r] != 0)) why = "it pads the batch or channel axis";
                else if (p[a] < 0 || p[a + r] < 0) why = "it crops (negative pads)";
            }
            int s = r - 2;
            long[] old = c.attrs().getIntsOrNull("pads");
            long[] now = new long[2 * s];
            for (int i = 0; i < s; i++) {
                now[i] = p[2 + i] + (old == null ? 0 : old[i]);
                now[s + i] = p[2 + i + r] + (old == null ? 0 : old[s + i]);
            }
            Attrs na = c.attrs().with("pads", now);
            double v = pad.attrs().getFloat("value");
            if (why == null) why = c.op() == Ops.MAX_POOL ? maxPool(c, v, now) : c.op() == Ops.AVERAGE_POOL ? averagePool(c, v, old) : v == 0 ? null : "it pads with " + v + ", not 0";
            if (why != null) {
                cx.skip(pad.name(), why);
                continue;
            }
            // why: an average pool without pads starts counting them, which are exactly the pad's zeros
            if (c.op() == Ops.AVERAGE_POOL) na = na.with("count_include_pad", 1L);
            // conv(pad(x, p), w) -> conv(x, w, pads = pads + p)
            c.setAttrs(na);
            c.setInput(0, pad.input(0));
            g.removeNode(pad);
            changed = true;
        }
        return changed;
    }

    private static String averagePool(Node c, double v, long[] old) {
        if (v != 0) return "it pads with " + v + ", not 0";
        boolean ownPads = old != null && java.util.Arrays.stream(old).anyMatch(x -> x != 0);
        if (c.attrs().getInt("count_include_pad") != 1 && ownPads) return c.name() + " has pads of its own that it does not count";
        return null;
    }

    private static String maxPool(Node c, double v, long[] pads) {
        if (v != Double.NEGATIVE_INFINITY) return "it pads with " + v + ", which may win a max (only -inf is safe)";
        if (c.attrs().getInt("ceil_mode") != 0) return c.name() + " uses ceil_mode, whose last window may lie in the padding";
        long[] k = c.attrs().getIntsOrNull("kernel_shape");
        if (k == null) return c.name() + " has no kernel_shape";
        long[] d = c.attrs().getIntsOrNull("dilations");
        int s = k.length;
        for (int i = 0; i < s; i++) {
            long ext = (k[i] - 1) * (d == null ? 1 : d[i]) + 1;
            if (pads[i] >= ext || pads[s + i] >= ext) return "a window would lie wholly in the padding of axis " + i;
        }
        return null;
    }
}
