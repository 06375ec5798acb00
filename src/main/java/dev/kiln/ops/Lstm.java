package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;

/**
 * ONNX's long short-term memory, gates i, o, f, c in that order, peepholes P as (i, o, f):
 * {@code i = f(. + Pi . C)}, {@code f = f(. + Pf . C)} (or {@code 1 - i} with {@code input_forget}),
 * {@code c~ = g(.)}, {@code C = f . C + i . c~}, {@code o = f(. + Po . C_new)}, {@code H = o . h(C)}; f Sigmoid,
 * g and h Tanh by default, clip bounding each gate's whole input. The shared inputs, outputs, attributes and time
 * loop are {@link Recurrent}'s.
 */
public final class Lstm extends Recurrent {
    public Lstm() { super("lstm", common(true).attr("input_forget", AttrType.INT, 0L).build(), 4, "sigmoid", "tanh", "tanh"); }

    @Override
    public String summary() { return "long short-term memory (ONNX LSTM): every direction, activation, clip, layout, peepholes, input_forget"; }

    @Override
    protected void step(double[] xw, double[] hr, double[] h, double[] c, double[] peep, Functions fn, double clip, Attrs a, Recurrence rec) {
        int n = h.length;
        boolean coupled = a.getInt("input_forget") != 0;
        for (int k = 0; k < n; k++) {
            double i = fn.apply(0, clip(xw[k] + hr[k] + peep[k] * c[k], clip));
            double f = coupled ? 1 - i : fn.apply(0, clip(xw[2 * n + k] + hr[2 * n + k] + peep[2 * n + k] * c[k], clip));
            double g = fn.apply(1, clip(xw[3 * n + k] + hr[3 * n + k], clip));
            c[k] = f * c[k] + i * g;
            double o = fn.apply(0, clip(xw[n + k] + hr[n + k] + peep[n + k] * c[k], clip));
            h[k] = o * fn.apply(2, c[k]);
        }
    }
}
