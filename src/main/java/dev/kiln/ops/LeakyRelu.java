package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;

/** {@code y = x < 0 ? alpha * x : x} (alpha defaults to 0.01). */
public final class LeakyRelu extends UnaryFloatOp {
    public LeakyRelu() {
        super("leaky_relu", Signature.builder().input("X").output("Y").attr("alpha", AttrType.FLOAT, (double) 0.01f).build(),
                Trait.ACTIVATION, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "x < 0 ? alpha * x : x"; }

    @Override
    protected double apply(double x, Attrs a) { return x < 0 ? a.getFloat("alpha") * x : x; }
}
