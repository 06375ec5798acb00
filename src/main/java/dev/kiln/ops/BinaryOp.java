package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Base of the broadcasting binary element-wise ops (Add, Sub, Mul, Div, Equal...). Both inputs have the same
 * element type; the output has that type, or bool for comparisons ({@link #resultType}).
 */
public abstract class BinaryOp extends OpDef {
    protected BinaryOp(String name, Trait... traits) {
        this(name, Signature.builder().input("A", "B").output("C").build(), traits);
    }

    /** A binary op whose two inputs and one output have their own names in {@code sig}. */
    protected BinaryOp(String name, Signature sig, Trait... traits) {
        super(name, sig, withElementwise(traits));
    }

    private static Trait[] withElementwise(Trait[] t) {
        Trait[] r = java.util.Arrays.copyOf(t, t.length + 1);
        r[t.length] = Trait.ELEMENTWISE;
        return r;
    }

    /** The function on float types, in double precision (rounded to the output type afterwards). */
    protected abstract double applyFloat(double a, double b);

    /** The function on integer types (the result is wrapped into the type's range afterwards). */
    protected abstract long applyInt(long a, long b);

    /** The function on float types for a node with attributes {@code attrs}; ops with attributes override it. */
    protected double applyFloat(double a, double b, dev.kiln.ir.Attrs attrs) { return applyFloat(a, b); }

    /** The function on integer type {@code t} for a node with attributes {@code attrs}; ops with attributes override it. */
    protected long applyInt(long a, long b, DType t, dev.kiln.ir.Attrs attrs) { return applyInt(a, b); }

    /** The output element type for inputs of type {@code in}. */
    protected DType resultType(DType in) { return in; }

    /** Element types this op accepts; all by default. */
    protected boolean accepts(DType t) { return true; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkSameDType(0, 1);
        cx.check(accepts(cx.dtype(0)), "does not take %s tensors", cx.dtype(0));
        Shape s;
        try {
            s = Broadcast.shape(cx.shape(0), cx.shape(1));
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        return List.of(new TensorType(resultType(cx.dtype(0)), s));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray a = cx.input(0), b = cx.input(1);
        NdArray c = cx.newOutput(0);
        Shape out = c.shape();
        int[] ia = Broadcast.indexMap(a.shape(), out), ib = Broadcast.indexMap(b.shape(), out);
        boolean floatIn = a.dtype().isFloat();
        boolean unsignedCompare = a.dtype() == DType.U64 && resultType(DType.U64) == DType.BOOL;
        dev.kiln.ir.Attrs at = cx.attrs();
        for (int i = 0, n = c.size(); i < n; i++) {
            if (floatIn) c.setDouble(i, applyFloat(a.getDouble(ia[i]), b.getDouble(ib[i]), at));
            // why: flipping the sign bit maps the unsigned order of u64 onto the signed order of long
            else if (unsignedCompare) c.setLong(i, applyInt(a.getLong(ia[i]) ^ Long.MIN_VALUE, b.getLong(ib[i]) ^ Long.MIN_VALUE, a.dtype(), at));
            else c.setLong(i, applyInt(a.getLong(ia[i]), b.getLong(ib[i]), a.dtype(), at));
        }
        return List.of(c);
    }
}
