package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * {@code c = a mod b} with broadcasting. With {@code fmod} = 0 the remainder takes the divisor's sign, as
 * Python's {@code %} and numpy's {@code mod} (a zero remainder is a zero of the divisor's sign; opset 28 allows it
 * on floats); with {@code fmod} = 1 it takes the dividend's sign, as C's {@code fmod} and {@code %}. An integer
 * remainder by zero is the dividend, as {@link IntegerSemantics} says.
 */
public final class Mod extends BinaryOp {
    public Mod() {
        super("mod", Signature.builder().input("A", "B").output("C").attr("fmod", AttrType.INT, 0L).build());
    }

    @Override
    public String summary() { return "remainder: divisor's sign (fmod=0) or dividend's sign (fmod=1)"; }

    @Override
    protected boolean accepts(DType t) { return t != DType.BOOL; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        long f = cx.attrs().getInt("fmod");
        cx.check(f == 0 || f == 1, "fmod must be 0 or 1, got %d", f);
        return super.infer(cx);
    }

    @Override
    protected double applyFloat(double a, double b) { throw new IllegalStateException("mod needs its attributes"); }

    @Override
    protected double applyFloat(double a, double b, Attrs attrs) {
        double r = a % b;
        if (attrs.getInt("fmod") == 1) return r;
        if (r == 0) return Math.copySign(0.0, b);
        return (r < 0) != (b < 0) ? r + b : r;
    }

    @Override
    protected long applyInt(long a, long b) { throw new IllegalStateException("mod needs its attributes"); }

    @Override
    protected long applyInt(long a, long b, DType t, Attrs attrs) {
        // why: fmod and floor mod agree on unsigned values; x mod 0 is x as IntegerSemantics says
        if (t == DType.U64) return b == 0 ? a : Long.remainderUnsigned(a, b);
        return attrs.getInt("fmod") == 1 ? IntegerSemantics.rem(a, b) : IntegerSemantics.floorRem(a, b);
    }
}
