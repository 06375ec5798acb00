package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;

/**
 * Sub-byte integer constants (i4, u4, i2, u2) the C and OpenCL backends store packed, two or four elements to a
 * byte, low bits first (as ONNX's raw_data): those whose every reader is a cast ({@code ComputeInWideTypes} widens
 * them so at run time), which is how int4 weights take half of int8's flash. A kernel that lays out or folds a
 * constant weight sees through the widening cast with {@link #data}.
 */
public final class PackedConstants {
    private PackedConstants() {}

    /** Whether constants of type {@code t} are stored packed when only casts read them: the sub-byte integers. */
    public static boolean packable(DType t) { return t.isSubByte() && t.isInteger(); }

    /**
     * Drops the widening cast before each input that a kernel of graph {@code g} (not its regions) reads as packed
     * nibbles ({@link KernelModel#nibbleInputs}, {@code model} gives each node's): the kernel reads the packed
     * constant itself, so no unpacked copy takes arena bytes. Each cast left without readers is removed from g and
     * passed to {@code removed}; returns whether any was.
     */
    public static boolean dropNibbleCasts(dev.kiln.ir.Graph g, java.util.function.Function<dev.kiln.ir.Node, KernelModel> model,
            java.util.function.Consumer<dev.kiln.ir.Node> removed) {
        boolean dropped = false;
        for (dev.kiln.ir.Node n : new java.util.ArrayList<>(g.nodes())) {
            KernelModel k = model.apply(n);
            if (k == null) continue;
            for (int i : k.nibbleInputs) {
                Value wide = n.input(i);
                dev.kiln.ir.Node cast = wide.producer();
                // cast(c) -> wide -> n   =>   c -> n
                n.setInput(i, cast.input(0));
                if (wide.uses().isEmpty() && !g.outputs().contains(wide)) {
                    g.removeNode(cast);
                    removed.accept(cast);
                    dropped = true;
                }
            }
        }
        return dropped;
    }

    /**
     * Whether constant {@code v} is stored packed: every sub-byte constant is (the generated code holds every
     * sub-byte tensor packed, {@link dev.kiln.ir.TensorType#byteSize}). Once a backend has widened storage types its
     * readers are casts, or kernels that read the nibbles themselves ({@link KernelModel#nibbleInputs}, integer ops or
     * ops with {@link dev.kiln.ops.Trait#PACKED_INPUTS}), or it is a graph output copied as it is.
     */
    public static boolean packed(Value v) {
        return v.isConstant() && v.dtype().isSubByte();
    }

    /**
     * The packed constant that {@code v} widens exactly (v the only reader's output of a cast from it to an integer
     * type at least as wide), or null.
     */
    public static Value source(Value v) {
        dev.kiln.ir.Node p = v.producer();
        if (p == null || p.op().storageTypes(p) != OpDef.StorageTypes.CONVERTS || p.numInputs() != 1) return null;
        Value c = p.input(0);
        if (c == null || !packed(c) || c.uses().size() != 1) return null;
        DType to = v.dtype();
        boolean exact = to.isInteger() && to.minValue() <= c.dtype().minValue() && to.maxValue() >= c.dtype().maxValue();
        return exact ? c : null;
    }

    /**
     * The constant data of {@code v} for a kernel that folds or lays out a constant input: v's own, or the values
     * of the packed constant it widens ({@link #source}) in v's type; null when v is computed.
     */
    public static NdArray data(Value v) {
        if (v.isConstant()) return v.constant();
        Value c = source(v);
        return c == null ? null : c.constant().cast(v.dtype());
    }

    /**
     * The bytes of sub-byte array {@code a} packed, element i at bit {@code (i * bits) % 8} of byte {@code i * bits / 8}
     * (an integer's low bits, f4e2m1's code); the unused high bits of the last byte are zero.
     */
    public static byte[] bytes(NdArray a) {
        DType t = a.dtype();
        int bits = t.bits();
        long mask = (1L << bits) - 1;
        byte[] out = new byte[Math.toIntExact(t.packedBytes(a.size()))];
        for (int i = 0; i < a.size(); i++) {
            // why: a stored value is exact in its type, so encoding it (saturating) gives back its own code
            long code = t.isFloat() ? dev.kiln.ir.SmallFloats.encode(t, a.getFloat(i), true) : a.getLong(i);
            int bit = i * bits;
            out[bit >>> 3] |= (byte) ((code & mask) << (bit & 7));
        }
        return out;
    }
}
