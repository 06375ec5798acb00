package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;

/** {@code y = x < 0 ? alpha * (e^x - 1) : x} (alpha defaults to 1). */
public final class Elu extends UnaryFloatOp {
    public Elu() {
        super("elu", Signature.builder().input("X").output("Y").attr("alpha", AttrType.FLOAT, 1.0).build(), Trait.ACTIVATION);
    }

    @Override
    public String summary() { return "x < 0 ? alpha * (e^x - 1) : x"; }

    @Override
    protected double apply(double x, Attrs a) { return x < 0 ? a.getFloat("alpha") * Math.expm1(x) : x; }
}
