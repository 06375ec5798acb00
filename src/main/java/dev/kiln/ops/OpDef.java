package dev.kiln.ops;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The one definition of an op: its name (as the DSL spells it), signature, traits, shape and type
 * inference, and reference evaluation. One subclass per op, registered in {@link Ops}.
 *
 * <p>Parameters that decide output shapes (axes, pads, target shapes, slice bounds...) are attributes, so
 * every shape is known at compile time; frontends turn constant inputs of their source format into them.
 */
public abstract class OpDef {
    private final String name;
    private final Signature signature;
    private final Set<Trait> traits;

    protected OpDef(String name, Signature signature, Trait... traits) {
        this.name = name;
        this.signature = signature;
        this.traits = traits.length == 0 ? EnumSet.noneOf(Trait.class) : EnumSet.of(traits[0], traits);
    }

    /** The op's name, snake_case, as the DSL and printers spell it. */
    public final String name() { return name; }

    public final Signature signature() { return signature; }

    public final Set<Trait> traits() { return traits; }

    public final boolean has(Trait t) { return traits.contains(t); }

    /** One line saying what the op computes, for {@code kiln ops}. */
    public String summary() { return ""; }

    /** Why backend {@code kind} has no kernel for this op ({@link NoKernel} on its class), or null when none is declared. */
    public final String refusal(String kind) {
        for (NoKernel r : getClass().getAnnotationsByType(NoKernel.class)) if (r.backend().equals(kind)) return r.why();
        return null;
    }

    /**
     * The types of the outputs, from the input types and the (already validated) attributes.
     * Throw {@link InferContext#error} on inputs the op cannot take.
     */
    public abstract List<TensorType> infer(InferContext cx);

    /** Computes the outputs. Output types must be exactly those {@link #infer} gave. */
    public abstract List<NdArray> evaluate(EvalContext cx);

    /** Multiply-accumulates one run of {@code n} performs (0 for ops that are not products). */
    public long macs(dev.kiln.ir.Node n) { return 0; }

    /** MACs of a convolution: every output element sums over one filter (weight dims after the first). */
    protected static long filterMacs(dev.kiln.ir.Value counted, dev.kiln.ir.Value w) {
        long per = 1;
        int[] d = w.shape().dims();
        for (int i = 1; i < d.length; i++) per *= d[i];
        return counted.shape().numel() * per;
    }

    /** MACs of a matrix product: every output element sums over the inner dimension {@code k}. */
    protected static long productMacs(dev.kiln.ir.Value out, long k) {
        return out.shape().numel() * k;
    }

    /**
     * A region that can replace a node: its nodes run once in the node's place, with {@code bindings} (outer
     * values) feeding the region's inputs in order and the region's outputs becoming the node's outputs.
     */
    public record Inlining(dev.kiln.ir.Graph region, List<dev.kiln.ir.Value> bindings) {}

    /**
     * The region node {@code n} reduces to when what it decides at run time is known now (an If whose condition
     * is a constant), or null. Ops without regions never reduce.
     */
    public Inlining inlining(dev.kiln.ir.Node n) { return null; }

    /**
     * How generated code runs this op on a storage type (f16, bf16, float8, float4, the sub-byte integers), which
     * C and OpenCL store but do not compute in.
     */
    public enum StorageTypes {
        /** The op computes in the wider type and its results are rounded back at its output, as the interpreter rounds them. */
        COMPUTE_WIDE,
        /** The op reads wide inputs but stores its output in the storage type itself (QuantizeLinear saturating to an int4's range). */
        STORES_OUTPUT,
        /** The op's kernel reads and writes the storage types itself (Cast). */
        CONVERTS,
        /**
         * Output 0 is input 0's bytes in the same order (Reshape, Flatten, Squeeze, Unsqueeze, Identity on packed
         * sub-byte values): input and output keep the storage type, and the kernel aliases or copies the packed bytes.
         */
        SAME_BYTES
    }

    /** {@link StorageTypes#SAME_BYTES} for an op that only reshapes input 0 when it is packed (sub-byte), else compute wide. */
    protected static StorageTypes sameBytesWhenPacked(dev.kiln.ir.Node n) {
        return n.input(0) != null && n.input(0).dtype().isSubByte() ? StorageTypes.SAME_BYTES : StorageTypes.COMPUTE_WIDE;
    }

    /** How the C and OpenCL backends run node {@code n} of this op on a storage type; most ops compute wide. */
    public StorageTypes storageTypes(dev.kiln.ir.Node n) { return StorageTypes.COMPUTE_WIDE; }

    /**
     * The axis of output {@code output} whose extent is known only at run time (its static dimension is then the
     * bound, the most it can hold), or -1 when the output's shape is exact. Ops whose output size depends on
     * input values (NonZero, Unique, Compress, NonMaxSuppression, TopK with a run-time K, Range with run-time operands) say so here; see {@link Extents}.
     */
    public int boundedAxis(dev.kiln.ir.Node n, int output) { return -1; }

    /**
     * How the op takes an input whose axis {@code axis} holds a run-time extent: for each output, the axis that
     * gets that extent (-1: none), or null when the op cannot take such an input. Only ops that compute each
     * slice along that axis independently may say yes, because backends run them over the whole bound (the
     * padding beyond the extent holds zeros) and only the first {@code extent} slices count.
     */
    public int[] carriesExtent(dev.kiln.ir.Node n, int input, int axis) { return null; }

    /**
     * True when the op reads input {@code input}'s run-time extent itself (a Concat packing bounded values, a Slice
     * counting from the extent, the run-time Shape): the interpreter hands it the exact data instead of the data
     * padded to its bound, and the backends pass the kernel that extent as parameter {@code e<input>}.
     */
    public boolean readsExtent(dev.kiln.ir.Node n, int input) { return false; }

    @Override
    public String toString() { return name; }
}
