package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Inference-mode batch normalization of X [N, C, ...] with per-channel statistics:
 * {@code y = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + B[c]}. Inputs X, scale, B, mean, var (the last four
 * of shape [C], any float types); attribute {@code epsilon} (1e-5). Computed in double, rounded to X's type.
 */
public final class BatchNorm extends OpDef {
    public BatchNorm() {
        super("batch_norm", Signature.builder().input("X", "scale", "B", "mean", "var").output("Y")
                .attr("epsilon", AttrType.FLOAT, 1e-5).build());
    }

    @Override
    public String summary() { return "inference batch normalization with per-channel scale, bias, mean and variance"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        Shape x = cx.shape(0);
        cx.check(x.rank() >= 2, "input must have rank 2 or more (N, C, ...), got %s", x);
        String[] names = {"scale", "B", "mean", "var"};
        for (int i = 1; i <= 4; i++) {
            cx.checkFloat(i);
            cx.check(cx.shape(i).equals(Shape.of(x.dim(1))), "input '%s' must have shape [%d] (one value per channel), got %s",
                    names[i - 1], x.dim(1), cx.shape(i));
        }
        return List.of(cx.input(0).withQuant(null));
    }

    /**
     * The per-channel affine map {@code y = a[c] * x + shift[c]} of a batch norm whose statistics are constants:
     * {@code a = scale / sqrt(var + epsilon)}, {@code shift = B - mean * a}, as {a, shift}.
     */
    public static double[][] affine(dev.kiln.ir.Node bn) {
        int c = bn.input(0).shape().dim(1);
        double eps = bn.attrs().getFloat("epsilon");
        double[] a = new double[c], shift = new double[c];
        for (int i = 0; i < c; i++) {
            a[i] = bn.input(1).constant().getDouble(i) / Math.sqrt(bn.input(4).constant().getDouble(i) + eps);
            shift[i] = bn.input(2).constant().getDouble(i) - bn.input(3).constant().getDouble(i) * a[i];
        }
        return new double[][] {a, shift};
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        double eps = cx.attrs().getFloat("epsilon");
        int batch = x.shape().dim(0), channels = x.shape().dim(1), plane = x.shape().prod(2, x.shape().rank());
        NdArray y = cx.newOutput(0);
        for (int c = 0; c < channels; c++) {
            double a = cx.input(1).getDouble(c) / Math.sqrt(cx.input(4).getDouble(c) + eps);
            double mean = cx.input(3).getDouble(c), b = cx.input(2).getDouble(c);
            for (int n = 0; n < batch; n++)
                for (int i = (n * channels + c) * plane, e = i + plane; i < e; i++) y.setDouble(i, (x.getDouble(i) - mean) * a + b);
        }
        return List.of(y);
    }
}
