package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Converts a tensor to the element type named by attribute {@code to}, a Kiln short type name
 * ({@code f32}, {@code f16}, {@code f64}, {@code i8}, {@code u8}, {@code i16}, {@code u16}, {@code i32},
 * {@code u32}, {@code i64}, {@code u64}, {@code bool}, {@code bf16}, {@code i4}, {@code u4}, {@code i2}, {@code u2}, the
 * float8 types {@code f8e4m3fn}, {@code f8e4m3fnuz}, {@code f8e5m2}, {@code f8e5m2fnuz} and {@code f4e2m1}). Float
 * to integer truncates toward zero and wraps (NaN gives 0; ONNX leaves out-of-range values undefined); integer to
 * float rounds to nearest; anything to bool is {@code x != 0}; float to narrower float rounds to nearest even.
 * {@code saturate} (default 1) is ONNX's rule for float8 targets: a value beyond the largest finite one becomes
 * that value; with 0 it becomes infinity (E5M2) or NaN ({@link dev.kiln.ir.SmallFloats}). {@code round_mode}
 * (up, down or nearest; default up) is how a value becomes an {@code f8e8m0} power of two.
 */
public final class Cast extends OpDef {
    public Cast() {
        super("cast", Signature.builder().input("X").output("Y").requiredAttr("to", AttrType.STRING)
                .attr("saturate", AttrType.INT, 1L).attr("round_mode", AttrType.STRING, "up").build(), Trait.ELEMENTWISE);
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
        DType to = cx.outputType(0).dtype();
        boolean saturate = cx.attrs().getInt("saturate") != 0;
        NdArray x = cx.input(0);
        if (to != DType.F8E8M0 || x.dtype() == to) return List.of(x.cast(to, saturate));
        String mode = cx.attrs().getString("round_mode");
        NdArray y = NdArray.zeros(to, x.shape());
        for (int i = 0; i < y.size(); i++) y.floats()[i] = dev.kiln.ir.SmallFloats.decode(to, dev.kiln.ir.SmallFloats.encodeE8M0(x.getFloat(i), mode, saturate));
        return List.of(y);
    }

    /** The C and OpenCL backends: its kernel converts to and from every storage type (runtime-c/kiln_types.h). */
    @Override
    public StorageTypes storageTypes(dev.kiln.ir.Node n) { return StorageTypes.CONVERTS; }

    /** Element-wise: a bounded input gives an output bounded along the same axis. */
    @Override
    public int[] carriesExtent(dev.kiln.ir.Node n, int input, int axis) { return new int[] {axis}; }
}
