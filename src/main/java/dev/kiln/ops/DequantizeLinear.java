package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Dequantizes an integer (i2 to i32) or float8/float4 tensor: {@code y = (x - x_zero_point) * x_scale}, with the scale and zero point per
 * tensor, per axis ({@code axis}) or per block of {@code block_size} elements along the axis. The difference is
 * taken in float32 and the product in float32 (f64 when the scale or the output is f64), then rounded to the
 * output type: {@code output_dtype} (a short type name) if given, else the scale's type. An i32 input has no
 * zero point other than 0.
 */
public final class DequantizeLinear extends OpDef {
    public DequantizeLinear() {
        super("dequantize_linear", Signature.builder()
                .input("x", "x_scale").optionalInput("x_zero_point").output("y")
                .attr("axis", AttrType.INT, 1L)
                .attr("block_size", AttrType.INT, 0L)
                .optionalAttr("output_dtype", AttrType.STRING)
                .build(), Trait.QUANT_BOUNDARY, Trait.INTEGER);
    }

    @Override
    public String summary() { return "(x - zero_point) * scale: int2..int32 or float8/float4 to float"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, DType.I8, DType.U8, DType.I16, DType.U16, DType.I32, DType.I4, DType.U4, DType.I2, DType.U2,
                DType.F8E4M3FN, DType.F8E4M3FNUZ, DType.F8E5M2, DType.F8E5M2FNUZ, DType.F4E2M1);
        cx.checkFloat(1);
        Shape x = cx.shape(0);
        int axis = Quantization.axis(cx, x);
        long block = cx.attrs().getInt("block_size");
        String why = Quantization.checkParamShape(cx.shape(1), x, axis, block);
        cx.check(why == null, "x_scale %s", why);
        if (cx.has(2)) {
            cx.checkSameDType(0, 2);
            // why: a one-element zero point beside a one-element scale is per tensor whatever the ranks ([1] and [])
            boolean perTensor = cx.shape(2).numel() == 1 && cx.shape(1).numel() == 1;
            cx.check(perTensor || cx.shape(2).equals(cx.shape(1)), "x_zero_point has shape %s but x_scale has %s; they must be equal", cx.shape(2), cx.shape(1));
            NdArray z = cx.constant(2);
            if (cx.dtype(0) == DType.I32 && z != null)
                for (int i = 0; i < z.size(); i++) cx.check(z.getLong(i) == 0, "an i32 input takes no zero point other than 0, got %d", z.getLong(i));
        }
        DType out = cx.dtype(1);
        String s = cx.attrs().getString("output_dtype", null);
        if (s != null) {
            out = DType.fromShortName(s);
            cx.check(out != null && out.isFloat(), "output_dtype must be a float type (f16, f32, f64), got '%s'", s);
        }
        return List.of(new TensorType(out, x));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), scale = cx.input(1), zp = cx.input(2);
        NdArray y = cx.newOutput(0);
        Shape xs = x.shape();
        int axis = scale.size() == 1 ? 0 : xs.axis(cx.attrs().getInt("axis"));
        long block = cx.attrs().getInt("block_size");
        int[] pi = Quantization.paramIndex(scale.shape(), xs, axis, block);
        if (zp != null && x.dtype() == DType.I32)
            for (int i = 0; i < zp.size(); i++)
                if (zp.getLong(i) != 0) throw new IllegalArgumentException("an i32 input takes no zero point other than 0, got " + zp.getLong(i));
        DType precision = scale.dtype() == DType.F64 || y.dtype() == DType.F64 ? DType.F64 : DType.F32;
        for (int i = 0, n = x.size(); i < n; i++) {
            // why: the difference is formed in float32 like the ONNX reference (exact for 8- and 16-bit inputs)
            double d = (float) x.getDouble(i) - (float) (zp == null ? 0 : zp.getDouble(pi[i]));
            y.setDouble(i, Quantization.multiply(d, scale.getDouble(pi[i]), precision));
        }
        return List.of(y);
    }
}
