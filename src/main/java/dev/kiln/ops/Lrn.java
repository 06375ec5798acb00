package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Local response normalization across channels of X [N, C, ...]:
 * {@code y = x / (bias + alpha / size * sum of x^2 over channels c - floor((size-1)/2) .. c + ceil((size-1)/2))^beta},
 * the channel window clipped to [0, C). Attributes {@code size} (required), {@code alpha} (1e-4), {@code beta}
 * (0.75), {@code bias} (1). Float tensors, computed in double.
 */
public final class Lrn extends OpDef {
    public Lrn() {
        super("lrn", Signature.builder().input("X").output("Y")
                .requiredAttr("size", AttrType.INT)
                .attr("alpha", AttrType.FLOAT, 1e-4)
                .attr("beta", AttrType.FLOAT, 0.75)
                .attr("bias", AttrType.FLOAT, 1.0).build());
    }

    @Override
    public String summary() { return "local response normalization across channels"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        cx.check(cx.shape(0).rank() >= 2, "input must have rank 2 or more (N, C, ...), got %s", cx.shape(0));
        cx.check(cx.attrs().getInt("size") >= 1, "size must be at least 1, got %d", cx.attrs().getInt("size"));
        return List.of(cx.input(0).withQuant(null));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray xa = cx.input(0);
        int size = (int) cx.attrs().getInt("size");
        double alpha = cx.attrs().getFloat("alpha"), beta = cx.attrs().getFloat("beta"), bias = cx.attrs().getFloat("bias");
        int below = (size - 1) / 2, above = size - 1 - below;
        int batch = xa.shape().dim(0), channels = xa.shape().dim(1), plane = xa.shape().prod(2, xa.shape().rank());
        double[] x = xa.toDoubleArray();
        NdArray y = cx.newOutput(0);
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < plane; p++) {
                    double sq = 0;
                    for (int i = Math.max(0, c - below); i <= Math.min(channels - 1, c + above); i++) {
                        double v = x[(n * channels + i) * plane + p];
                        sq += v * v;
                    }
                    int at = (n * channels + c) * plane + p;
                    y.setDouble(at, x[at] / Math.pow(bias + alpha / size * sq, beta));
                }
        return List.of(y);
    }
}
