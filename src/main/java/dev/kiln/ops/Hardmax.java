package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * One-hot of the maximum along the single axis {@code axis} (default -1, the last): 1 at the first position
 * holding the largest value, 0 elsewhere.
 */
public final class Hardmax extends OpDef {
    public Hardmax() {
        super("hardmax", Signature.builder().input("input").output("output").attr("axis", AttrType.INT, -1L).build());
    }

    @Override
    public String summary() { return "1 at the first maximum along one axis (default: last), 0 elsewhere"; }

    @Override
    public List<TensorType> infer(InferContext cx) { return AxisRun.floatAlongAxis(cx); }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        Shape s = x.shape();
        AxisRun run = AxisRun.of(s, cx.attrs().getInt("axis"));
        int outer = run.outer(), n = run.n(), inner = run.inner();
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i, best = 0;
                for (int k = 1; k < n; k++) if (x.getDouble(base + k * inner) > x.getDouble(base + best * inner)) best = k;
                if (n > 0) y.setDouble(base + best * inner, 1);
            }
        }
        return List.of(y);
    }
}
