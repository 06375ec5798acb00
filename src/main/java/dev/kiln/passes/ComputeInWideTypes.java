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
import dev.kiln.ops.RoundingSteps;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes every op that computes on a storage type (f16, bf16, float8, float4, the sub-byte integers) compute in its
 * wider type ({@link ScalarTypes#compute}: f32, i8 or u8) between casts: a storage-typed input is cast up (a
 * constant is widened now), and a storage-typed output is computed wide and cast back down, which rounds it at the
 * op's output exactly as the interpreter rounds every op's result. A control node (If, Loop, Scan) is widened at its
 * boundary together with its regions' inputs and outputs, and its regions are lowered the same way. The C and OpenCL backends run this lowering
 * before they plan memory, so their kernels see only types they compute in; only Cast (which converts storage
 * types itself), the outputs of ops that {@link OpDef.StorageTypes#STORES_OUTPUT store} them and the ops that keep
 * packed sub-byte values' {@link OpDef.StorageTypes#SAME_BYTES bytes} (Reshape, Flatten, Squeeze, Unsqueeze,
 * Identity) keep storage types; a backend refuses any other storage-typed node it meets.
 */
public final class ComputeInWideTypes implements Pass {
    /** A control node's regions are lowered with it (their inputs and outputs change type with the node's). */
    @Override
    public boolean entersRegions() { return false; }

    @Override
    public boolean run(Graph g, PassContext cx) {
        Map<Value, Value> wide = new IdentityHashMap<>();
        boolean changed = false;
        for (Node n : new ArrayList<>(g.nodes())) {
            // why: a control node's regions take its inputs and give its outputs position by position, so its
            // regions' storage-typed inputs and outputs are widened with it, and their insides lowered like this graph
            if (n.hasRegions()) for (Graph r : n.regions()) changed |= widenRegion(r);
            OpDef.StorageTypes how = n.op().storageTypes(n);
            // why: Cast reads and writes storage types itself; a reshape of packed values keeps their bytes
            if (how == OpDef.StorageTypes.CONVERTS || how == OpDef.StorageTypes.SAME_BYTES || !storageTyped(n)) continue;
            // why: Softmax and Attention on f16/bf16 round every step to the type; in f32 they must still know which
            if (n.op().signature().attrs().containsKey(RoundingSteps.ATTR) && n.numInputs() > 0 && n.input(0) != null
                    && RoundingSteps.rounds(n.input(0).dtype()))
                n.setAttrs(n.attrs().with(RoundingSteps.ATTR, n.input(0).dtype().shortName()));
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

    /**
     * Region {@code r} with wide inputs and outputs where it had storage types: a widened input is cast down to its
     * storage type first thing (so the body computes on the same rounded values), a storage-typed output is cast up
     * last; then the body is lowered like any graph. The control node's own inputs and outputs are widened by
     * {@link #run}, so each position keeps one type on both sides.
     */
    private boolean widenRegion(Graph r) {
        boolean changed = false;
        for (int i = 0; i < r.outputs().size(); i++) {
            Value o = r.outputs().get(i);
            if (ScalarTypes.generated(o.dtype())) continue;
            DType to = ScalarTypes.compute(o.dtype());
            String name = r.uniqueValueName(o.name() + "_" + to.shortName());
            r.setOutput(i, r.addNode(Ops.CAST, r.uniqueNodeName(name), List.of(o), Attrs.of("to", to.shortName()), List.of(name)).output(0));
            changed = true;
        }
        for (Value v : r.inputs()) {
            if (ScalarTypes.generated(v.dtype())) continue;
            DType storage = v.dtype();
            List<Value.Use> uses = new ArrayList<>(v.uses());
            v.setType(new TensorType(ScalarTypes.compute(storage), v.shape()));
            String name = r.uniqueValueName(v.name() + "_" + storage.shortName());
            Value narrow = r.insertNode(0, Ops.CAST, r.uniqueNodeName(name), List.of(v), Attrs.of("to", storage.shortName()), List.of(name)).output(0);
            for (Value.Use u : uses) u.user().setInput(u.index(), narrow);
            changed = true;
        }
        return run(r, null) || changed;
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
