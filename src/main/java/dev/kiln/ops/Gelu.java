package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Gaussian error linear unit. {@code approximate = "none"}: {@code y = x / 2 * (1 + erf(x / sqrt 2))};
 * {@code approximate = "tanh"}: {@code y = x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))}.
 */
public final class Gelu extends UnaryFloatOp {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    public Gelu() {
        super("gelu", Signature.builder().input("X").output("Y").attr("approximate", AttrType.STRING, "none").build(),
                Trait.ACTIVATION);
    }

    @Override
    public String summary() { return "x/2 * (1 + erf(x/sqrt2)), or its tanh approximation"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        String m = cx.attrs().getString("approximate");
        cx.check(m.equals("none") || m.equals("tanh"), "approximate must be \"none\" or \"tanh\", got \"%s\"", m);
        return super.infer(cx);
    }

    @Override
    protected double apply(double x, Attrs a) {
        if (a.getString("approximate").equals("tanh"))
            return 0.5 * x * (1.0 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
        // why: erfc keeps full relative precision for very negative x, where 1 + erf(x) cancels
        return 0.5 * x * Erf.erfc(-x / Math.sqrt(2.0));
    }
}
