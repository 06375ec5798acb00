package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Quantizes a float tensor: {@code y = saturate(round_half_even(x / y_scale) + y_zero_point)}, with the scale
 * and zero point per tensor, per axis ({@code axis}) or per block of {@code block_size} elements along the axis.
 * The output type is the zero point's, else {@code output_dtype} (a short type name), else u8; it may be an
 * integer type of 16 bits or fewer (down to i2/u2) or a float8/float4 type, for which the quotient plus the zero
 * point is rounded to nearest even and, with {@code saturate} (default 1), clamped to the largest finite value
 * (as Cast does). The division is done in {@code precision} (a float type name) if given, else in the scale's type.
 */
public final class QuantizeLinear extends OpDef {
    public QuantizeLinear() {
        super("quantize_linear", Signature.builder()
                .input("x", "y_scale").optionalInput("y_zero_point").output("y")
                .attr("axis", AttrType.INT, 1L)
                .attr("block_size", AttrType.INT, 0L)
                .optionalAttr("output_dtype", AttrType.STRING)
                .optionalAttr("precision", AttrType.STRING)
                .attr("saturate", AttrType.INT, 1L)
                .build(), Trait.QUANT_BOUNDARY, Trait.INTEGER);
    }

    @Override
    public String summary() { return "saturate(round_half_even(x / scale) + zero_point): float to int2..int16 or float8/float4"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        cx.checkFloat(1);
        Shape x = cx.shape(0);
        int axis = Quantization.axis(cx, x);
        long block = cx.attrs().getInt("block_size");
        String why = Quantization.checkParamShape(cx.shape(1), x, axis, block);
        cx.check(why == null, "y_scale %s", why);
        DType out = outputType(cx);
        if (cx.has(2)) {
            // why: a one-element zero point beside a one-element scale is per tensor whatever the ranks ([1] and [])
            boolean perTensor = cx.shape(2).numel() == 1 && cx.shape(1).numel() == 1;
            cx.check(perTensor || cx.shape(2).equals(cx.shape(1)), "y_zero_point has shape %s but y_scale has %s; they must be equal", cx.shape(2), cx.shape(1));
        }
        String p = cx.attrs().getString("precision", null);
        if (p != null) {
            DType pt = DType.fromShortName(p);
            cx.check(pt != null && pt.isFloat(), "precision must be a float type (f16, f32, f64), got '%s'", p);
        }
        return List.of(new TensorType(out, x));
    }

    private static DType outputType(InferContext cx) {
        String s = cx.attrs().getString("output_dtype", null);
        DType named = null;
        if (s != null) {
            named = DType.fromShortName(s);
            cx.check(named != null && Quantization.isQuantized(named), "output_dtype must be one of %s; got '%s'", Quantization.quantizedNames(), s);
        }
        if (cx.has(2)) {
            DType z = cx.dtype(2);
            cx.check(Quantization.isQuantized(z), "y_zero_point has type %s; expected one of %s", z, Quantization.quantizedNames());
            cx.check(named == null || named == z, "output_dtype %s differs from y_zero_point's type %s", named, z);
            return z;
        }
        return named != null ? named : DType.U8;
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), scale = cx.input(1), zp = cx.input(2);
        NdArray y = cx.newOutput(0);
        Shape xs = x.shape();
        int axis = scale.size() == 1 ? 0 : xs.axis(cx.attrs().getInt("axis"));
        long block = cx.attrs().getInt("block_size");
        int[] pi = Quantization.paramIndex(scale.shape(), xs, axis, block);
        String p = cx.attrs().getString("precision", null);
        DType precision = p != null ? DType.fromShortName(p) : scale.dtype();
        DType out = y.dtype();
        if (out.isFloat()) {
            boolean saturate = cx.attrs().getInt("saturate") != 0;
            float[] yf = y.floats();
            for (int i = 0, n = x.size(); i < n; i++) {
                double q = Quantization.divide(x.getDouble(i), scale.getDouble(pi[i]), precision);
                yf[i] = dev.kiln.ir.SmallFloats.round(out, (float) (q + (zp == null ? 0 : zp.getDouble(pi[i]))), saturate);
            }
            return List.of(y);
        }
        for (int i = 0, n = x.size(); i < n; i++) {
            double q = Quantization.divide(x.getDouble(i), scale.getDouble(pi[i]), precision);
            y.setLong(i, Quantization.roundAndSaturate(q, zp == null ? 0 : zp.getLong(pi[i]), out));
        }
        return List.of(y);
    }

    /**
     * The C and OpenCL backends: the result saturates to the output type's own range (int4's included) or rounds to
     * its float8/float4 grid, so the kernel stores it.
     */
    @Override
    public StorageTypes storageTypes(dev.kiln.ir.Node n) { return StorageTypes.STORES_OUTPUT; }
}
