package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * An element-wise function of an int8 (or uint8) tensor through a 256-entry table: {@code y = clamp(table[x -
 * min(type)], act_min, act_max)}. The table (INTS attribute {@code table}) is computed at compile time by
 * {@link #table} from any float element-wise op (sigmoid, tanh, hard_swish, leaky_relu, elu...) evaluated on the
 * 256 dequantized input values and quantized with the output parameters.
 */
public final class Qlookup extends OpDef {
    public Qlookup() {
        super("qlookup", QuantAttrs.addOut(Signature.builder().input("X").output("Y")).requiredAttr("table", AttrType.INTS).build(),
                Trait.ELEMENTWISE, Trait.INTEGER);
    }

    @Override
    public String summary() { return "int8 element-wise function through a 256-entry table computed at compile time"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        QuantAttrs.activation(cx, 0);
        long[] t = cx.attrs().getInts("table");
        cx.check(t.length == 256, "table must have 256 entries, got %d", t.length);
        for (long v : t) cx.check(v >= -128 && v <= 127, "table entries must be int8 values, got %d", v);
        return List.of(QuantAttrs.outType(cx, cx.shape(0)));
    }

    /**
     * The table of float element-wise op {@code fn} (with attributes {@code fnAttrs}) for inputs of type
     * {@code inType} with parameters {@code in}, quantized to {@code out} (round half to even, saturated to
     * int8): entry i is {@code q_out(fn(s_in * (i + min(inType) - z_in)))}. The function is computed by the op's
     * own evaluate, in float32.
     */
    public static long[] table(OpDef fn, Attrs fnAttrs, DType inType, QuantParams in, QuantParams out) {
        float[] xs = new float[256];
        for (int i = 0; i < 256; i++) xs[i] = in.scale(0) * (float) (i + inType.minValue() - in.zeroPoint(0));
        NdArray x = NdArray.ofFloats(Shape.of(256), xs);
        NdArray y = fn.evaluate(new EvalContext(fn.name(), List.of(x), fnAttrs, List.of(x.type()))).get(0);
        long[] t = new long[256];
        for (int i = 0; i < 256; i++) t[i] = Quantization.roundAndSaturate(y.getDouble(i) / out.scale(0), out.zeroPoint(0), DType.I8);
        return t;
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray xa = cx.input(0);
        long[] t = cx.attrs().getInts("table");
        long min = xa.dtype().minValue();
        long lo = cx.attrs().getInt(QuantAttrs.ACT_MIN), hi = cx.attrs().getInt(QuantAttrs.ACT_MAX);
        long[] x = xa.longs();
        NdArray y = cx.newOutput(0);
        long[] out = y.longs();
        for (int i = 0; i < x.length; i++) out[i] = Math.max(lo, Math.min(hi, t[(int) (x[i] - min)]));
        return List.of(y);
    }
}
