package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * The quantized matrix product of int8/uint8 tensors with numpy matmul broadcasting: the exact int32
 * accumulation {@code acc = (a - a_zero_point) x (b - b_zero_point)}, then
 * {@code y = saturate(round_half_even(float(acc) * m) + y_zero_point)} with the multiplier
 * {@code m = a_scale * b_scale / y_scale} formed in the scales' float type and the product in float32
 * ({@link Quantization#requantize}, as ONNX Runtime does; the ONNX reference uses double, which can differ by one
 * at exact halves). Scales and zero points are scalars, per row of a and y, or per column of b.
 */
public final class QLinearMatMul extends OpDef {
    public QLinearMatMul() {
        super("qlinear_matmul", Signature.builder()
                .input("a", "a_scale").optionalInput("a_zero_point")
                .input("b", "b_scale").optionalInput("b_zero_point")
                .input("y_scale").optionalInput("y_zero_point").output("y")
                .build(), Trait.MAC, Trait.INTEGER);
    }

    @Override
    public String summary() { return "int8/uint8 matrix product with per-tensor/row/column scales, requantized to y's zero point and scale"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, DType.I8, DType.U8);
        cx.checkDType(3, DType.I8, DType.U8);
        cx.checkFloat(1);
        cx.checkFloat(4);
        cx.checkFloat(6);
        cx.check(cx.dtype(1) == cx.dtype(4) && cx.dtype(1) == cx.dtype(6),
                "a_scale (%s), b_scale (%s) and y_scale (%s) must have the same type", cx.dtype(1), cx.dtype(4), cx.dtype(6));
        Shape a = cx.shape(0), b = cx.shape(3), out;
        try {
            out = Quantization.matmulShape(a, b);
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        checkParam(cx, 1, a, true, 1);
        checkParam(cx, 4, b, false, 2);
        checkParam(cx, 6, out, true, 0);
        if (cx.has(2)) {
            cx.checkSameDType(0, 2);
            checkParam(cx, 2, a, true, 1);
        }
        if (cx.has(5)) {
            cx.checkSameDType(3, 5);
            checkParam(cx, 5, b, false, 2);
        }
        DType outType = cx.dtype(0);
        if (cx.has(7)) {
            cx.checkDType(7, DType.I8, DType.U8);
            checkParam(cx, 7, out, true, 0);
            outType = cx.dtype(7);
        }
        return List.of(new TensorType(outType, out));
    }

    private static void checkParam(InferContext cx, int i, Shape operand, boolean perRow, int kAxisFromEnd) {
        String why = Quantization.checkMatmulParam(cx.shape(i), operand, perRow, kAxisFromEnd);
        cx.check(why == null, "%s: %s", new String[] {"a", "a_scale", "a_zero_point", "b", "b_scale", "b_zero_point", "y_scale", "y_zero_point"}[i], why);
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray a = cx.input(0), as = cx.input(1), b = cx.input(3), bs = cx.input(4), ys = cx.input(6), yz = cx.input(7);
        NdArray y = cx.newOutput(0);
        Shape outShape = y.shape();
        long[] az = Quantization.broadcastZeroPoint(cx.input(2), a.shape(), true);
        long[] bz = Quantization.broadcastZeroPoint(cx.input(5), b.shape(), false);
        Quantization.MatmulPlan p = Quantization.MatmulPlan.of(a.shape(), b.shape());
        long[] acc = Quantization.integerMatmul(a, az, b, bz, p);
        int[] asi = Quantization.collapsedParamIndex(as.shape(), a.shape(), true);
        int[] bsi = Quantization.collapsedParamIndex(bs.shape(), b.shape(), false);
        int[] ysi = Broadcast.indexMap(Quantization.paramShape(ys.shape(), outShape, true), outShape);
        int[] yzi = yz == null ? null : Broadcast.indexMap(Quantization.paramShape(yz.shape(), outShape, true), outShape);
        DType sp = as.dtype();
        DType out = y.dtype();
        int m = p.m(), n = p.n();
        for (int t = 0; t < p.batches(); t++) {
            for (int i = 0; i < m; i++) {
                double sa = as.getDouble(asi[p.aBatch()[t] * m + i]);
                for (int j = 0; j < n; j++) {
                    int o = (t * m + i) * n + j;
                    double sb = bs.getDouble(bsi[p.bBatch()[t] * n + j]);
                    float mult = (float) Quantization.divide(Quantization.multiply(sa, sb, sp), ys.getDouble(ysi[o]), sp);
                    y.setLong(o, Quantization.requantize(acc[o], mult, yz == null ? 0 : yz.getLong(yzi[o]), out));
                }
            }
        }
        return List.of(y);
    }

    @Override
    public long macs(dev.kiln.ir.Node n) { return productMacs(n.output(0), n.input(0).shape().dim(-1)); }
}
