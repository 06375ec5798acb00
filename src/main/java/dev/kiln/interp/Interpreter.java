package dev.kiln.interp;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.EvalContext;
import dev.kiln.ops.Extents;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference interpreter: runs any graph node by node with each op's reference evaluation.
 * It is the specification every backend is checked against.
 */
public final class Interpreter {
    private final Graph graph;

    public Interpreter(Graph graph) { this.graph = graph; }

    /** Runs the graph on inputs given by name and returns the outputs by name, in graph output order. */
    public Map<String, NdArray> run(Map<String, NdArray> inputs) {
        Map<Value, NdArray> env = runAll(inputs);
        Map<String, NdArray> out = new LinkedHashMap<>();
        for (Value v : graph.outputs()) out.put(v.name(), env.get(v));
        return out;
    }

    /**
     * Runs the graph on inputs in graph input order and returns the outputs in graph output order, one per
     * listed output (a value listed twice as an output is returned twice).
     */
    public List<NdArray> run(List<NdArray> inputs) {
        if (inputs.size() != graph.inputs().size())
            throw new KilnException(Code.USAGE, Location.NONE, "model '" + graph.name() + "' has " + graph.inputs().size() + " inputs, " + inputs.size() + " given");
        Map<String, NdArray> byName = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) byName.put(graph.inputs().get(i).name(), inputs.get(i));
        Map<Value, NdArray> env = runAll(byName);
        List<NdArray> out = new ArrayList<>(graph.outputs().size());
        for (Value v : graph.outputs()) out.add(env.get(v));
        return out;
    }

    /** Runs the graph and returns every value computed (inputs, constants and node outputs). */
    public Map<Value, NdArray> runAll(Map<String, NdArray> inputs) {
        Map<Value, NdArray> env = new IdentityHashMap<>();
        for (Value v : graph.inputs()) {
            NdArray a = inputs.get(v.name());
            if (a == null) throw new KilnException(Code.USAGE, Location.NONE, "no data given for input '" + v.name() + "' (" + v.type() + ")");
            if (a.dtype() != v.dtype() || !a.shape().equals(v.shape()))
                throw new KilnException(Code.USAGE, Location.NONE, "input '" + v.name() + "' expects " + v.type() + ", got " + a.type());
            env.put(v, a);
        }
        for (Value v : graph.constants()) env.put(v, v.constant());
        Map<Value, Integer> bounded = Extents.of(graph);
        for (Node n : graph.nodes()) {
            List<NdArray> ins = new ArrayList<>(n.numInputs());
            int[] extentTo = null;
            int[] extents = null;
            for (int i = 0; i < n.numInputs(); i++) {
                Value v = n.input(i);
                NdArray a = v == null ? null : env.get(v);
                if (v != null && a == null) throw new IllegalStateException("value " + v.name() + " used by " + n + " is not computed yet");
                Integer axis = v == null ? null : bounded.get(v);
                if (axis != null) {
                    // a reader of a bounded value runs over its bound, zeros beyond the extent, as the backends do
                    int[] to = n.op().carriesExtent(n, i, axis);
                    if (extents == null) {
                        extents = new int[n.outputs().size()];
                        extentTo = new int[n.outputs().size()];
                        java.util.Arrays.fill(extentTo, -1);
                    }
                    for (int o = 0; o < to.length && o < extents.length; o++) {
                        if (to[o] < 0) continue;
                        extentTo[o] = to[o];
                        extents[o] = a.shape().dim(axis);
                    }
                    // why: an op that reads the extent itself (packs, counts from it) gets the exact data
                    if (!n.op().readsExtent(n, i)) a = Extents.pad(a, v.shape());
                }
                ins.add(a);
            }
            List<NdArray> outs = evaluate(n, ins);
            for (int i = 0; i < outs.size(); i++) {
                NdArray a = outs.get(i);
                if (extentTo != null && extentTo[i] >= 0) a = Extents.trim(a, extentTo[i], extents[i]);
                env.put(n.output(i), a);
            }
        }
        return env;
    }

    /** Evaluates one node on given input data, checking the results have the types inference promised. */
    public static List<NdArray> evaluate(Node n, List<NdArray> ins) {
        List<TensorType> types = new ArrayList<>();
        for (Value o : n.outputs()) types.add(o.type());
        List<NdArray> outs;
        try {
            List<TensorType> inTypes = new ArrayList<>(n.numInputs());
            for (Value v : n.inputs()) inTypes.add(v == null ? null : v.type());
            outs = n.op().evaluate(new EvalContext(n.name(), ins, n.attrs(), types, inTypes));
        } catch (KilnException e) {
            throw e;
        } catch (ArithmeticException | IllegalArgumentException e) {
            throw new KilnException(Code.EVAL_FAILED, Location.node(null, n.name()), n.op().name() + ": " + e.getMessage());
        }
        if (outs.size() != types.size())
            throw new IllegalStateException(n + " produced " + outs.size() + " outputs, expected " + types.size());
        for (int i = 0; i < outs.size(); i++) {
            NdArray a = outs.get(i);
            TensorType t = types.get(i);
            int bounded = n.op().boundedAxis(n, i);
            if (bounded >= 0 && a.dtype() == t.dtype() && withinBound(a.shape(), t.shape(), bounded)) continue;
            if (bounded >= 0 && a.dtype() == t.dtype() && a.shape().rank() == t.shape().rank())
                throw new KilnException(Code.BOUNDED_SHAPE, Location.node(null, n.name()), n.op().name() + " '" + n.name() + "' gives "
                        + a.shape().dim(bounded) + " along axis " + bounded + ", more than its bound " + t.shape().dim(bounded)
                        + " (set a larger one with --bound " + n.name() + "=N)");
            if (a.dtype() != t.dtype() || !a.shape().equals(t.shape()))
                throw new IllegalStateException(n + " output " + i + " is " + a.type() + " but inference said " + t);
        }
        return outs;
    }

    /** True when {@code real} equals {@code bound} but along {@code axis}, where it may be smaller. */
    private static boolean withinBound(dev.kiln.ir.Shape real, dev.kiln.ir.Shape bound, int axis) {
        if (real.rank() != bound.rank()) return false;
        for (int k = 0; k < real.rank(); k++)
            if (k == axis ? real.dim(k) > bound.dim(k) : real.dim(k) != bound.dim(k)) return false;
        return true;
    }
}
