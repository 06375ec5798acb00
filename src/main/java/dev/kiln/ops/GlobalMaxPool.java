package dev.kiln.ops;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/** The largest value of each [spatial...] plane of X [N, C, spatial...], giving [N, C, 1, ...]; NaNs are skipped. */
public final class GlobalMaxPool extends OpDef {
    public GlobalMaxPool() {
        super("global_max_pool", Signature.builder().input("X").output("Y").build(), Trait.QUANTIZABLE, Trait.REDUCTION);
    }

    @Override
    public String summary() { return "max over all spatial positions of each channel"; }

    /** The [N, C, 1, ...] type of a global pool of input 0, which must have rank 3 or more. */
    static TensorType globalType(InferContext cx) {
        Shape s = cx.shape(0);
        cx.check(s.rank() >= 3, "input must have rank 3 or more (N, C, spatial...), got %s", s);
        int[] d = s.dims();
        for (int i = 2; i < d.length; i++) {
            cx.check(d[i] > 0, "input %s has an empty spatial axis", s);
            d[i] = 1;
        }
        // why: the max of a plane is one of its values, so per-tensor quantization parameters carry over
        return DataMovement.moved(cx.input(0), Shape.of(d));
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, dev.kiln.ir.DType.F32, dev.kiln.ir.DType.F16, dev.kiln.ir.DType.F64, dev.kiln.ir.DType.I8, dev.kiln.ir.DType.U8);
        return List.of(globalType(cx));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        int planes = y.size(), plane = planes == 0 ? 0 : x.size() / planes;
        for (int c = 0; c < planes; c++) {
            double m = Double.NEGATIVE_INFINITY;
            boolean any = false;
            for (int i = c * plane, e = i + plane; i < e; i++) {
                double v = x.getDouble(i);
                if (v >= m) {
                    m = v;
                    any = true;
                }
            }
            y.setDouble(c, any ? m : Double.NaN);
        }
        return List.of(y);
    }
}
