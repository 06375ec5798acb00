package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
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

    /** Scan (opset 8 with its batch axis and sequence_lens, see {@link #batchedScan}; opset 9+ as it is). */
    public static void Scan(OnnxNode n) {
        if (n.opset() < 9) {
            batchedScan(n);
            return;
        }
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

    /**
     * Scan opset 8: input 0 is the optional sequence_lens, then the states and the scan inputs, all with a leading
     * batch axis; scan inputs walk axis 1 (per {@code directions}) and scan outputs stack along axis 1 in iteration
     * order, zero past an entry's length. Expanded into the opset 9 form, one Scan per batch entry: the entry's
     * states and inputs are gathered, its inputs sliced to its length (which must be known at compile time), its
     * scan outputs padded with zeros to the longest, and the entries stacked again.
     */
    private static void batchedScan(OnnxNode n) {
        int scanIns = (int) n.attrInt("num_scan_inputs", 0);
        if (scanIns < 1 || scanIns > n.numInputs() - 1) throw n.error("num_scan_inputs=%d does not fit its %d inputs", scanIns, n.numInputs());
        if (n.hasAttr("scan_input_axes") || n.hasAttr("scan_output_axes"))
            throw n.error("scan_input_axes and scan_output_axes came with opset 9; this node is opset %d", n.opset());
        int states = n.numInputs() - 1 - scanIns;
        List<Value> ins = n.inputs(1, n.numInputs());
        Value first = ins.get(0);
        if (first.shape().rank() < 1) throw n.error("input '%s' has no batch axis (opset 8 Scan inputs are [batch, ...])", first.name());
        int batch = first.shape().dim(0), seq = -1;
        List<TensorType> formal = new ArrayList<>();
        for (int i = 0; i < ins.size(); i++) {
            Value v = ins.get(i);
            int rank = v.shape().rank(), need = i < states ? 1 : 2;
            if (rank < need || v.shape().dim(0) != batch)
                throw n.error("input '%s' is %s; opset 8 Scan needs %s with batch %d first", v.name(), v.type(), i < states ? "a state" : "a scan input [batch, steps, ...]", batch);
            if (i >= states) {
                if (seq >= 0 && v.shape().dim(1) != seq) throw n.error("scan input '%s' has %d steps, the first has %d", v.name(), v.shape().dim(1), seq);
                seq = v.shape().dim(1);
            }
            Shape one = without(v.shape(), 0);
            formal.add(new TensorType(v.dtype(), i < states ? one : without(one, 0)));
        }
        long[] lens = new long[batch];
        java.util.Arrays.fill(lens, seq);
        if (n.hasInput(0)) {
            NdArray known = n.knownValue(n.input(0));
            if (known == null)
                throw n.error("sequence_lens '%s' is known only at run time; Kiln needs it at compile time (a constant or initializer), or re-export with opset 9",
                        n.input(0).name());
            if (known.size() != batch) throw n.error("sequence_lens has %d entries for batch %d", known.size(), batch);
            for (int b = 0; b < batch; b++) {
                lens[b] = known.getLong(b);
                // why: ONNX Runtime refuses an empty sequence too
                if (lens[b] < 1 || lens[b] > seq) throw n.error("sequence_lens[%d]=%d is outside 1..%d", b, lens[b], seq);
            }
        }
        long[] dirs = n.hasAttr("directions") ? n.attrInts("directions") : new long[scanIns];
        if (dirs.length != scanIns) throw n.error("directions has %d entries for %d scan inputs", dirs.length, scanIns);
        int outs = n.numOutputs();
        List<List<Value>> perEntry = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            String p = n.name() + "/batch" + b + "/";
            Value index = n.constant("batch" + b, NdArray.ofLongs(DType.I64, Shape.scalar(), b));
            OnnxImporter.Region body = n.region("body", formal);
            List<Value> entry = new ArrayList<>();
            for (int i = 0; i < ins.size(); i++) {
                Value v = n.emitNode(Ops.GATHER, List.of(ins.get(i), index), Attrs.of("axis", 0L), 1, p + "in" + i).get(0);
                if (i >= states && lens[b] < seq)
                    v = n.emitNode(Ops.SLICE, List.of(v), Attrs.of("starts", new long[] {0}, "ends", new long[] {lens[b]}, "axes", new long[] {0}), 1,
                            p + "steps" + i).get(0);
                entry.add(v);
            }
            List<Value> all = new ArrayList<>(entry);
            all.addAll(body.captured());
            Attrs a = Attrs.of("body", body.graph(), "captures", (long) body.captured().size(), "num_scan_inputs", (long) scanIns,
                    "scan_input_directions", dirs);
            List<Value> got = new ArrayList<>(n.emitNode(Ops.SCAN, all, a, outs, p + "scan"));
            for (int i = states; i < outs && lens[b] < seq; i++) {
                TensorType slice = body.graph().outputs().get(i).type();
                int[] d = slice.shape().dims(), z = new int[d.length + 1];
                z[0] = (int) (seq - lens[b]);
                System.arraycopy(d, 0, z, 1, d.length);
                Value zeros = n.constant("batch" + b + "_pad" + i, NdArray.zeros(slice.dtype(), Shape.of(z)));
                got.set(i, n.emitNode(Ops.CONCAT, List.of(got.get(i), zeros), Attrs.of("axis", 0L), 1, p + "padded" + i).get(0));
            }
            perEntry.add(got);
        }
        for (int i = 0; i < outs; i++) {
            List<Value> parts = new ArrayList<>();
            for (int b = 0; b < batch; b++)
                parts.add(n.emitNode(Ops.UNSQUEEZE, List.of(perEntry.get(b).get(i)), Attrs.of("axes", new long[] {0}), 1,
                        n.name() + "/batch" + b + "/out" + i).get(0));
            n.bindOutput(i, batch == 1 ? parts.get(0) : n.emitNode(Ops.CONCAT, parts, Attrs.of("axis", 0L), 1, n.name() + "/out" + i).get(0));
        }
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
