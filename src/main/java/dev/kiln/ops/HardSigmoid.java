package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;

/** {@code y = max(0, min(1, alpha * x + beta))} (alpha defaults to 0.2, beta to 0.5). */
public final class HardSigmoid extends UnaryFloatOp {
    public HardSigmoid() {
        super("hard_sigmoid", Signature.builder().input("X").output("Y")
                .attr("alpha", AttrType.FLOAT, (double) 0.2f).attr("beta", AttrType.FLOAT, 0.5).build(),
                Trait.ACTIVATION, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "max(0, min(1, alpha * x + beta))"; }

    @Override
    protected double apply(double x, Attrs a) {
        double v = a.getFloat("alpha") * x + a.getFloat("beta");
        return Double.isNaN(v) ? v : Math.max(0.0, Math.min(1.0, v));
    }
}
