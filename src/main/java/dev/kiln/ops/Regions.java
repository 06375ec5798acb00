package dev.kiln.ops;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * What the control-flow ops (If, Loop, Scan) share: checking a region's inputs and outputs against the node,
 * running a region on the interpreter, and moving slices between a stacked tensor and one step's tensor.
 */
final class Regions {
    /** The most iterations a Loop may run, whatever its trip count says: a bound that keeps compile and run times finite. */
    static final long MAX_TRIP_COUNT = Integer.MAX_VALUE;

    private Regions() {}

    /** Fails unless region {@code g} (attribute {@code attr}) has {@code n} inputs. */
    static void checkInputCount(InferContext cx, Graph g, String attr, int n) {
        cx.check(g.inputs().size() == n, "region '%s' has %d inputs, the node gives it %d", attr, g.inputs().size(), n);
    }

    /** Fails unless region input {@code i} has type {@code t}. */
    static void checkInput(InferContext cx, Graph g, String attr, int i, TensorType t, String what) {
        Value v = g.inputs().get(i);
        cx.check(sameType(v.type(), t), "input %d ('%s') of region '%s' is %s but %s is %s", i, v.name(), attr, v.type(), what, t);
    }

    /** Same element type and shape (quantization parameters are not compared). */
    static boolean sameType(TensorType a, TensorType b) { return a.dtype() == b.dtype() && a.shape().equals(b.shape()); }

    /** Runs region {@code g} on {@code ins} (in its input order) and returns its outputs. */
    static List<NdArray> run(Graph g, List<NdArray> ins) {
        java.util.Map<String, NdArray> byName = new java.util.HashMap<>();
        for (int i = 0; i < ins.size(); i++) byName.put(g.inputs().get(i).name(), ins.get(i));
        // why: by value, not by name: a region may list one value as several outputs (a sum carried and scanned)
        java.util.Map<Value, NdArray> env = new Interpreter(g).runAll(byName);
        List<NdArray> r = new ArrayList<>();
        for (Value o : g.outputs()) r.add(env.get(o));
        return r;
    }

    /** Slice {@code t} of {@code a} along {@code axis} (that axis removed). */
    static NdArray slice(NdArray a, int axis, int t) {
        int[] d = a.shape().dims();
        int outer = a.shape().prod(0, axis), len = d[axis], inner = a.shape().prod(axis + 1, d.length);
        int[] sd = new int[d.length - 1];
        for (int i = 0, j = 0; i < d.length; i++) if (i != axis) sd[j++] = d[i];
        NdArray r = NdArray.zeros(a.dtype(), Shape.of(sd));
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < inner; k++) copy(a, (o * len + t) * inner + k, r, o * inner + k);
        return r;
    }

    /** Writes {@code s} as slice {@code t} of {@code into} along {@code axis}. */
    static void store(NdArray s, NdArray into, int axis, int t) {
        int[] d = into.shape().dims();
        int outer = into.shape().prod(0, axis), len = d[axis], inner = into.shape().prod(axis + 1, d.length);
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < inner; k++) copy(s, o * inner + k, into, (o * len + t) * inner + k);
    }

    /** The shape {@code s} with a dimension {@code n} inserted at {@code axis}. */
    static Shape insert(Shape s, int axis, int n) {
        int[] d = s.dims(), r = new int[d.length + 1];
        for (int i = 0, j = 0; i < r.length; i++) r[i] = i == axis ? n : d[j++];
        return Shape.of(r);
    }

    /** The shape {@code s} without dimension {@code axis}. */
    static Shape remove(Shape s, int axis) {
        int[] d = s.dims(), r = new int[d.length - 1];
        for (int i = 0, j = 0; i < d.length; i++) if (i != axis) r[j++] = d[i];
        return Shape.of(r);
    }

    private static void copy(NdArray from, int i, NdArray to, int j) {
        if (from.dtype().isFloat()) to.setDouble(j, from.getDouble(i));
        else to.setLong(j, from.getLong(i));
    }

    /** Multiply-accumulates of one run of region {@code g} (its nodes' MACs, regions inside counted by their ops). */
    static long macs(Graph g) {
        long m = 0;
        for (dev.kiln.ir.Node n : g.nodes()) m += n.op().macs(n);
        return m;
    }

    /** True when {@code a} is a one-element boolean tensor. */
    static boolean isFlag(TensorType a) { return a.dtype() == DType.BOOL && a.shape().numel() == 1; }

    /** The values of {@code l} from {@code from} on. */
    static <T> List<T> tail(List<T> l, int from) { return new ArrayList<>(l.subList(from, l.size())); }
}
