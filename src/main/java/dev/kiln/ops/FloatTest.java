package dev.kiln.ops;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/** Base of the element-wise tests of float values (IsNaN, IsInf): a bool tensor of the input's shape. */
public abstract class FloatTest extends OpDef {
    protected FloatTest(String name, Signature sig) {
        super(name, sig, Trait.ELEMENTWISE);
    }

    /** Whether {@code x} passes the test, for a node with attributes {@code a}. */
    protected abstract boolean test(double x, Attrs a);

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        return List.of(new TensorType(DType.BOOL, cx.shape(0)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        for (int i = 0, n = x.size(); i < n; i++) y.setLong(i, test(x.getDouble(i), cx.attrs()) ? 1 : 0);
        return List.of(y);
    }
}
