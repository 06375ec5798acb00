package dev.kiln.kernels;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * The geometry of the control-flow ops (If, Loop, Scan): which region runs with which arguments, where a loop's
 * staged values sit in the node's scratch, and how slices move between a stacked tensor and one step's buffer.
 * A backend compiles each region of a node into a callable unit named {@link #regionName} (a C function; on
 * OpenCL the host's launch list), so the control kernel only names them.
 *
 * <p>Scratch layout of a looping node: the staged region inputs (iteration, condition, carried values, slices),
 * then the staged region outputs, each {@link #STAGE_ALIGN}-aligned; the region's own arena follows
 * ({@link Control#arena}).
 */
public final class ControlKernels {
    /** Alignment of every staged buffer, at least every target's arena alignment. */
    public static final long STAGE_ALIGN = 16;

    private ControlKernels() {}

    /** The name of the unit a backend compiles region {@code j} of the node with kernel {@code k} into. */
    public static String regionName(KernelModel k, int j) { return k.fn + "_r" + j; }

    /** One argument of a region call: a kernel parameter ({@code x3}, {@code y0}) or a staged buffer at {@code off} in the scratch. */
    public static final class Arg {
        public final String ctype, name;
        public final long off;
        public final boolean staged, readOnly;

        Arg(String ctype, String name, long off, boolean staged, boolean readOnly) {
            this.ctype = ctype;
            this.name = name;
            this.off = off;
            this.staged = staged;
            this.readOnly = readOnly;
        }
    }

    /** A byte copy from {@code from + fromOff} to {@code to + toOff} (names of kernel parameters or {@code s}). */
    public static final class Copy {
        public final String to, from;
        public final long toOff, fromOff, bytes;

        Copy(String to, long toOff, String from, long fromOff, long bytes) {
            this.to = to;
            this.toOff = toOff;
            this.from = from;
            this.fromOff = fromOff;
            this.bytes = bytes;
        }
    }

    /**
     * Step {@code t}'s slice of a stacked tensor {@code tensor} seen as {@code [outer, len, inner]}: {@code outer}
     * runs of {@code innerBytes}, {@code stride} bytes apart, starting at {@code ((reverse ? len-1-t : t) * innerBytes)}.
     */
    public static final class Slice {
        public final String tensor;
        public final long stage, outer, len, last, innerBytes, stride;
        public final boolean reverse;

        Slice(String tensor, long stage, Shape stacked, int axis, long elemBytes, boolean reverse) {
            this.tensor = tensor;
            this.stage = stage;
            this.outer = stacked.prod(0, axis);
            this.len = stacked.dim(axis);
            this.last = len - 1;
            this.innerBytes = stacked.prod(axis + 1, stacked.rank()) * elemBytes;
            this.stride = len * innerBytes;
            this.reverse = reverse;
        }
    }

    /** The model of a control kernel, handed to its template as {@code m}. */
    public static final class Control {
        /** If: the two regions' units and their common arguments. */
        public String thenFn, elseFn;
        /** Loop/Scan: the body's unit. */
        public String bodyFn;
        public final List<Arg> args = new ArrayList<>();
        /** Byte offset of the region's arena in the scratch, and whether it is not 0. */
        public long arena;
        public boolean offsetArena;
        /** Copies before the first step (initial values into the staged inputs), after each step, and at the end. */
        public final List<Copy> before = new ArrayList<>(), carry = new ArrayList<>(), after = new ArrayList<>();
        /** Scan: slices read before each step; Loop and Scan: slices written after each step. */
        public final List<Slice> gather = new ArrayList<>(), scatter = new ArrayList<>();
        /** Loop: runs while a staged condition holds, with a staged iteration number (Scan runs a fixed number of steps). */
        public boolean conditional;
        /** Loop: trip count known now (or -1), the bound, and whether inputs M and cond are there. */
        public long trips = -1, bound;
        public boolean hasM, hasCond, bounded;
        /** Loop: staged offsets of the iteration number, the condition in, and the condition out. */
        public long iterOff, condOff, condOutOff;
        /** Scan: the number of steps. */
        public long steps;
    }

    /** Lowers {@code if}: both regions take the node's inputs after the condition and write the node's outputs. */
    public static Object if_(KernelModel k, Node n, Strategy t) {
        Control m = new Control();
        m.thenFn = regionName(k, n.regions().indexOf(n.attrs().getGraph("then_branch")));
        m.elseFn = regionName(k, n.regions().indexOf(n.attrs().getGraph("else_branch")));
        for (int i = 1; i < n.numInputs(); i++) m.args.add(param(k.ins.get(i), true));
        for (int i = 0; i < n.outputs().size(); i++) {
            // why: a branch writes every output; a missing one would need a place of its own
            if (n.output(i) == null) throw new Unsupported("If output " + i + " is not used; give it a name");
            m.args.add(param(k.outs.get(i), false));
        }
        k.parallel = 1;
        return m;
    }

    /** Lowers {@code loop}: iteration, condition and carried values staged in the scratch; scan outputs stacked along axis 0. */
    public static Object loop(KernelModel k, Node n, Strategy t) {
        Graph body = n.attrs().getGraph("body");
        int captures = (int) n.attrs().getInt("captures");
        int carried = n.numInputs() - 2 - captures;
        Control m = new Control();
        m.bodyFn = regionName(k, 0);
        m.conditional = true;
        m.hasM = n.input(0) != null;
        m.hasCond = n.input(1) != null;
        m.trips = m.hasM && n.input(0).isConstant() ? Math.max(0, n.input(0).constant().getLong(0)) : -1;
        m.bound = n.attrs().getInt("max_trip_count");
        m.bounded = m.trips < 0;
        if (m.bounded && m.bound <= 0) throw new Unsupported("the trip count is known only at run time; give --max-trip-count " + n.name() + "=N");
        Layout l = new Layout();
        List<Long> ins = new ArrayList<>();
        for (Value v : body.inputs().subList(0, 2 + carried)) ins.add(l.take(v));
        List<Long> outs = new ArrayList<>();
        for (Value v : body.outputs()) outs.add(l.take(v));
        m.iterOff = ins.get(0);
        m.condOff = ins.get(1);
        m.condOutOff = outs.get(0);
        m.args.add(staged(body.inputs().get(0), ins.get(0), true));
        m.args.add(staged(body.inputs().get(1), ins.get(1), true));
        for (int i = 0; i < carried; i++) {
            Value v = body.inputs().get(2 + i);
            m.args.add(staged(v, ins.get(2 + i), true));
            copy(m.before, "s", ins.get(2 + i), k.ins.get(2 + i).name, v);
            copy(m.carry, "s", ins.get(2 + i), "s", outs.get(1 + i), v);
            if (k.outs.get(i).present) copy(m.after, k.outs.get(i).name, 0, "s", ins.get(2 + i), v);
        }
        for (int i = 0; i < captures; i++) m.args.add(param(k.ins.get(2 + carried + i), true));
        for (int i = 0; i < body.outputs().size(); i++) m.args.add(staged(body.outputs().get(i), outs.get(i), false));
        for (int i = carried; i < n.outputs().size(); i++) {
            Value y = n.output(i);
            if (y == null || y.type().byteSize() == 0) continue;
            m.scatter.add(new Slice(k.outs.get(i).name, outs.get(1 + i), y.shape(), 0, y.dtype().byteSize(), false));
        }
        return finish(k, m, l);
    }

    /** Lowers {@code scan}: states and one slice per scan input staged in the scratch; scan outputs stacked along their axes. */
    public static Object scan(KernelModel k, Node n, Strategy t) {
        Graph body = n.attrs().getGraph("body");
        int scanIns = (int) n.attrs().getInt("num_scan_inputs"), captures = (int) n.attrs().getInt("captures");
        int states = n.numInputs() - scanIns - captures;
        long[] inAxes = ints(n, "scan_input_axes", scanIns), inDirs = ints(n, "scan_input_directions", scanIns);
        long[] outAxes = ints(n, "scan_output_axes", n.outputs().size() - states);
        long[] outDirs = ints(n, "scan_output_directions", n.outputs().size() - states);
        Control m = new Control();
        m.bodyFn = regionName(k, 0);
        Layout l = new Layout();
        List<Long> ins = new ArrayList<>();
        for (Value v : body.inputs().subList(0, states + scanIns)) ins.add(l.take(v));
        List<Long> outs = new ArrayList<>();
        for (Value v : body.outputs()) outs.add(l.take(v));
        Shape s0 = n.input(states).shape();
        m.steps = s0.dim(s0.axis(inAxes[0]));
        for (int i = 0; i < states + scanIns; i++) m.args.add(staged(body.inputs().get(i), ins.get(i), true));
        for (int i = 0; i < captures; i++) m.args.add(param(k.ins.get(states + scanIns + i), true));
        for (int i = 0; i < body.outputs().size(); i++) m.args.add(staged(body.outputs().get(i), outs.get(i), false));
        for (int i = 0; i < states; i++) {
            Value v = body.inputs().get(i);
            copy(m.before, "s", ins.get(i), k.ins.get(i).name, v);
            copy(m.carry, "s", ins.get(i), "s", outs.get(i), v);
            if (k.outs.get(i).present) copy(m.after, k.outs.get(i).name, 0, "s", ins.get(i), v);
        }
        for (int i = 0; i < scanIns; i++) {
            Value x = n.input(states + i);
            if (x.type().byteSize() == 0) continue;
            m.gather.add(new Slice(k.ins.get(states + i).name, ins.get(states + i), x.shape(), x.shape().axis(inAxes[i]),
                    x.dtype().byteSize(), inDirs[i] != 0));
        }
        for (int i = states; i < n.outputs().size(); i++) {
            Value y = n.output(i);
            if (y == null || y.type().byteSize() == 0) continue;
            int j = i - states;
            m.scatter.add(new Slice(k.outs.get(i).name, outs.get(i), y.shape(), Shape.normalizeAxis(outAxes[j], y.shape().rank()),
                    y.dtype().byteSize(), outDirs[j] != 0));
        }
        return finish(k, m, l);
    }

    private static Object finish(KernelModel k, Control m, Layout l) {
        m.arena = l.bytes;
        m.offsetArena = l.bytes > 0;
        k.scratchBytes = l.bytes;
        k.parallel = 1;
        return m;
    }

    private static long[] ints(Node n, String name, int count) {
        long[] v = n.attrs().getIntsOrNull(name);
        return v == null ? new long[count] : v;
    }

    /** Staged buffers laid out one after another in the scratch. */
    private static final class Layout {
        long bytes;

        long take(Value v) {
            long at = bytes;
            bytes += (Math.max(v.type().byteSize(), 1) + STAGE_ALIGN - 1) / STAGE_ALIGN * STAGE_ALIGN;
            return at;
        }
    }

    private static void copy(List<Copy> into, String to, long toOff, String from, long fromOff, Value v) {
        if (v.type().byteSize() > 0) into.add(new Copy(to, toOff, from, fromOff, v.type().byteSize()));
    }

    private static void copy(List<Copy> into, String to, long toOff, String from, Value v) { copy(into, to, toOff, from, 0, v); }

    private static Arg param(TensorInfo x, boolean readOnly) { return new Arg(x.ctype, x.present ? x.name : null, 0, false, readOnly); }

    private static Arg staged(Value v, long off, boolean readOnly) {
        return new Arg(ScalarTypes.ctype(v.dtype()), null, off, true, readOnly);
    }
}
