package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Dropout at inference: {@code y = x}, and the optional {@code mask} output (bool, x's shape) is all true.
 * Kiln compiles inference only; frontends reject training-mode dropout that would drop anything.
 */
public final class Dropout extends OpDef {
    public Dropout() {
        super("dropout", Signature.builder().input("X").output("Y").optionalOutput("mask").build(), Trait.ELEMENTWISE, Trait.ALIAS);
    }

    @Override
    public String summary() { return "inference dropout: y = x, mask all true"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        TensorType x = cx.input(0);
        if (cx.numOutputs() == 1) return List.of(x);
        return List.of(x, new TensorType(DType.BOOL, x.shape()));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray y = cx.input(0).copy();
        if (cx.numOutputs() == 1) return List.of(y);
        NdArray mask = cx.newOutput(1);
        Arrays.fill(mask.longs(), 1L);
        return List.of(y, mask);
    }
}
