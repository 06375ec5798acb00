package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * {@code z = x << y} ({@code direction} "LEFT") or {@code x >> y} ("RIGHT") on integer tensors with broadcasting
 * (unsigned from opset 11, signed too from opset 28). Bits shifted past the element type are lost; a right shift
 * of a signed type is arithmetic. A shift amount that is negative or at least the type's width shifts everything
 * out: 0, or for a signed right shift the sign (-1 for negative x).
 */
public final class BitShift extends BinaryOp {
    public BitShift() {
        super("bit_shift", Signature.builder().input("X", "Y").output("Z").requiredAttr("direction", AttrType.STRING).build());
    }

    @Override
    public String summary() { return "x << y or x >> y (direction LEFT/RIGHT) on integers (broadcasting)"; }

    @Override
    protected boolean accepts(DType t) { return t.isInteger(); }

    @Override
    public List<TensorType> infer(InferContext cx) {
        String d = cx.attrs().getString("direction");
        cx.check(d.equals("LEFT") || d.equals("RIGHT"), "direction must be \"LEFT\" or \"RIGHT\", got \"%s\"", d);
        return super.infer(cx);
    }

    @Override
    protected double applyFloat(double a, double b) { throw new IllegalStateException("bit_shift takes integer tensors only"); }

    @Override
    protected long applyInt(long a, long b) { throw new IllegalStateException("bit_shift needs its direction"); }

    @Override
    protected long applyInt(long a, long b, DType t, Attrs attrs) {
        boolean left = attrs.getString("direction").equals("LEFT");
        if (t == DType.U64) return b < 0 || b >= 64 ? 0 : left ? a << b : a >>> b;
        if (b < 0 || b >= t.bits()) return left || a >= 0 ? 0 : -1;
        return left ? a << b : a >> b;
    }
}
