package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Reinterprets each element's bits as the element type named by {@code to} (a Kiln short type name), as ONNX's
 * BitCast (opset 26) does: the two types have the same width, the shape is kept, no value is converted (an f32
 * 1.0 becomes the i32 1065353216). Bits are taken little-endian, as the spec says. Types: f32, f64, bool and the
 * 8- to 64-bit integers.
 */
public final class BitCast extends OpDef {
    public BitCast() {
        super("bit_cast", Signature.builder().input("X").output("Y").requiredAttr("to", AttrType.STRING).build());
    }

    @Override
    public String summary() { return "reinterprets each element's bits as type 'to' of the same width"; }

    private static boolean handled(DType t) { return t == DType.F32 || t == DType.F64 || t == DType.BOOL || (t.isInteger() && t.bits() >= 8); }

    @Override
    public List<TensorType> infer(InferContext cx) {
        DType from = cx.dtype(0), to = DType.fromShortName(cx.attrs().getString("to"));
        cx.check(to != null, "unknown element type '%s' in attribute 'to'", cx.attrs().getString("to"));
        cx.check(handled(from) && handled(to), "bit_cast handles f32, f64, bool and 8- to 64-bit integers, got %s to %s", from, to);
        cx.check(from.bits() == to.bits(), "%s has %d bits and %s %d: bit_cast needs types of the same width", from, from.bits(), to, to.bits());
        return List.of(new TensorType(to, cx.shape(0)));
    }

    /** The bits of element i of {@code a}, zero-extended to 64. */
    static long bits(NdArray a, int i) {
        DType t = a.dtype();
        if (t == DType.F32) return Float.floatToRawIntBits(a.floats()[i]) & 0xFFFFFFFFL;
        if (t == DType.F64) return Double.doubleToRawLongBits(a.doubles()[i]);
        long v = a.longs()[i];
        return t.bits() == 64 ? v : v & ((1L << t.bits()) - 1);
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), y = cx.newOutput(0);
        DType to = y.dtype();
        for (int i = 0; i < x.size(); i++) {
            long b = bits(x, i);
            if (to == DType.F32) y.floats()[i] = Float.intBitsToFloat((int) b);
            else if (to == DType.F64) y.doubles()[i] = Double.longBitsToDouble(b);
            else y.longs()[i] = to == DType.BOOL ? b : to.wrap(b);
        }
        return List.of(y);
    }
}
