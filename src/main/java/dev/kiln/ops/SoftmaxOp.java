package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Base of Softmax and LogSoftmax: normalises a float tensor over the single axis {@code axis} (default -1,
 * the last), in double precision, after subtracting the maximum along the axis so large inputs do not
 * overflow. An internal attribute {@code scale} (default 1; {@code FuseSoftmaxScale} sets it) multiplies the input
 * first: {@code softmax(scale * x)}, as attention scales its scores. On f16 and bf16 every step rounds to the type
 * ({@link RoundingSteps}).
 */
public abstract class SoftmaxOp extends OpDef {
    /** The attribute holding the input's scale factor. */
    public static final String SCALE = "scale";

    private final boolean log;

    protected SoftmaxOp(String name, boolean log) {
        super(name, Signature.builder().input("input").output("output").attr("axis", AttrType.INT, -1L)
                .attr(SCALE, AttrType.FLOAT, 1.0).attr(RoundingSteps.ATTR, AttrType.STRING, "").build());
        this.log = log;
    }

    @Override
    public List<TensorType> infer(InferContext cx) { return AxisRun.floatAlongAxis(cx); }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        Shape s = x.shape();
        AxisRun run = AxisRun.of(s, cx.attrs().getInt("axis"));
        double scale = cx.attrs().getFloat(SCALE, 1.0);
        DType steps = RoundingSteps.of(cx.attrs(), x.dtype());
        if (scale != 1.0) {
            NdArray xs = NdArray.zeros(x.dtype(), s);
            for (int i = 0; i < x.size(); i++) xs.setDouble(i, steps != null ? RoundingSteps.round(steps, x.getDouble(i) * scale) : x.getDouble(i) * scale);
            x = xs;
        }
        rows(x, y, run, steps);
        return List.of(y);
    }

    /**
     * The rows of {@code x} into {@code y}: in double, or with every step rounded to {@code t} when it is not null
     * ({@link RoundingSteps}: x - max, exp, the running sum, its log, the quotient).
     */
    private void rows(NdArray x, NdArray y, AxisRun run, DType t) {
        java.util.function.DoubleUnaryOperator r = t == null ? v -> v : v -> RoundingSteps.round(t, v);
        java.util.function.DoubleBinaryOperator add = t == null ? Double::sum : (a, b) -> RoundingSteps.add(t, a, b);
        int n = run.n(), inner = run.inner();
        double[] d = new double[n];
        for (int o = 0; o < run.outer(); o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < n; k++) max = Math.max(max, x.getDouble(base + k * inner));
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    d[k] = r.applyAsDouble(x.getDouble(base + k * inner) - max);
                    sum = add.applyAsDouble(sum, r.applyAsDouble(Math.exp(d[k])));
                }
                sum = r.applyAsDouble(sum);
                double logSum = r.applyAsDouble(Math.log(sum));
                for (int k = 0; k < n; k++)
                    y.setDouble(base + k * inner, r.applyAsDouble(log ? d[k] - logSum : r.applyAsDouble(Math.exp(d[k])) / sum));
            }
        }
    }
}
