package dev.kiln.passes;

import dev.kiln.diag.KilnException;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Trait;
import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates, at compile time, every node whose inputs are all constants, with the op's reference evaluation,
 * and turns its outputs into constants. Shape arithmetic the importer left, weight transposes and scalar
 * maths all disappear this way.
 */
public final class FoldConstants implements Pass {
    /** Largest number of elements a folded output may have: larger constants cost more flash than they save. */
    public static final long MAX_ELEMENTS = 1 << 20;
    /** A node whose result is bigger than its constant inputs is folded only up to this many elements. */
    public static final long MAX_GROWTH_ELEMENTS = 1 << 14;

    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (!foldable(g, n, cx)) continue;
            List<NdArray> ins = new ArrayList<>();
            for (Value v : n.inputs()) ins.add(v == null ? null : v.constant());
            List<NdArray> outs;
            try {
                outs = Interpreter.evaluate(n, ins);
            } catch (KilnException e) {
                // why: a node that cannot be evaluated fails the same way at run time; keep it where the error belongs
                cx.skip(n.name(), "evaluation failed: " + e.getMessage().replace("\n", " "));
                continue;
            }
            // op(const, const) -> const
            g.foldToConstants(n, outs);
            changed = true;
        }
        return changed;
    }

    private static boolean foldable(Graph g, Node n, PassContext cx) {
        // why: a node reading a runtime value cannot be computed now
        for (Value v : n.inputs()) if (v != null && !v.isConstant()) return false;
        // why: a node without inputs has nothing to fold from
        if (n.numInputs() == 0) return false;
        // why: quantize/dequantize pairs mark where int8 starts and ends; the int8 lowering needs them standing
        if (n.op().has(Trait.QUANT_BOUNDARY)) {
            cx.skip(n.name(), "a quantization boundary stays for the int8 lowering");
            return false;
        }
        // why: a bounded output's readers were typed for its bound; its exact data would not fit their types
        if (dev.kiln.ops.Extents.producesBounded(n)) {
            cx.skip(n.name(), "its output size is decided at run time (a bounded shape)");
            return false;
        }
        long outElems = 0, inElems = 0;
        for (Value o : n.outputs()) {
            // why: graph outputs are written by the generated code; a constant output would have no kernel to write it
            if (g.outputs().contains(o)) {
                cx.skip(n.name(), "its output '" + o.name() + "' is a graph output");
                return false;
            }
            outElems += o.shape().numel();
        }
        for (Value v : n.inputs()) if (v != null) inElems += v.shape().numel();
        // why: a huge constant costs more flash (and compile time) than the node costs at run time
        if (outElems > MAX_ELEMENTS) {
            cx.skip(n.name(), outElems + " output elements exceed the folding limit of " + MAX_ELEMENTS);
            return false;
        }
        // why: folding an op that expands data (expand, tile) trades a small kernel for a large weight
        if (outElems > inElems && outElems > MAX_GROWTH_ELEMENTS) {
            cx.skip(n.name(), "it would grow " + inElems + " constant elements to " + outElems);
            return false;
        }
        return true;
    }
}
