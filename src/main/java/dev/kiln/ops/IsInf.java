package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;

/** {@code y = isinf(x)}: true where x is +inf (if {@code detect_positive}) or -inf (if {@code detect_negative}). */
public final class IsInf extends FloatTest {
    public IsInf() {
        super("is_inf", Signature.builder().input("X").output("Y")
                .attr("detect_negative", AttrType.INT, 1L).attr("detect_positive", AttrType.INT, 1L).build());
    }

    @Override
    public String summary() { return "x is +inf or -inf, as detect_positive/detect_negative select (bool result)"; }

    @Override
    protected boolean test(double x, Attrs a) {
        return x == Double.POSITIVE_INFINITY && a.getInt("detect_positive") != 0 || x == Double.NEGATIVE_INFINITY && a.getInt("detect_negative") != 0;
    }
}
