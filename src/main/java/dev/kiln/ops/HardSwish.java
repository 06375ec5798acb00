package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = x * max(0, min(1, x / 6 + 0.5))}. */
public final class HardSwish extends UnaryFloatOp {
    /** ONNX defines HardSwish as {@code x * HardSigmoid(x)} with alpha = 1/6 (as a float) and beta = 0.5. */
    private static final double ONE_SIXTH = 1.0f / 6.0f;

    public HardSwish() { super("hard_swish", Trait.ACTIVATION, Trait.QUANTIZABLE); }

    @Override
    public String summary() { return "x * max(0, min(1, x / 6 + 0.5))"; }

    @Override
    protected double apply(double x, Attrs a) { return x * Math.max(0.0, Math.min(1.0, x * ONE_SIXTH + 0.5)); }
}
