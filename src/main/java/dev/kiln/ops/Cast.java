package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Converts a tensor to the element type named by attribute {@code to}, a Kiln short type name
 * ({@code f32}, {@code f16}, {@code f64}, {@code i8}, {@code u8}, {@code i16}, {@code u16}, {@code i32},
 * {@code u32}, {@code i64}, {@code bool}). Float to integer truncates toward zero and wraps (NaN gives 0;
 * ONNX leaves out-of-range values undefined); integer to float rounds to nearest; anything to bool is
 * {@code x != 0}; float to narrower float rounds to nearest even.
 */
public final class Cast extends OpDef {
    public Cast() {
        super("cast", Signature.builder().input("X").output("Y").requiredAttr("to", AttrType.STRING).build(), Trait.ELEMENTWISE);
    }

    @Override
    public String summary() { return "converts to element type 'to' (f32, i8, bool...)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        String to = cx.attrs().getString("to");
        DType t = DType.fromShortName(to);
        if (t == null) {
            StringBuilder b = new StringBuilder();
            for (DType d : DType.values()) b.append(b.length() == 0 ? "" : ", ").append(d.shortName());
            throw cx.error("unknown element type '%s' in attribute 'to' (one of %s)", to, b);
        }
        return List.of(new TensorType(t, cx.shape(0)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        return List.of(cx.input(0).cast(cx.outputType(0).dtype()));
    }
}
