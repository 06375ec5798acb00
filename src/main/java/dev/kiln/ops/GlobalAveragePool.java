package dev.kiln.ops;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/** The mean of each [spatial...] plane of X [N, C, spatial...], giving [N, C, 1, ...]; float tensors, summed in double. */
public final class GlobalAveragePool extends OpDef {
    public GlobalAveragePool() {
        super("global_average_pool", Signature.builder().input("X").output("Y").build(), Trait.QUANTIZABLE, Trait.REDUCTION);
    }

    @Override
    public String summary() { return "mean over all spatial positions of each channel"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        return List.of(GlobalMaxPool.globalType(cx));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        int planes = y.size(), plane = planes == 0 ? 0 : x.size() / planes;
        for (int c = 0; c < planes; c++) {
            double s = 0;
            for (int i = c * plane, e = i + plane; i < e; i++) s += x.getDouble(i);
            y.setDouble(c, s / plane);
        }
        return List.of(y);
    }
}
