package dev.kiln.passes;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.kernels.ScalarTypes;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes every op that computes on a storage type (f16, bf16, float8, float4, the sub-byte integers) compute in its
 * wider type ({@link ScalarTypes#compute}: f32, i8 or u8) between casts: a storage-typed input is cast up (a
 * constant is widened now), and a storage-typed output is computed wide and cast back down, which rounds it at the
 * op's output exactly as the interpreter rounds every op's result. The C and OpenCL backends run this lowering
 * before they plan memory, so their kernels see only types they compute in; only Cast (which converts storage
 * types itself), the outputs of ops that {@link OpDef.StorageTypes#STORES_OUTPUT store} them and the ops that keep
 * packed sub-byte values' {@link OpDef.StorageTypes#SAME_BYTES bytes} (Reshape, Flatten, Squeeze, Unsqueeze,
 * Identity) keep storage types;
 * a backend refuses any other storage-typed node it meets (one in a region, which this pass does not enter).
 */
public final class ComputeInWideTypes implements Pass {
    /** Regions are lowered by the backends that run them, with their own graphs. */
    @Override
    public boolean entersRegions() { return false; }

    @Override
    public boolean run(Graph g, PassContext cx) {
        Map<Value, Value> wide = new IdentityHashMap<>();
        boolean changed = false;
        for (Node n : new ArrayList<>(g.nodes())) {
            OpDef.StorageTypes how = n.op().storageTypes(n);
            // why: Cast reads and writes storage types itself; a reshape of packed values keeps their bytes
            if (how == OpDef.StorageTypes.CONVERTS || how == OpDef.StorageTypes.SAME_BYTES || !storageTyped(n)) continue;
            // why: a control node's regions read its inputs in their own types; widening only the node would
            // hand its body values of another type, so it keeps storage types and the backend refuses it
            if (n.hasRegions()) continue;
            for (int i = 0; i < n.numInputs(); i++) {
                Value v = n.input(i);
                if (v == null || ScalarTypes.generated(v.dtype())) continue;
                n.setInput(i, wide.computeIfAbsent(v, x -> widen(g, x, n)));
            }
            if (how == OpDef.StorageTypes.COMPUTE_WIDE) for (Value o : n.outputs()) if (!ScalarTypes.generated(o.dtype())) narrowAfter(g, n, o);
            changed = true;
        }
        if (changed) g.removeUnusedConstants();
        return changed;
    }

    private static boolean storageTyped(Node n) {
        for (Value v : n.inputs()) if (v != null && !ScalarTypes.generated(v.dtype())) return true;
        for (Value v : n.outputs()) if (!ScalarTypes.generated(v.dtype())) return true;
        return false;
    }

    /**
     * {@code v} in its compute type, with its quantization parameters: a widened constant, or a cast inserted before
     * its first wide user {@code n}. A sub-byte integer constant stays packed (two or four to a byte in flash) and is
     * widened by a cast at run time, which is how int4 weights ({@code --weights int4}) keep half of int8's flash.
     */
    private static Value widen(Graph g, Value v, Node n) {
        DType to = ScalarTypes.compute(v.dtype());
        String name = g.uniqueValueName(v.name() + "_" + to.shortName());
        Value w = v.isConstant() && !dev.kiln.kernels.PackedConstants.packable(v.dtype()) ? g.addConstant(name, v.constant().cast(to))
                : g.insertNode(g.nodes().indexOf(n), Ops.CAST, name, List.of(v), Attrs.of("to", to.shortName()), List.of(name)).output(0);
        if (v.type().quant() != null) w.setType(w.type().withQuant(v.type().quant()));
        return w;
    }

    // op(...) -> o: storage   =>   op(...) -> o_wide: compute; cast(o_wide) -> o
    private static void narrowAfter(Graph g, Node n, Value o) {
        DType storage = o.dtype();
        String name = o.name();
        List<Value.Use> uses = new ArrayList<>(o.uses());
        List<Integer> asOutput = new ArrayList<>();
        for (int i = 0; i < g.outputs().size(); i++) if (g.outputs().get(i) == o) asOutput.add(i);
        g.renameValue(o, g.uniqueValueName(name + "_" + ScalarTypes.compute(storage).shortName()));
        o.setType(new TensorType(ScalarTypes.compute(storage), o.shape()));
        Value narrow = g.insertNode(g.nodes().indexOf(n) + 1, Ops.CAST, g.uniqueNodeName(name + "_round"), List.of(o),
                Attrs.of("to", storage.shortName()), List.of(name)).output(0);
        for (Value.Use u : uses) u.user().setInput(u.index(), narrow);
        for (int i : asOutput) g.setOutput(i, narrow);
    }
}
