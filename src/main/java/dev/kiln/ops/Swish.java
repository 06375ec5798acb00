package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;

/** {@code y = x * sigmoid(alpha * x)} (alpha defaults to 1; SiLU when alpha is 1). */
public final class Swish extends UnaryFloatOp {
    public Swish() {
        super("swish", Signature.builder().input("X").output("Y").attr("alpha", AttrType.FLOAT, 1.0).build(),
                Trait.ACTIVATION, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "x * sigmoid(alpha * x)"; }

    @Override
    protected double apply(double x, Attrs a) { return x * Sigmoid.sigmoid(a.getFloat("alpha") * x); }
}
