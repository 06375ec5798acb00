package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;

/** {@code y = x > alpha ? x : 0} (alpha defaults to 1). */
public final class ThresholdedRelu extends UnaryFloatOp {
    public ThresholdedRelu() {
        super("thresholded_relu", Signature.builder().input("X").output("Y").attr("alpha", AttrType.FLOAT, 1.0).build(), Trait.ACTIVATION);
    }

    @Override
    public String summary() { return "x > alpha ? x : 0"; }

    @Override
    protected double apply(double x, Attrs a) { return x > a.getFloat("alpha") ? x : 0; }
}
