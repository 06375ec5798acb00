package dev.kiln.ops;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.List;

/** What an op's type inference sees: the node's input types (and data of constant inputs) and attributes. */
public final class InferContext {
    private final OpDef op;
    private final String nodeName;
    private final List<Value> inputs;
    private final Attrs attrs;
    private final int numOutputs;

    public InferContext(OpDef op, String nodeName, List<Value> inputs, Attrs attrs, int numOutputs) {
        this.op = op;
        this.nodeName = nodeName;
        this.inputs = inputs;
        this.attrs = attrs;
        this.numOutputs = numOutputs;
    }

    public String nodeName() { return nodeName; }
    public Attrs attrs() { return attrs; }
    public int numInputs() { return inputs.size(); }
    public int numOutputs() { return numOutputs; }

    /** True if input {@code i} is given. */
    public boolean has(int i) { return i < inputs.size() && inputs.get(i) != null; }

    /** The type of input {@code i} (which must be given). */
    public TensorType input(int i) {
        if (!has(i)) throw error("input '%s' is missing", op.signature().inputName(i));
        return inputs.get(i).type();
    }

    public DType dtype(int i) { return input(i).dtype(); }
    public Shape shape(int i) { return input(i).shape(); }

    /** The data of input {@code i} if it is a constant, else null. */
    public NdArray constant(int i) { return has(i) ? inputs.get(i).constant() : null; }

    /** An error at this node: message formatted with {@code args}. */
    public KilnException error(String fmt, Object... args) {
        return new KilnException(Code.SHAPE_MISMATCH, Location.node(null, nodeName), op.name() + ": " + String.format(fmt, args));
    }

    /** Throws {@link #error} unless {@code ok}. */
    public void check(boolean ok, String fmt, Object... args) {
        if (!ok) throw error(fmt, args);
    }

    /** Fails unless input {@code i} has one of {@code allowed} element types. */
    public void checkDType(int i, DType... allowed) {
        DType t = dtype(i);
        for (DType a : allowed) if (a == t) return;
        StringBuilder b = new StringBuilder();
        for (DType a : allowed) b.append(b.length() == 0 ? "" : ", ").append(a);
        throw error("input '%s' has type %s; expected one of %s", op.signature().inputName(i), t, b);
    }

    /** Fails unless input {@code i} is a floating-point tensor. */
    public void checkFloat(int i) {
        check(dtype(i).isFloat(), "input '%s' must be a float tensor, got %s", op.signature().inputName(i), dtype(i));
    }

    /** Fails unless inputs {@code i} and {@code j} have the same element type. */
    public void checkSameDType(int i, int j) {
        check(dtype(i) == dtype(j), "inputs '%s' (%s) and '%s' (%s) must have the same element type",
                op.signature().inputName(i), dtype(i), op.signature().inputName(j), dtype(j));
    }
}
