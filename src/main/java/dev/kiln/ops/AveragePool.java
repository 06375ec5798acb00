package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * N-d average pooling: each output is the sum of the inputs inside its window divided by the number of window
 * positions inside the input ({@code count_include_pad} = 0) or inside the input and its pads (= 1); with
 * {@code ceil_mode} a last window reaching past the end padding counts only the positions before it.
 * Attributes: {@code kernel_shape} (required), {@code strides}, {@code dilations}, {@code pads} (explicit; see
 * {@link ConvGeometry}), {@code ceil_mode}, {@code count_include_pad}. Float tensors; sums in double.
 */
public final class AveragePool extends OpDef {
    public AveragePool() {
        super("average_pool", Pooling.poolAttrs(Signature.builder().input("X").output("Y"))
                .attr("count_include_pad", AttrType.INT, 0L).build(), Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "N-d average pooling with strides, dilations, pads, ceil_mode and count_include_pad"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        long cip = cx.attrs().getInt("count_include_pad");
        cx.check(cip == 0 || cip == 1, "count_include_pad must be 0 or 1, got %d", cip);
        return Pooling.infer(cx);
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray xa = cx.input(0);
        ConvGeometry g = Pooling.geometry(cx.attrs(), xa.shape());
        Pooling p = new Pooling(g);
        boolean includePad = cx.attrs().getInt("count_include_pad") == 1;
        double[] x = xa.toDoubleArray();
        NdArray y = cx.newOutput(0);
        int planes = xa.shape().dim(0) * xa.shape().dim(1), inSize = g.inSize(), outSize = g.outSize();
        for (int c = 0; c < planes; c++) {
            int base = c * inSize;
            for (int j = 0; j < outSize; j++) {
                double s = 0;
                for (int q = p.start[j]; q < p.start[j + 1]; q++) s += x[base + p.offsets[q]];
                int n = includePad ? p.paddedCount[j] : p.start[j + 1] - p.start[j];
                y.setDouble(c * outSize + j, s / n);
            }
        }
        return List.of(y);
    }
}
