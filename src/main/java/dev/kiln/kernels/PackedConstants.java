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
     * Whether constant {@code v} is stored packed: sub-byte, read, and read only by casts or by kernels that read the
     * nibbles themselves (once a backend has widened storage types, the only other readers that keep a sub-byte
     * input are those whose widening cast it dropped: {@link KernelModel#nibbleInputs}, integer ops or ops with
     * {@link dev.kiln.ops.Trait#PACKED_INPUTS}).
     */
    public static boolean packed(Value v) {
        if (!v.isConstant() || !packable(v.dtype()) || v.uses().isEmpty()) return false;
        for (Value.Use u : v.uses())
            if (u.user().op().storageTypes(u.user()) != OpDef.StorageTypes.CONVERTS && !u.user().op().has(dev.kiln.ops.Trait.INTEGER)
                    && !u.user().op().has(dev.kiln.ops.Trait.PACKED_INPUTS)) return false;
        return true;
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

    /** The bytes of sub-byte array {@code a} packed, element i at bit {@code (i * bits) % 8} of byte {@code i * bits / 8}. */
    public static byte[] bytes(NdArray a) {
        DType t = a.dtype();
        int bits = t.bits();
        long mask = (1L << bits) - 1;
        byte[] out = new byte[Math.toIntExact(t.packedBytes(a.size()))];
        for (int i = 0; i < a.size(); i++) {
            long code = a.getLong(i);
            int bit = i * bits;
            out[bit >>> 3] |= (byte) ((code & mask) << (bit & 7));
        }
        return out;
    }
}
