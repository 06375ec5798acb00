package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = round(x)} to the nearest integer, halves to even (as ONNX and IEEE's roundeven). */
public final class Round extends UnaryFloatOp {
    public Round() { super("round", Trait.ACTIVATION); }

    @Override
    public String summary() { return "nearest integer, halves to even"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.rint(x); }
}
