package dev.kiln.ops;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Bounded shapes: which values of a graph have one axis whose extent is known only at run time. Such a value's
 * static shape is its bound (what the arena reserves); the run-time extent is at most that. Producers say which
 * output axis they bound ({@link OpDef#boundedAxis}); the ops that may read a bounded value say where its extent
 * goes ({@link OpDef#carriesExtent}); any other reader is refused, naming the node. Backends compute over the
 * whole bound with zeros beyond the extent and report the extent beside the data; the interpreter keeps the
 * exact data and pads and trims around the readers ({@link #pad}, {@link #trim}).
 */
public final class Extents {
    private Extents() {}

    /** The largest bound Kiln accepts for one axis (elements). */
    public static final long MAX_BOUND = Integer.MAX_VALUE;

    /** True when node {@code n} produces an output whose extent is decided at run time. */
    public static boolean producesBounded(Node n) {
        for (int o = 0; o < n.outputs().size(); o++) if (n.op().boundedAxis(n, o) >= 0) return true;
        return false;
    }

    /**
     * The bounded axis of every bounded value of {@code g} (values not in the map have exact shapes). Fails with
     * {@link Code#BOUNDED_SHAPE} naming the first node that reads a bounded value but cannot take one.
     */
    public static Map<Value, Integer> of(Graph g) {
        Map<Value, Integer> axes = new IdentityHashMap<>();
        walk(g, axes, new IdentityHashMap<>());
        return axes;
    }

    /**
     * Fills {@code axes} (each bounded value's axis) and {@code from} (the node computing its extent, see
     * {@link #sources}); fails naming the first node that cannot read a bounded value, or that would join two
     * extents computed apart (a Concat along another axis of values of unrelated sizes).
     */
    private static void walk(Graph g, Map<Value, Integer> axes, Map<Value, Node> from) {
        walk(g.nodes(), 0, axes, from);
    }

    /** {@link #walk(Graph, Map, Map)} over {@code nodes} from index {@code first} on (the earlier ones already walked). */
    private static void walk(java.util.List<Node> nodes, int first, Map<Value, Integer> axes, Map<Value, Node> from) {
        for (int at = first; at < nodes.size(); at++) {
            Node n = nodes.get(at);
            for (int o = 0; o < n.outputs().size(); o++) {
                int a = n.op().boundedAxis(n, o);
                if (a >= 0 && n.output(o) != null) {
                    axes.put(n.output(o), a);
                    from.put(n.output(o), n);
                }
            }
            Map<Value, Node> carried = new IdentityHashMap<>();
            for (int i = 0; i < n.numInputs(); i++) {
                Value v = n.input(i);
                Integer a = v == null ? null : axes.get(v);
                if (a == null) continue;
                int[] to = n.op().carriesExtent(n, i, a);
                if (to == null)
                    throw new KilnException(Code.BOUNDED_SHAPE, Location.node(null, n.name()), n.op().name() + " '" + n.name()
                            + "' cannot read '" + v.name() + "', whose axis " + a + " has a size known only at run time (at most "
                            + v.shape().dim(a) + "); ops that can read such a value: " + readers());
                for (int o = 0; o < to.length && o < n.outputs().size(); o++) {
                    if (to[o] < 0 || n.output(o) == null) continue;
                    Integer had = axes.put(n.output(o), to[o]);
                    if (had != null && had != to[o])
                        throw new KilnException(Code.BOUNDED_SHAPE, Location.node(null, n.name()), n.op().name() + " '" + n.name()
                                + "' would give output " + o + " two axes of run-time size; Kiln bounds one axis per value");
                    Node src = from.get(v), other = carried.put(n.output(o), src);
                    // why: two inputs carried to one output must share one extent, else their slices would not line up
                    if (other != null && other != src)
                        throw new KilnException(Code.BOUNDED_SHAPE, Location.node(null, n.name()), n.op().name() + " '" + n.name()
                                + "' joins values whose sizes along axis " + to[o] + " are known only at run time and come from different nodes ('"
                                + other.name() + "' and '" + src.name() + "'), so they need not match")
                                .withHint("join them along their bounded axis instead, or give them one source");
                    from.put(n.output(o), src);
                }
            }
        }
    }

    /**
     * The bounded axis of value {@code v} of {@code g}, or null when its shape is exact. One walk per graph: the
     * axes found are kept with the graph, and a later call walks only the nodes appended since (as the importer
     * appends them); when earlier nodes changed (the node list shrank or its last walked node moved) it walks anew.
     */
    public static Integer axisOf(Graph g, Value v) {
        if (v.producer() == null) return null;
        Walked w = walked(g);
        synchronized (w) {
            return w.axes.get(v);
        }
    }

    /** The node computing bounded value {@code v}'s run-time extent ({@link #sources}), or null; one walk per graph as {@link #axisOf}. */
    public static Node sourceOf(Graph g, Value v) {
        if (v.producer() == null) return null;
        Walked w = walked(g);
        synchronized (w) {
            return w.from.get(v);
        }
    }

    /** {@code g}'s walk state, brought up to date with its nodes (see {@link #axisOf}). */
    private static Walked walked(Graph g) {
        Walked w;
        synchronized (WALKED) {
            w = WALKED.get(g);
            if (w == null) WALKED.put(g, w = new Walked());
        }
        synchronized (w) {
            java.util.List<Node> nodes = g.nodes();
            if (w.count > nodes.size() || (w.count > 0 && nodes.get(w.count - 1) != w.last)) w.reset();
            if (w.count < nodes.size()) {
                try {
                    walk(nodes, w.count, w.axes, w.from);
                } catch (KilnException e) {
                    w.reset();
                    throw e;
                }
                w.count = nodes.size();
                w.last = nodes.get(w.count - 1);
            }
            return w;
        }
    }

    /** Per graph, what {@link #axisOf} has walked: the first {@code count} nodes, the last of them {@code last}. */
    private static final Map<Graph, Walked> WALKED = new java.util.WeakHashMap<>();

    /** The state of one graph's incremental walk (see {@link #axisOf}). */
    private static final class Walked {
        final Map<Value, Integer> axes = new IdentityHashMap<>();
        final Map<Value, Node> from = new IdentityHashMap<>();
        int count;
        Node last;

        void reset() {
            axes.clear();
            from.clear();
            count = 0;
            last = null;
        }
    }

    /**
     * The bound of a node's run-time extent: {@code natural} (what the op can produce at most), lowered by the
     * node's optional {@code bound} attribute (the user's {@code --bound NODE=N}).
     */
    static int bound(InferContext cx, long natural) {
        long b = natural;
        if (cx.attrs().has("bound")) {
            long user = cx.attrs().getInt("bound");
            cx.check(user >= 0 && user <= MAX_BOUND, "bound %d is outside 0..%d", user, MAX_BOUND);
            b = Math.min(b, user);
        }
        cx.check(b <= MAX_BOUND, "its output could hold %d elements along one axis, more than Kiln's limit %d; give a smaller bound with --bound %s=N",
                b, MAX_BOUND, cx.nodeName());
        return (int) b;
    }

    /**
     * For every bounded value of {@code g}, the node that computes its run-time extent: its producer, or for a value
     * a reader carries the extent to ({@link OpDef#carriesExtent}), the producer of the value it read. Backends keep
     * one extent per such node (an op with several bounded outputs gives them one extent).
     */
    public static Map<Value, Node> sources(Graph g) {
        Map<Value, Node> from = new IdentityHashMap<>();
        walk(g, new IdentityHashMap<>(), from);
        return from;
    }

    /** The most a node that {@link #producesBounded produces bounded outputs} may report: the bound of its first bounded output. */
    public static long boundOf(Node n) {
        for (int o = 0; o < n.outputs().size(); o++) {
            int a = n.op().boundedAxis(n, o);
            if (a >= 0 && n.output(o) != null) return n.output(o).shape().dim(a);
        }
        throw new IllegalStateException(n.name() + " has no bounded output");
    }

    /** The names of the ops that may read a bounded value, for messages (not the bounded_* ones the importer makes of them). */
    static String readers() {
        TreeSet<String> names = new TreeSet<>();
        for (OpDef op : Ops.all()) {
            try {
                if (op.getClass().getMethod("carriesExtent", Node.class, int.class, int.class).getDeclaringClass() != OpDef.class
                        && op.getClass().getMethod("readsExtent", Node.class, int.class).getDeclaringClass() == OpDef.class)
                    names.add(op.name());
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException(e);
            }
        }
        return String.join(", ", names);
    }

    /** {@code a} padded with zeros at the end of every axis to {@code s} (its bound); {@code a} itself when it fits. */
    public static NdArray pad(NdArray a, Shape s) {
        if (a.shape().equals(s)) return a;
        NdArray r = NdArray.zeros(a.dtype(), s);
        copyBox(a, r, a.shape());
        return r;
    }

    /** The first {@code extent} slices of {@code a} along {@code axis}. */
    public static NdArray trim(NdArray a, int axis, int extent) {
        if (a.shape().dim(axis) == extent) return a;
        int[] d = a.shape().dims();
        d[axis] = extent;
        NdArray r = NdArray.zeros(a.dtype(), Shape.of(d));
        copyBox(a, r, r.shape());
        return r;
    }

    /** Copies the box {@code box} (a shape no larger than either array's) from the origin of {@code from} into {@code to}. */
    private static void copyBox(NdArray from, NdArray to, Shape box) {
        int n = (int) box.numel();
        int[] fs = from.shape().strides(), ts = to.shape().strides(), bd = box.dims();
        int[] idx = new int[bd.length];
        boolean floating = from.dtype().isFloat();
        for (int e = 0; e < n; e++) {
            int f = 0, t = 0;
            for (int k = 0; k < bd.length; k++) {
                f += idx[k] * fs[k];
                t += idx[k] * ts[k];
            }
            if (floating) to.setDouble(t, from.getDouble(f));
            else to.setLong(t, from.getLong(f));
            for (int k = bd.length - 1; k >= 0; k--) {
                if (++idx[k] < bd[k]) break;
                idx[k] = 0;
            }
        }
    }
}
