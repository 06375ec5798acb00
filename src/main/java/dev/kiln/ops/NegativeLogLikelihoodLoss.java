package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Negative log-likelihood loss: for input {@code [N, C, d1..dk]} (log-probabilities) and integer target
 * {@code [N, d1..dk]}, {@code loss[n, d] = -input[n, target[n, d], d] * weight[target[n, d]]} (weight 1 when
 * absent), 0 where the target equals {@code ignore_index}. {@code reduction} "none" keeps the per-element
 * losses, "sum" adds them, "mean" (default) divides the sum by the sum of the weights of the targets not ignored.
 * A target outside {@code [0, C)} that is not ignored is an evaluation error.
 */
public final class NegativeLogLikelihoodLoss extends OpDef {
    public NegativeLogLikelihoodLoss() {
        super("negative_log_likelihood_loss", Signature.builder().input("input", "target").optionalInput("weight").output("loss")
                .attr("reduction", AttrType.STRING, "mean").optionalAttr("ignore_index", AttrType.INT).build(), Trait.REDUCTION);
    }

    @Override
    public String summary() { return "-input[n, target, d] * weight[target] with ignore_index; reduction none/sum/mean"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        cx.check(cx.dtype(1).isInteger(), "target must be an integer tensor, got %s", cx.dtype(1));
        Shape in = cx.shape(0), t = cx.shape(1);
        cx.check(in.rank() >= 2, "input must be [N, C, d1..dk], got shape %s", in);
        int[] expect = new int[in.rank() - 1];
        expect[0] = in.dim(0);
        for (int i = 2; i < in.rank(); i++) expect[i - 1] = in.dim(i);
        cx.check(Arrays.equals(t.dims(), expect), "target must have shape %s (input %s without C), got %s", Shape.of(expect), in, t);
        if (cx.has(2)) {
            cx.checkSameDType(0, 2);
            cx.check(cx.shape(2).rank() == 1 && cx.shape(2).dim(0) == in.dim(1), "weight must have shape [%d], got %s", in.dim(1), cx.shape(2));
        }
        String red = cx.attrs().getString("reduction");
        cx.check(red.equals("none") || red.equals("sum") || red.equals("mean"), "reduction must be none, sum or mean, got \"%s\"", red);
        return List.of(new TensorType(cx.dtype(0), red.equals("none") ? t : Shape.scalar()));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), target = cx.input(1), weight = cx.input(2);
        NdArray y = cx.newOutput(0);
        Shape in = x.shape();
        int n = in.dim(0), c = in.dim(1), d = in.prod(2, in.rank());
        String red = cx.attrs().getString("reduction");
        Long ignore = cx.attrs().has("ignore_index") ? cx.attrs().getInt("ignore_index") : null;
        double sum = 0, weights = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                long t = target.getLong(i * d + j);
                double loss = 0;
                if (ignore == null || t != ignore) {
                    if (t < 0 || t >= c) throw new IllegalArgumentException("target " + t + " is outside [0, " + c + ")");
                    double w = weight == null ? 1 : weight.getDouble((int) t);
                    loss = -x.getDouble((i * c + (int) t) * d + j) * w;
                    weights += w;
                }
                if (red.equals("none")) y.setDouble(i * d + j, loss);
                sum += loss;
            }
        }
        if (red.equals("sum")) y.setDouble(0, sum);
        if (red.equals("mean")) y.setDouble(0, sum / weights);
        return List.of(y);
    }
}
