package dev.kiln.ops;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/** {@code y = x}: the same tensor, type (quantization included) and data. */
public final class Identity extends OpDef {
    public Identity() { super("identity", Signature.builder().input("X").output("Y").build(), Trait.ELEMENTWISE, Trait.ALIAS); }

    @Override
    public String summary() { return "y = x"; }

    @Override
    public List<TensorType> infer(InferContext cx) { return List.of(cx.input(0)); }

    @Override
    public List<NdArray> evaluate(EvalContext cx) { return List.of(cx.input(0).copy()); }

    /** Element-wise: a bounded input gives an output bounded along the same axis. */
    @Override
    public int[] carriesExtent(dev.kiln.ir.Node n, int input, int axis) { return new int[] {axis}; }

    /** On packed sub-byte values the output is the input's bytes: no unpacking (see {@link StorageTypes#SAME_BYTES}). */
    @Override
    public StorageTypes storageTypes(dev.kiln.ir.Node n) { return sameBytesWhenPacked(n); }
}
