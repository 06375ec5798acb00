package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Layer normalization over the trailing axes of X from {@code axis} on (default -1): each row of those axes is
 * normalized to zero mean and unit variance, {@code y = (x - mean) / sqrt(var + epsilon) * Scale + B}. Scale and the
 * optional B hold one value per element of a row (or one in all). The optional outputs Mean and InvStdDev hold each
 * row's mean and {@code 1 / sqrt(var + epsilon)}, shaped like X with the normalized axes set to 1. Float tensors,
 * computed in double. A {@link FusedActivation} (FuseActivations sets it) applies to Y's rounded values.
 */
public final class LayerNormalization extends OpDef {
    public LayerNormalization() {
        super("layer_normalization", FusedActivation.addAttrs(Signature.builder().input("X", "Scale").optionalInput("B").output("Y")
                .optionalOutput("Mean", "InvStdDev")
                .attr("axis", AttrType.INT, -1L)
                .attr("epsilon", AttrType.FLOAT, 1e-5)).build());
    }

    @Override
    public String summary() { return "layer normalization over the trailing axes from axis on"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        Shape s = cx.shape(0);
        cx.check(s.rank() >= 1, "input X must have rank 1 or more, got %s", s);
        long axis = cx.attrs().getInt("axis");
        cx.check(axis >= -s.rank() && axis < s.rank(), "axis %d is out of range for rank %d", axis, s.rank());
        int row = s.prod(s.axis(axis), s.rank());
        for (int i = 1; i < 3; i++) {
            if (!cx.has(i)) continue;
            cx.checkSameDType(0, i);
            long n = cx.shape(i).numel();
            cx.check(n == row || n == 1, "input %d (%s) must hold one value per element of a normalized row (%d) or one in all, got shape %s",
                    i, i == 1 ? "Scale" : "B", row, cx.shape(i));
        }
        FusedActivation.check(cx);
        List<TensorType> r = new ArrayList<>();
        r.add(cx.input(0).withQuant(null));
        int[] d = s.dims();
        for (int i = s.axis(axis); i < d.length; i++) d[i] = 1;
        for (int i = 1; i < cx.numOutputs(); i++) r.add(new TensorType(cx.dtype(0), Shape.of(d)));
        return r;
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), scale = cx.input(1), b = cx.input(2);
        Shape s = x.shape();
        int a = s.axis(cx.attrs().getInt("axis"));
        int rows = s.prod(0, a), row = s.prod(a, s.rank());
        double eps = cx.attrs().getFloat("epsilon");
        List<NdArray> out = new ArrayList<>();
        for (int i = 0; i < cx.numOutputs(); i++) out.add(cx.newOutput(i));
        for (int r = 0; r < rows; r++) {
            double mean = 0, var = 0;
            for (int j = 0; j < row; j++) mean += x.getDouble(r * row + j);
            mean /= row;
            for (int j = 0; j < row; j++) {
                double dv = x.getDouble(r * row + j) - mean;
                var += dv * dv;
            }
            double inv = 1 / Math.sqrt(var / row + eps);
            for (int j = 0; j < row; j++) {
                double v = (x.getDouble(r * row + j) - mean) * inv * scale.getDouble(scale.size() == 1 ? 0 : j);
                if (b != null) v += b.getDouble(b.size() == 1 ? 0 : j);
                out.get(0).setDouble(r * row + j, v);
            }
            if (out.size() > 1) out.get(1).setDouble(r, mean);
            if (out.size() > 2) out.get(2).setDouble(r, inv);
        }
        out.set(0, FusedActivation.apply(cx.attrs(), out.get(0)));
        return out;
    }
}
