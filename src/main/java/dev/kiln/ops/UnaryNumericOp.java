package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Base of the element-wise ops on numeric tensors (float or integer) whose output has the input's type
 * (Abs, Neg, Relu). Floats are computed in double and rounded to the type; integers wrap like C.
 */
public abstract class UnaryNumericOp extends OpDef {
    protected UnaryNumericOp(String name, Trait... traits) {
        super(name, Signature.builder().input("X").output("Y").build(), withElementwise(traits));
    }

    private static Trait[] withElementwise(Trait[] t) {
        Trait[] r = java.util.Arrays.copyOf(t, t.length + 1);
        r[t.length] = Trait.ELEMENTWISE;
        return r;
    }

    /** The function on float types, in double precision. */
    protected abstract double applyFloat(double x);

    /** The function on integer types (wrapped into the type's range afterwards). */
    protected abstract long applyInt(long x);

    /** Element types this op accepts: every numeric type (not bool) by default. */
    protected boolean accepts(DType t) { return t != DType.BOOL; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.check(accepts(cx.dtype(0)), "does not take %s tensors", cx.dtype(0));
        return List.of(cx.input(0).withQuant(null));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        boolean floating = x.dtype().isFloat();
        for (int i = 0, n = x.size(); i < n; i++) {
            if (floating) y.setDouble(i, applyFloat(x.getDouble(i)));
            else y.setLong(i, applyInt(x.getLong(i)));
        }
        return List.of(y);
    }
}
