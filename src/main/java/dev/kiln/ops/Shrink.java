package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;

/** {@code y = x < -lambd ? x + bias : x > lambd ? x - bias : 0} (lambd defaults to 0.5, bias to 0). */
public final class Shrink extends UnaryFloatOp {
    public Shrink() {
        super("shrink", Signature.builder().input("input").output("output")
                .attr("bias", AttrType.FLOAT, 0.0).attr("lambd", AttrType.FLOAT, 0.5).build(), Trait.ACTIVATION);
    }

    @Override
    public String summary() { return "x < -lambd ? x + bias : x > lambd ? x - bias : 0"; }

    @Override
    protected double apply(double x, Attrs a) {
        double l = a.getFloat("lambd"), b = a.getFloat("bias");
        return x < -l ? x + b : x > l ? x - b : 0;
    }
}
