package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * N-d max pooling: each output is the largest input inside its window; padding never wins (it is ignored, not
 * zero) and NaN inputs are skipped. Attributes: {@code kernel_shape} (required), {@code strides},
 * {@code dilations}, {@code pads} (explicit; see {@link ConvGeometry}) and {@code ceil_mode}. Float, int8 and
 * uint8 tensors; the result is exact.
 */
public final class MaxPool extends OpDef {
    public MaxPool() {
        super("max_pool", Pooling.poolAttrs(Signature.builder().input("X").output("Y")).build(), Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "N-d max pooling with strides, dilations, pads and ceil_mode"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, DType.F32, DType.F16, DType.F64, DType.I8, DType.U8);
        return Pooling.infer(cx);
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray xa = cx.input(0);
        ConvGeometry g = Pooling.geometry(cx.attrs(), xa.shape());
        Pooling p = new Pooling(g);
        double[] x = xa.toDoubleArray();
        NdArray y = cx.newOutput(0);
        int planes = xa.shape().dim(0) * xa.shape().dim(1), inSize = g.inSize(), outSize = g.outSize();
        for (int c = 0; c < planes; c++) {
            int base = c * inSize;
            for (int j = 0; j < outSize; j++) {
                double m = Double.NEGATIVE_INFINITY;
                boolean any = false;
                for (int q = p.start[j]; q < p.start[j + 1]; q++) {
                    double v = x[base + p.offsets[q]];
                    if (v >= m) {
                        m = v;
                        any = true;
                    }
                }
                y.setDouble(c * outSize + j, any ? m : Double.NaN);
            }
        }
        return List.of(y);
    }
}
