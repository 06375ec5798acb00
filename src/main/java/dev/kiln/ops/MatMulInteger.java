package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * The exact integer matrix product {@code (A - a_zero_point) x (B - b_zero_point)} of int8/uint8 tensors with
 * numpy matmul broadcasting, accumulated in int32 (wrapping on overflow). A zero point is a scalar, per row of
 * A (M values) or per column of B (N values), or a tensor that broadcasts like one.
 */
public final class MatMulInteger extends OpDef {
    public MatMulInteger() {
        super("matmul_integer", Signature.builder()
                .input("A", "B").optionalInput("a_zero_point", "b_zero_point").output("Y")
                .build(), Trait.MAC, Trait.INTEGER);
    }

    @Override
    public String summary() { return "int32 (A - a_zero_point) x (B - b_zero_point) for int8/uint8 A and B"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, DType.I8, DType.U8);
        cx.checkDType(1, DType.I8, DType.U8);
        Shape out;
        try {
            out = Quantization.matmulShape(cx.shape(0), cx.shape(1));
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        if (cx.has(2)) {
            cx.checkSameDType(0, 2);
            String why = Quantization.checkMatmulParam(cx.shape(2), cx.shape(0), true, 1);
            cx.check(why == null, "a_zero_point: %s", why);
        }
        if (cx.has(3)) {
            cx.checkSameDType(1, 3);
            String why = Quantization.checkMatmulParam(cx.shape(3), cx.shape(1), false, 2);
            cx.check(why == null, "b_zero_point: %s", why);
        }
        return List.of(new TensorType(DType.I32, out));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray a = cx.input(0), b = cx.input(1);
        NdArray y = cx.newOutput(0);
        long[] az = Quantization.broadcastZeroPoint(cx.input(2), a.shape(), true);
        long[] bz = Quantization.broadcastZeroPoint(cx.input(3), b.shape(), false);
        long[] acc = Quantization.integerMatmul(a, az, b, bz, Quantization.MatmulPlan.of(a.shape(), b.shape()));
        System.arraycopy(acc, 0, y.longs(), 0, acc.length);
        return List.of(y);
    }

    @Override
    public long macs(dev.kiln.ir.Node n) { return productMacs(n.output(0), n.input(0).shape().dim(-1)); }
}
