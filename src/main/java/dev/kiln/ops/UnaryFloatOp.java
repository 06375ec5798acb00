package dev.kiln.ops;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Base of the element-wise ops on float tensors whose output has the input's type (Relu, Exp, Sigmoid...).
 * A subclass gives the scalar function; attributes (alpha, beta...) are read once per evaluation.
 */
public abstract class UnaryFloatOp extends OpDef {
    protected UnaryFloatOp(String name, Signature sig, Trait... traits) {
        super(name, sig, withElementwise(traits));
    }

    protected UnaryFloatOp(String name, Trait... traits) {
        this(name, Signature.builder().input("X").output("Y").build(), traits);
    }

    private static Trait[] withElementwise(Trait[] t) {
        Trait[] r = java.util.Arrays.copyOf(t, t.length + 1);
        r[t.length] = Trait.ELEMENTWISE;
        return r;
    }

    /** The scalar function, evaluated in double precision and rounded to the tensor's type. */
    protected abstract double apply(double x, Attrs attrs);

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        return List.of(cx.input(0).withQuant(null));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        Attrs a = cx.attrs();
        for (int i = 0, n = x.size(); i < n; i++) y.setDouble(i, apply(x.getDouble(i), a));
        return List.of(y);
    }
}
