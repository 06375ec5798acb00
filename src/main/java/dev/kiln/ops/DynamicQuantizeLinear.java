package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Quantizes a float tensor to uint8 with a scale and zero point computed from its own range at run time:
 * the range is [min(0, min x), max(0, max x)], {@code y_scale = (max - min) / 255}, {@code y_zero_point =
 * saturate(round(-min / y_scale))}, {@code y = saturate(round(x / y_scale) + y_zero_point)}, rounding to nearest
 * even, all in f32. An all-zero input gives scale 0, zero point 0 and zeros.
 */
public final class DynamicQuantizeLinear extends OpDef {
    public DynamicQuantizeLinear() {
        super("dynamic_quantize_linear", Signature.builder().input("x").output("y", "y_scale", "y_zero_point").build());
    }

    @Override
    public String summary() { return "uint8 quantization with scale and zero point from the input's run-time range"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, DType.F32);
        return List.of(new TensorType(DType.U8, cx.shape(0)), new TensorType(DType.F32, Shape.scalar()), new TensorType(DType.U8, Shape.scalar()));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        float lo = 0, hi = 0;
        for (int i = 0; i < x.size(); i++) {
            float v = x.getFloat(i);
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        float scale = (hi - lo) / 255f;
        float zp = scale == 0 ? 0 : clamp((float) Math.rint(0f - lo / scale));
        NdArray y = cx.newOutput(0);
        for (int i = 0; i < x.size(); i++) y.setLong(i, scale == 0 ? 0 : (long) clamp((float) Math.rint(x.getFloat(i) / scale) + zp));
        return List.of(y, NdArray.scalar(DType.F32, scale), NdArray.scalar(DType.U8, zp));
    }

    private static float clamp(float v) { return Math.max(0f, Math.min(255f, v)); }
}
