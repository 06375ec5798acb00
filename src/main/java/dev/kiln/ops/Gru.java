package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;

/**
 * ONNX's gated recurrent unit, gates z, r, h in that order: {@code z = f(.)}, {@code r = f(.)},
 * {@code h~ = g(X Wh^T + (r . H) Rh^T + Rbh + Wbh)} or, with {@code linear_before_reset},
 * {@code g(X Wh^T + Wbh + r . (H Rh^T + Rbh))}, then {@code H = (1 - z) . h~ + z . H}; f Sigmoid and g Tanh by
 * default. The shared inputs, outputs, attributes and time loop are {@link Recurrent}'s.
 */
public final class Gru extends Recurrent {
    public Gru() { super("gru", common(false).attr("linear_before_reset", AttrType.INT, 0L).build(), 3, "sigmoid", "tanh"); }

    @Override
    public String summary() { return "gated recurrent unit (ONNX GRU): every direction, activation, clip, layout, linear_before_reset"; }

    @Override
    protected void step(double[] xw, double[] hr, double[] h, double[] c, double[] peep, Functions fn, double clip, Attrs a, Recurrence rec) {
        int n = h.length;
        boolean lbr = a.getInt("linear_before_reset") != 0;
        double[] z = new double[n], rh = new double[n], hh = new double[n];
        for (int k = 0; k < n; k++) {
            z[k] = fn.apply(0, clip(xw[k] + hr[k], clip));
            rh[k] = fn.apply(0, clip(xw[n + k] + hr[n + k], clip)) * (lbr ? 1 : h[k]);
        }
        for (int k = 0; k < n; k++) {
            double pre = lbr ? xw[2 * n + k] + rh[k] * hr[2 * n + k] : xw[2 * n + k] + rec.row(2 * n + k, rh);
            hh[k] = fn.apply(1, clip(pre, clip));
        }
        for (int k = 0; k < n; k++) h[k] = (1 - z[k]) * hh[k] + z[k] * h[k];
    }
}
