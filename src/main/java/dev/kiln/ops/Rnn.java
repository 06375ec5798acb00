package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/**
 * ONNX's simple recurrent network: {@code H_t = f(clip(X_t W^T + H_{t-1} R^T + Wb + Rb))} per direction, f Tanh
 * by default. The shared inputs, outputs, attributes and time loop are {@link Recurrent}'s.
 */
public final class Rnn extends Recurrent {
    public Rnn() { super("rnn", common(false).build(), 1, "tanh"); }

    @Override
    public String summary() { return "simple recurrent network (ONNX RNN): every direction, activation, clip, layout, sequence_lens"; }

    @Override
    protected void step(double[] xw, double[] hr, double[] h, double[] c, double[] peep, Functions fn, double clip, Attrs a, Recurrence rec) {
        for (int k = 0; k < h.length; k++) h[k] = fn.apply(0, clip(xw[k] + hr[k], clip));
    }
}
