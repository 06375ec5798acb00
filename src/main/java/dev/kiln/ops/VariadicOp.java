package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Base of the element-wise ops over one or more inputs of one element type with broadcasting (Max, Min,
 * Sum, Mean): the output folds {@link #applyFloat}/{@link #applyInt} over the inputs from left to right.
 * Floats accumulate in double and are rounded to the type once; integers are exact and wrap like C.
 */
public abstract class VariadicOp extends OpDef {
    protected VariadicOp(String name, Trait... traits) {
        super(name, Signature.builder().variadicInput("X").output("Y").build(), withElementwise(traits));
    }

    private static Trait[] withElementwise(Trait[] t) {
        Trait[] r = java.util.Arrays.copyOf(t, t.length + 1);
        r[t.length] = Trait.ELEMENTWISE;
        return r;
    }

    /** Combines the accumulator with the next input's element, on float types. */
    protected abstract double applyFloat(double acc, double x);

    /** Combines the accumulator with the next input's element, on integer types. */
    protected abstract long applyInt(long acc, long x);

    /** True when {@link #applyInt} only orders its operands (Max, Min), so that u64 folds compare unsigned. */
    protected boolean ordersOperands() { return false; }

    /** The float result from the folded value of {@code count} inputs; the folded value itself by default. */
    protected double finishFloat(double acc, int count) { return acc; }

    /** Element types this op accepts; every numeric type (not bool) by default. */
    protected boolean accepts(DType t) { return t != DType.BOOL; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        DType t = cx.dtype(0);
        cx.check(accepts(t), "does not take %s tensors", t);
        Shape[] shapes = new Shape[cx.numInputs()];
        for (int i = 0; i < shapes.length; i++) {
            cx.checkSameDType(0, i);
            shapes[i] = cx.shape(i);
        }
        try {
            return List.of(new TensorType(t, Broadcast.shape(shapes)));
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray y = cx.newOutput(0);
        Shape out = y.shape();
        int k = cx.numInputs();
        NdArray[] in = new NdArray[k];
        int[][] map = new int[k][];
        for (int j = 0; j < k; j++) {
            in[j] = cx.input(j);
            map[j] = Broadcast.indexMap(in[j].shape(), out);
        }
        int n = y.size();
        if (y.dtype().isFloat()) {
            for (int i = 0; i < n; i++) {
                double acc = in[0].getDouble(map[0][i]);
                for (int j = 1; j < k; j++) acc = applyFloat(acc, in[j].getDouble(map[j][i]));
                y.setDouble(i, finishFloat(acc, k));
            }
        } else if (y.dtype() == dev.kiln.ir.DType.U64 && ordersOperands()) {
            // why: flipping the sign bit maps the unsigned order of u64 onto the signed order of long
            for (int i = 0; i < n; i++) {
                long acc = in[0].getLong(map[0][i]) ^ Long.MIN_VALUE;
                for (int j = 1; j < k; j++) acc = applyInt(acc, in[j].getLong(map[j][i]) ^ Long.MIN_VALUE);
                y.setLong(i, acc ^ Long.MIN_VALUE);
            }
        } else {
            for (int i = 0; i < n; i++) {
                long acc = in[0].getLong(map[0][i]);
                for (int j = 1; j < k; j++) acc = applyInt(acc, in[j].getLong(map[j][i]));
                y.setLong(i, acc);
            }
        }
        return List.of(y);
    }
}
