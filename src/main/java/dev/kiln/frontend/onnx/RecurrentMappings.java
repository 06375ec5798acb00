package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ops.Ops;
import dev.kiln.ops.Recurrent;
import java.util.Locale;

/**
 * ONNX's recurrent ops (RNN, GRU, LSTM) onto Kiln's {@link Recurrent} ops, every attribute of the spec kept. The
 * activation names are lower-cased and, when a bidirectional node lists one direction's, repeated for the other
 * (as ONNX Runtime does); {@code activation_alpha} and {@code activation_beta} are consumed in order by the
 * functions that take them and stored one per function, defaults filled in.
 */
public final class RecurrentMappings {
    private RecurrentMappings() {}

    /** Opset 7/14/22 RNN. */
    public static void RNN(OnnxNode n) { map(n, Ops.RNN); }

    /** Opset 7/14/22 GRU; linear_before_reset kept. */
    public static void GRU(OnnxNode n) { map(n, Ops.GRU); }

    /** Opset 7/14/22 LSTM; input_forget and peepholes kept. */
    public static void LSTM(OnnxNode n) { map(n, Ops.LSTM); }

    private static void map(OnnxNode n, Recurrent op) {
        String dir = n.attrString("direction", "forward");
        if (!dir.equals("forward") && !dir.equals("reverse") && !dir.equals("bidirectional"))
            throw n.error("direction must be forward, reverse or bidirectional, got '%s'", dir);
        int dirs = dir.equals("bidirectional") ? 2 : 1;
        Attrs a = Attrs.of("hidden_size", n.attrInt("hidden_size", 0), "direction", dir, "clip", clip(n), "layout", n.attrInt("layout", 0));
        if (n.opset() < 14 && n.attrInt("layout", 0) != 0) throw n.error("attribute 'layout' exists from opset 14 on");
        if (op == Ops.GRU) a = a.with("linear_before_reset", n.attrInt("linear_before_reset", 0));
        if (op == Ops.LSTM) a = a.with("input_forget", n.attrInt("input_forget", 0));
        if (n.hasAttr("activations")) {
            String[] f = (String[]) n.attrs("activations").get("activations");
            int per = op.functions();
            String[] all = new String[per * dirs];
            if (f.length != per && f.length != per * dirs)
                throw n.error("activations must list %d function(s) per direction (%d in all), got %d", per, per * dirs, f.length);
            for (int i = 0; i < all.length; i++) {
                all[i] = f[i % f.length].toLowerCase(Locale.ROOT);
                if (!Recurrent.FUNCTIONS.containsKey(all[i]))
                    throw n.error("unknown activation function '%s' (known: %s)", f[i % f.length], new java.util.TreeSet<>(Recurrent.FUNCTIONS.keySet()));
            }
            a = a.with("activations", all);
            double[] alpha = n.attrFloats("activation_alpha"), beta = n.attrFloats("activation_beta");
            double[] ra = new double[all.length], rb = new double[all.length];
            int ia = 0, ib = 0;
            for (int i = 0; i < all.length; i++) {
                double[] dflt = Recurrent.FUNCTIONS.get(all[i]);
                ra[i] = Double.isNaN(dflt[0]) ? 0 : alpha != null && ia < alpha.length ? alpha[ia++] : dflt[0];
                rb[i] = Double.isNaN(dflt[1]) ? 0 : beta != null && ib < beta.length ? beta[ib++] : dflt[1];
            }
            a = a.with("activation_alpha", ra).with("activation_beta", rb);
        } else if (n.hasAttr("activation_alpha") || n.hasAttr("activation_beta")) {
            n.note("activation_alpha/activation_beta ignored: the default activation functions take none");
        }
        n.emit(op, n.inputs(), a);
    }

    private static double clip(OnnxNode n) {
        if (!n.hasAttr("clip")) return 0.0;
        double c = n.attrFloat("clip", 0);
        if (!(c > 0)) throw n.error("clip must be positive, got %s", c);
        return c;
    }
}
