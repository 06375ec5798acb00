package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = isnan(x)}: a bool tensor, true where x is NaN. */
public final class IsNan extends FloatTest {
    public IsNan() { super("is_nan", Signature.builder().input("X").output("Y").build()); }

    @Override
    public String summary() { return "x is NaN (bool result)"; }

    @Override
    protected boolean test(double x, Attrs a) { return Double.isNaN(x); }
}
