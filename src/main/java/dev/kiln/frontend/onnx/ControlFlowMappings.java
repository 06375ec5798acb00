package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX mappings of the control-flow ops If, Loop and Scan: one method per ONNX op, named like it. Each region
 * is imported as a closed graph; the outer values it reads become trailing inputs of the node (and of every
 * region of the node, in the same order).
 */
public final class ControlFlowMappings {
    private ControlFlowMappings() {}

    /**
     * If (opset 1+): both branches take the union of the outer values either reads. A condition that follows from
     * constants picks its branch now: only that branch is imported, in the If's place, as if its nodes stood there
     * (the other branch may not even type-check against the shapes this model has).
     */
    public static void If(OnnxNode n) {
        dev.kiln.ir.NdArray known = n.foldedValue(n.input(0));
        if (known != null && known.size() == 1) {
            List<Value> outs = n.inline(known.getLong(0) != 0 ? "then_branch" : "else_branch");
            for (int i = 0; i < outs.size() && i < n.numOutputs(); i++) if (n.hasOutput(i)) n.bindOutput(i, outs.get(i));
            return;
        }
        OnnxImporter.Region then = n.region("then_branch", List.of()), other = n.region("else_branch", List.of());
        List<Value> captured = union(then.captured(), other.captured());
        align(then, captured, 0);
        align(other, captured, 0);
        List<Value> ins = new ArrayList<>();
        ins.add(n.input(0));
        ins.addAll(captured);
        n.emit(Ops.IF, ins, Attrs.of("then_branch", then.graph(), "else_branch", other.graph()), then.graph().outputs().size());
    }

    /**
     * Loop (opset 1+): the trip count and the first condition are read at compile time where they are known (a
     * test case declares its inputs' values); {@code --max-trip-count NODE=N} bounds a trip count known only at run time.
     */
    public static void Loop(OnnxNode n) {
        Value m = n.hasInput(0) ? n.input(0) : null, cond = n.hasInput(1) ? n.input(1) : null;
        n.knownValue(m);
        n.knownValue(cond);
        List<Value> carried = n.numInputs() > 2 ? n.inputs(2, n.numInputs()) : List.of();
        List<TensorType> formal = new ArrayList<>();
        formal.add(new TensorType(DType.I64, Shape.scalar()));
        formal.add(new TensorType(DType.BOOL, Shape.scalar()));
        for (Value v : carried) formal.add(v.type());
        OnnxImporter.Region body = n.region("body", formal);
        List<Value> ins = new ArrayList<>();
        ins.add(m);
        ins.add(cond);
        ins.addAll(carried);
        ins.addAll(body.captured());
        Attrs a = Attrs.of("body", body.graph(), "captures", (long) body.captured().size());
        Long bound = n.options().maxTripCounts().get(n.name());
        if (bound != null) a = a.with("max_trip_count", bound);
        n.emit(Ops.LOOP, ins, a, body.graph().outputs().size() - 1);
    }

    /** Scan (opset 9+; opset 8's batched form with sequence_lens is refused). */
    public static void Scan(OnnxNode n) {
        if (n.opset() < 9) throw n.error("the opset 8 form (a batch axis and sequence_lens) is not supported; re-export the model with opset 9 or later");
        int scanIns = (int) n.attrInt("num_scan_inputs", 0);
        if (scanIns < 1 || scanIns > n.numInputs()) throw n.error("num_scan_inputs=%d does not fit its %d inputs", scanIns, n.numInputs());
        int states = n.numInputs() - scanIns;
        long[] axes = n.hasAttr("scan_input_axes") ? n.attrInts("scan_input_axes") : new long[scanIns];
        if (axes.length != scanIns) throw n.error("scan_input_axes has %d entries for %d scan inputs", axes.length, scanIns);
        List<Value> ins = n.inputs(0, n.numInputs());
        List<TensorType> formal = new ArrayList<>();
        for (int i = 0; i < n.numInputs(); i++) {
            TensorType t = ins.get(i).type();
            if (i < states) {
                formal.add(t);
            } else {
                long ax = axes[i - states];
                if (ax < -t.shape().rank() || ax >= t.shape().rank()) throw n.error("scan_input_axes[%d]=%d is outside rank %d", i - states, ax, t.shape().rank());
                formal.add(new TensorType(t.dtype(), without(t.shape(), t.shape().axis(ax))));
            }
        }
        OnnxImporter.Region body = n.region("body", formal);
        List<Value> all = new ArrayList<>(ins);
        all.addAll(body.captured());
        Attrs a = n.attrs("num_scan_inputs", "scan_input_directions", "scan_output_directions", "scan_input_axes", "scan_output_axes")
                .with("body", body.graph()).with("captures", (long) body.captured().size());
        n.emit(Ops.SCAN, all, a, body.graph().outputs().size());
    }

    private static Shape without(Shape s, int axis) {
        int[] d = s.dims(), r = new int[d.length - 1];
        for (int i = 0, j = 0; i < d.length; i++) if (i != axis) r[j++] = d[i];
        return Shape.of(r);
    }

    private static List<Value> union(List<Value> a, List<Value> b) {
        List<Value> r = new ArrayList<>(a);
        for (Value v : b) if (!r.contains(v)) r.add(v);
        return r;
    }

    /**
     * Makes the region's inputs after its {@code formal} ones stand for {@code captured}, in that order: an
     * outer value this region does not read gets an unused input.
     */
    private static void align(OnnxImporter.Region r, List<Value> captured, int formal) {
        Graph g = r.graph();
        List<Value> order = new ArrayList<>(g.inputs().subList(0, formal));
        for (Value outer : captured) {
            int i = r.captured().indexOf(outer);
            order.add(i >= 0 ? g.inputs().get(formal + i) : g.addInput(g.uniqueValueName("unused_" + outer.name()), outer.type()));
        }
        g.reorderInputs(order);
    }
}
