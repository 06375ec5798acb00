package dev.kiln.kernels;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Pad;
import dev.kiln.ops.ReduceOp;
import dev.kiln.ops.Resize;
import dev.kiln.ops.Slice;
import dev.kiln.ops.Transpose;
import java.util.ArrayList;
import java.util.List;

/**
 * C kernel lowerings of the shape, data-movement, reduction, softmax and resize ops: one public static method
 * per op (see Lowerings). Most data-movement ops become a {@link Copy}: a nest of loops over the output in
 * row-major order whose input offset each axis advances by a constant stride or by a table baked into the
 * kernel; the templates in {@code templates/kernels/data.stg} only render those loops, for every backend.
 */
public final class DataKernels {
    private DataKernels() {}

    /** Indentation of one loop level in the generated C. */
    private static final String TAB = "    ";
    /** Entries per line of a baked table. */
    private static final int PER_LINE = 16;

    // ------------------------------------------------------------------------------------------------------
    // Shared models

    /** A constant table baked into a kernel: {@code static const <ctype> <name>[<n>] = { <lines> };}. */
    public static final class Table {
        public final String name, ctype;
        public final int n;
        public final List<String> lines;

        Table(String name, String ctype, List<String> values) {
            this.name = name;
            this.ctype = ctype;
            this.n = values.size();
            this.lines = lines(values);
        }
    }

    /**
     * One loop of a nest over output axis positions {@code i<d>}: the input offset {@code s<d>} is the enclosing
     * offset {@link #prev} plus {@code i<d> * stride}, or plus {@code table[i<d>]}; a checked table marks with -1 the
     * positions outside the input, and {@code v<d>} says whether the element is inside.
     */
    public static final class Loop {
        public final int d;
        public final long n;
        /** The stride as a C literal (parenthesised when negative), for an affine loop. */
        public final String stride;
        /** The offset table's name, or null for an affine loop. */
        public final String table;
        /** Whether the table marks outside positions with -1. */
        public final boolean checked;
        /** The enclosing offset and validity (variable names or literals). */
        public final String prev, prevValid;
        public final String indent;

        Loop(int d, long n, String stride, String table, boolean checked, String prev, String prevValid) {
            this.d = d;
            this.n = n;
            this.stride = stride;
            this.table = table;
            this.checked = checked;
            this.prev = prev;
            this.prevValid = prevValid;
            this.indent = TAB.repeat(d);
        }
    }

    /** One axis of a nest before simplification: {@code n} positions, affine ({@code table == null}) or a table. */
    private static final class Axis {
        long n;
        long stride;
        int[] table;

        Axis(long n, long stride, int[] table) {
            this.n = n;
            this.stride = stride;
            this.table = table;
        }

        static Axis affine(long n, long stride) { return new Axis(n, stride, null); }

        static Axis table(int[] entries) { return new Axis(entries.length, 0, entries); }
    }

    /** Axes after simplification, with the constant offset they start from. */
    private static final class Simplified {
        final List<Axis> axes = new ArrayList<>();
        long base;
        boolean empty, allOutside;
    }

    /**
     * Simplifies a nest without changing the offsets it visits: tables that are arithmetic become strides,
     * single-position axes fold into the base, and adjacent affine axes that continue each other merge.
     */
    private static Simplified simplify(List<Axis> in) {
        Simplified r = new Simplified();
        for (Axis a : in) {
            if (a.n == 0) r.empty = true;
            Axis b = a;
            if (a.table != null && a.n > 0 && arithmetic(a.table)) {
                r.base += a.table[0];
                b = Axis.affine(a.n, a.n > 1 ? a.table[1] - a.table[0] : 0);
            }
            if (b.n == 1) {
                // why: a one-position axis adds a constant (a table of one outside entry leaves nothing inside)
                if (b.table != null) r.allOutside = true;
                continue;
            }
            if (b.table == null && !r.axes.isEmpty()) {
                Axis last = r.axes.get(r.axes.size() - 1);
                if (last.table == null && last.stride == b.stride * b.n) {
                    last.n *= b.n;
                    last.stride = b.stride;
                    continue;
                }
            }
            r.axes.add(b.table == null ? Axis.affine(b.n, b.stride) : b);
        }
        return r;
    }

    private static boolean arithmetic(int[] t) {
        for (int v : t) if (v < 0) return false;
        for (int i = 2; i < t.length; i++) if (t[i] - t[i - 1] != t[1] - t[0]) return false;
        return true;
    }

    /** Turns simplified axes into loops numbered from {@code d0}, starting at offset {@code start}; adds tables. */
    private static List<Loop> loops(List<Axis> axes, int d0, String start, String startValid, List<Table> tables) {
        List<Loop> loops = new ArrayList<>();
        String prev = start, prevValid = startValid;
        for (int i = 0; i < axes.size(); i++) {
            Axis a = axes.get(i);
            int d = d0 + i;
            if (a.table == null) {
                loops.add(new Loop(d, a.n, a.stride < 0 ? "(" + a.stride + ")" : Long.toString(a.stride), null, false, prev, prevValid));
            } else {
                String name = "t" + d;
                boolean checked = false;
                List<String> vals = new ArrayList<>();
                for (int v : a.table) {
                    checked |= v < 0;
                    vals.add(Integer.toString(v));
                }
                tables.add(new Table(name, "int32_t", vals));
                loops.add(new Loop(d, a.n, null, name, checked, prev, prevValid));
                if (checked) prevValid = "v" + d;
            }
            prev = "s" + d;
        }
        return loops;
    }

    /**
     * A copy of input 0 to output 0 in output order along a loop nest; the innermost contiguous run is one
     * {@code memcpy}; elements outside the input (checked tables) get {@link #fillValue}.
     */
    public static final class Copy {
        public final List<Table> tables = new ArrayList<>();
        public List<Loop> loops = List.of();
        /** Whether the output has no elements (nothing to do), or every element is the fill value. */
        public boolean empty, allFill;
        /** Whether the body copies {@link #inner} contiguous elements with memcpy (else one element). */
        public boolean memcpy;
        public long inner = 1;
        /** Whether some elements are outside the input, and the value they get (a literal of the output type). */
        public boolean fill;
        public String fillValue;
        /** The innermost offset and validity (variable names or literals), and the body's indentation. */
        public String s, v, bodyIndent;
        /** The input element where the output starts when it is one contiguous run of the input, else -1. */
        long run = -1;
        /** Whether the planner placed the output as a view of the input's run (nothing to copy; set by the backend). */
        public boolean placed;
    }

    private static Copy copy(List<Axis> axes, String fillValue, long base0) {
        Copy c = new Copy();
        c.fillValue = fillValue;
        Simplified sm = simplify(axes);
        sm.base += base0;
        if (sm.empty) {
            c.empty = true;
            return c;
        }
        if (sm.allOutside) {
            c.allFill = true;
            return c;
        }
        List<Axis> ax = new ArrayList<>(sm.axes);
        boolean checked = false;
        for (Axis a : ax) {
            if (a.table == null) continue;
            for (int v : a.table) checked |= v < 0;
        }
        if (!ax.isEmpty()) {
            Axis last = ax.get(ax.size() - 1);
            if (last.table == null && last.stride == 1 && !checked) {
                c.memcpy = true;
                c.inner = last.n;
                ax.remove(ax.size() - 1);
            }
        } else {
            c.memcpy = true;
        }
        String base = Long.toString(sm.base);
        if (c.memcpy && ax.isEmpty() && c.tables.isEmpty() && fillValue == null) c.run = sm.base;
        c.loops = loops(ax, 0, base, "1", c.tables);
        c.fill = checked;
        c.s = ax.isEmpty() ? base : "s" + (ax.size() - 1);
        String v = "1";
        for (Loop l : c.loops) if (l.checked) v = "v" + l.d;
        c.v = v;
        c.bodyIndent = TAB.repeat(ax.size());
        return c;
    }

    private static Copy copy(List<Axis> axes) { return copy(axes, null, 0); }

    private static List<String> lines(List<String> values) {
        List<String> out = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            if (b.length() > 0) b.append(' ');
            b.append(values.get(i)).append(i + 1 < values.size() ? "," : "");
            if ((i + 1) % PER_LINE == 0) {
                out.add(b.toString());
                b.setLength(0);
            }
        }
        if (b.length() > 0) out.add(b.toString());
        return out;
    }

    /** A literal of the node's output type for {@code v}, converted as the interpreter's {@code setDouble} does. */
    private static String valueLiteral(DType t, double v) {
        return ScalarTypes.elementLiteral(t, NdArray.scalar(t, v), 0);
    }

    // ------------------------------------------------------------------------------------------------------
    // Alias ops: flatten, reshape, squeeze, unsqueeze

    /**
     * An alias op: nothing when the output shares the input's bytes ({@code k.inPlace}), else one memcpy. On packed
     * sub-byte values the copy is of the packed bytes (OpenCL: one work item a byte), and when the last byte is only
     * partly used its unused high bits are cleared, as every kernel writes an output's tail.
     */
    public static final class Alias {
        /** Whether there are bytes to copy. */
        public final boolean nonEmpty;
        /** Whether the values are packed (sub-byte), and whether their last byte has unused bits, its index and the used bits' mask. */
        public final boolean packed, tail;
        public final long lastByte;
        public final String tailMask;

        Alias(KernelModel k, Node n) {
            this.nonEmpty = k.y.bytes > 0;
            DType t = n.output(0).dtype();
            long bits = (long) t.bits() * k.n;
            this.packed = t.isSubByte() && nonEmpty;
            this.tail = packed && bits % 8 != 0;
            this.lastByte = k.y.bytes - 1;
            this.tailMask = String.format(java.util.Locale.ROOT, "0x%02Xu", (1 << (int) (bits % 8)) - 1);
            // why: OpenCL copies packed values a byte per work item
            if (packed) k.parallel = k.y.bytes;
        }
    }

    /** Identity: same bytes (a copy when not in place). */
    public static Object identity(KernelModel k, Node n, Strategy t) { return new Alias(k, n); }

    /** Flatten: same bytes, 2-D shape. */
    public static Object flatten(KernelModel k, Node n, Strategy t) { return new Alias(k, n); }

    /** Reshape: same bytes, new shape. */
    public static Object reshape(KernelModel k, Node n, Strategy t) { return new Alias(k, n); }

    /** Squeeze: same bytes, fewer axes. */
    public static Object squeeze(KernelModel k, Node n, Strategy t) { return new Alias(k, n); }

    /** Unsqueeze: same bytes, more axes. */
    public static Object unsqueeze(KernelModel k, Node n, Strategy t) { return new Alias(k, n); }

    // ------------------------------------------------------------------------------------------------------
    // Copies along loop nests: transpose, slice, expand, tile, pad

    /** Transpose: output axis i walks input axis perm[i]. */
    public static Object transpose(KernelModel k, Node n, Strategy t) {
        Shape in = n.input(0).shape();
        int r = in.rank();
        int[] p = Transpose.perm(n.attrs().getIntsOrNull("perm"), r);
        int[] strides = in.strides();
        List<Axis> axes = new ArrayList<>();
        for (int i = 0; i < r; i++) axes.add(Axis.affine(in.dim(p[i]), strides[p[i]]));
        return copy(axes);
    }

    /** Slice: each axis starts at its window's first element and steps (maybe backwards) through it. */
    public static Object slice(KernelModel k, Node n, Strategy t) {
        Shape in = n.input(0).shape();
        Slice.Window w = Slice.resolve(in, n.attrs());
        int[] strides = in.strides();
        List<Axis> axes = new ArrayList<>();
        long base = 0;
        for (int a = 0; a < in.rank(); a++) {
            if (w.count()[a] > 0) base += (long) w.start()[a] * strides[a];
            axes.add(Axis.affine(w.count()[a], (long) w.step()[a] * strides[a]));
        }
        Copy c = copy(axes, null, base);
        // why: one contiguous run of the input is its bytes; the planner may place the output there (C only: only
        // serial kernels address arena values at any offset)
        if (c.run >= 0 && t.serial() && !n.input(0).dtype().isSubByte()) k.viewAt = new long[] {c.run * n.input(0).dtype().byteSize()};
        return c;
    }

    /** Expand: numpy broadcasting, a stride of 0 along the broadcast axes. */
    public static Object expand(KernelModel k, Node n, Strategy t) {
        Shape in = n.input(0).shape(), out = n.output(0).shape();
        int off = out.rank() - in.rank();
        int[] strides = in.strides();
        List<Axis> axes = new ArrayList<>();
        for (int d = 0; d < out.rank(); d++) {
            int id = d - off >= 0 ? in.dim(d - off) : 1;
            axes.add(Axis.affine(out.dim(d), id == 1 ? 0 : strides[d - off]));
        }
        return copy(axes);
    }

    /** Tile: each axis becomes two loops, the repeats (stride 0) around the input axis. */
    public static Object tile(KernelModel k, Node n, Strategy t) {
        Shape in = n.input(0).shape();
        long[] rep = n.attrs().getInts("repeats");
        int[] strides = in.strides();
        List<Axis> axes = new ArrayList<>();
        for (int a = 0; a < in.rank(); a++) {
            axes.add(Axis.affine(rep[a], 0));
            axes.add(Axis.affine(in.dim(a), strides[a]));
        }
        return copy(axes);
    }

    /**
     * Pad: per axis a table of the input offset each output position reads (the interpreter's own
     * {@link Pad#source}); constant mode marks positions outside the input, which get the pad value.
     */
    public static Object pad(KernelModel k, Node n, Strategy t) {
        Shape in = n.input(0).shape(), out = n.output(0).shape();
        String mode = n.attrs().getString("mode");
        long[] pads = n.attrs().getInts("pads");
        int[] strides = in.strides();
        int r = in.rank();
        List<Axis> axes = new ArrayList<>();
        for (int a = 0; a < r; a++) {
            int[] tab = new int[out.dim(a)];
            for (int o = 0; o < tab.length; o++) {
                int src = Pad.source(mode, o, pads[a], in.dim(a));
                tab[o] = src < 0 ? -1 : src * strides[a];
            }
            axes.add(Axis.table(tab));
        }
        return copy(axes, valueLiteral(n.output(0).dtype(), n.attrs().getFloat("value")), 0);
    }

    // ------------------------------------------------------------------------------------------------------
    // Concat, split, gather

    /** One contiguous row copied per outer index by concat or split. */
    public static final class Part {
        /** The other tensor's parameter name, its row length and its row's position in the joined row. */
        public final String name;
        public final long row, at;
        /** The other tensor's input or output index. */
        final int index;

        Part(String name, int index, long row, long at) {
            this.name = name;
            this.index = index;
            this.row = row;
            this.at = at;
        }
    }

    /** Concat or split: {@code outer} rows of the joined tensor, each made of the parts' rows in order. */
    public static final class Join {
        public final long outer, joinedRow;
        public final List<Part> parts = new ArrayList<>();
        /** Whether there is a single outer row (no loop). */
        public final boolean single;

        Join(long outer, long joinedRow) {
            this.outer = outer;
            this.joinedRow = joinedRow;
            this.single = outer == 1;
        }
    }

    private static Join join(Shape joined, long axis, long[] lengths, List<Value> parts, String prefix) {
        int a = joined.axis(axis);
        long inner = joined.prod(a + 1, joined.rank());
        Join j = new Join(joined.prod(0, a), joined.dim(a) * inner);
        long at = 0;
        for (int i = 0; i < lengths.length; i++) {
            long row = lengths[i] * inner;
            // why: empty or absent parts have nothing to copy (an empty constant is even passed as NULL)
            if (row > 0 && j.outer > 0 && parts.get(i) != null) j.parts.add(new Part(prefix + i, i, row, at));
            at += row;
        }
        return j;
    }

    /** Concat: each input's rows go to their place in each output row. */
    public static Object concat(KernelModel k, Node n, Strategy t) {
        Shape out = n.output(0).shape();
        long axis = n.attrs().getInt("axis");
        long[] lengths = new long[n.numInputs()];
        for (int i = 0; i < lengths.length; i++) lengths[i] = n.input(i).shape().dim(out.axis(axis));
        Join j = join(out, axis, lengths, n.inputs(), "x");
        DType type = n.output(0).dtype();
        // why: with one outer row each input is one run of the output, where the planner may place its producer's
        // result; only C's kernels (serial) address arena values as plain pointers to any offset, OpenCL's do not
        if (j.single && t.serial() && !type.isSubByte()) {
            k.joinedAt = new long[n.numInputs()];
            java.util.Arrays.fill(k.joinedAt, -1);
            for (Part p : j.parts) k.joinedAt[p.index] = p.at * type.byteSize();
        }
        return j;
    }

    /**
     * Drops the parts of a concat whose input {@code placed} says already lies at its place in the output (the
     * planner put it there, {@link dev.kiln.memory.PlacementRules#joinedAt}): the kernel copies only the others.
     */
    public static void dropPlacedParts(Join j, java.util.function.IntPredicate placed) {
        // (also a split's outputs the planner placed as views of its input)
        j.parts.removeIf(p -> placed.test(p.index));
    }

    /** Split: each output takes its piece of each input row (an output nobody names is skipped). */
    public static Object split(KernelModel k, Node n, Strategy t) {
        Join j = join(n.input(0).shape(), n.attrs().getInt("axis", 0), n.attrs().getInts("split"), n.outputs(), "y");
        DType type = n.input(0).dtype();
        // why: with one outer row each output is one run of the input, which the planner may place it as (C only)
        if (j.single && t.serial() && !type.isSubByte()) {
            k.viewAt = new long[n.outputs().size()];
            java.util.Arrays.fill(k.viewAt, -1);
            for (Part p : j.parts) k.viewAt[p.index] = p.at * type.byteSize();
        }
        return j;
    }

    /** Gather: for each index (read at run time, negative ones wrapped), copy its slices of the data. */
    public static final class Gather {
        public final long outer, count, dim, inner;
        /** The index bound as a literal, and whether a slice is one element (no memcpy). */
        public final String dimLiteral;
        public final boolean single, empty;

        Gather(long outer, long count, long dim, long inner) {
            this.outer = outer;
            this.count = count;
            this.dim = dim;
            this.inner = inner;
            this.dimLiteral = ScalarTypes.intLiteral(DType.I64, dim);
            this.single = inner == 1;
            this.empty = outer * count * inner == 0;
        }
    }

    /** Gather along {@code axis}. */
    public static Object gather(KernelModel k, Node n, Strategy t) {
        Shape in = n.input(0).shape();
        int a = in.axis(n.attrs().getInt("axis", 0));
        return new Gather(in.prod(0, a), n.input(1).shape().numel(), in.dim(a), in.prod(a + 1, in.rank()));
    }

    // ------------------------------------------------------------------------------------------------------
    // Reductions

    /**
     * A reduction: the kept axes' loops walk the output in order; for each output element {@code acc} starts at
     * {@link #start}, the reduced axes' loops combine every input element, and the template's finish step stores it.
     */
    public static final class Reduce {
        public boolean empty, allFill;
        public String fillValue;
        public List<Loop> outer = List.of(), inner = List.of();
        /** The accumulator's C type and start value; the element count as a literal of the accumulator's kind. */
        public String acc, start, count;
        /** Whether the data are floats (else integers or bool). */
        public boolean isFloat;
        public String s, accIndent, bodyIndent;
    }

    private static Reduce reduce(KernelModel k, Node n, String intAcc, double floatStart, long intStart, boolean mean) {
        Shape in = n.input(0).shape();
        DType dt = n.input(0).dtype();
        Reduce m = new Reduce();
        m.isFloat = dt.isFloat();
        if (n.output(0).shape().numel() == 0) {
            m.empty = true;
            return m;
        }
        boolean[] red = ReduceOp.reducedAxes(in, n.attrs());
        int[] strides = in.strides();
        List<Axis> kept = new ArrayList<>(), reduced = new ArrayList<>();
        long count = 1;
        for (int a = 0; a < in.rank(); a++) {
            (red[a] ? reduced : kept).add(Axis.affine(in.dim(a), strides[a]));
            if (red[a]) count *= in.dim(a);
        }
        DType out = n.output(0).dtype();
        if (count == 0) {
            // why: a reduction of no elements is its identity (sum 0, mean NaN or 0, max -inf or the minimum)
            m.allFill = true;
            m.fillValue = m.isFloat ? ScalarTypes.literal(out, mean ? Double.NaN : floatStart) : ScalarTypes.intLiteral(out, mean ? 0 : intStart);
            return m;
        }
        Simplified ko = simplify(kept), ri = simplify(reduced);
        List<Table> none = new ArrayList<>();
        m.outer = loops(ko.axes, 0, "0", "1", none);
        String s0 = m.outer.isEmpty() ? "0" : "s" + (m.outer.size() - 1);
        m.inner = loops(ri.axes, m.outer.size(), s0, "1", none);
        m.s = m.inner.isEmpty() ? s0 : "s" + (m.outer.size() + m.inner.size() - 1);
        m.accIndent = TAB.repeat(m.outer.size());
        m.bodyIndent = TAB.repeat(m.outer.size() + m.inner.size());
        if (m.isFloat) {
            m.acc = k.ftype;
            m.start = ScalarTypes.literal(k.ftype.equals("double") ? DType.F64 : DType.F32, floatStart);
            m.count = ScalarTypes.literal(k.ftype.equals("double") ? DType.F64 : DType.F32, count);
        } else {
            m.acc = intAcc == null ? k.x.ctype : intAcc;
            m.start = intAcc == null ? ScalarTypes.intLiteral(dt, intStart) : intStart + "u";
            m.count = ScalarTypes.intLiteral(DType.I64, count);
        }
        return m;
    }

    /** ReduceSum: floats in the compute type, integers in wrapping 64-bit unsigned arithmetic. */
    public static Object reduceSum(KernelModel k, Node n, Strategy t) {
        return reduce(k, n, "uint64_t", 0.0, 0, false);
    }

    /** ReduceMean: the sum divided by the count (integers: the exact sum, truncated toward zero). */
    public static Object reduceMean(KernelModel k, Node n, Strategy t) {
        return reduce(k, n, "uint64_t", 0.0, 0, true);
    }

    /** ReduceMax: NaN wins for floats; bool is logical or. */
    public static Object reduceMax(KernelModel k, Node n, Strategy t) {
        DType dt = n.input(0).dtype();
        return reduce(k, n, null, Double.NEGATIVE_INFINITY, dt.isFloat() ? 0 : dt.minValue(), false);
    }

    /** ReduceMin: NaN wins for floats; bool is logical and. */
    public static Object reduceMin(KernelModel k, Node n, Strategy t) {
        DType dt = n.input(0).dtype();
        return reduce(k, n, null, Double.POSITIVE_INFINITY, dt.isFloat() ? 0 : dt.maxValue(), false);
    }

    /** ReduceProd: floats in the compute type, integers in wrapping 64-bit unsigned arithmetic. */
    public static Object reduceProd(KernelModel k, Node n, Strategy t) {
        return reduce(k, n, "uint64_t", 1.0, 1, false);
    }

    // ------------------------------------------------------------------------------------------------------
    // Softmax and log-softmax

    /** Softmax over one axis: {@code outer} blocks of {@code n} elements {@code inner} apart. */
    public static final class Softmax {
        public final long outer, n, inner, block;
        public final boolean empty;
        /** Whether the input is multiplied by {@link #scale} first (attention's fused score scale). */
        public final boolean scaled;
        /** The scale as a float literal. */
        public final String scale;
        /**
         * Lane-wise partial maxima and sums of a contiguous f32 row on a C vector host, with the vectorisable exp
         * ({@link NnKernels#sumLanes}); 0: the plain row (every other case, log-softmax, OpenCL).
         */
        public long lanes;
        /** Whether {@link #lanes} is above 0. */
        public boolean lanewise;
        /** The widths of the partials' tree combination: lanes / 2, lanes / 4, ..., 1. */
        public List<Long> halves;
        /** Each step rounded to f16/bf16 (a widened f16/bf16 softmax), or null. */
        public StepRounding steps;

        Softmax(long outer, long n, long inner, double scale) {
            this.scaled = scale != 1.0;
            this.scale = dev.kiln.kernels.ScalarTypes.floatLiteral((float) scale);
            this.outer = outer;
            this.n = n;
            this.inner = inner;
            this.block = n * inner;
            this.empty = outer * n * inner == 0;
        }
    }

    private static Softmax softmaxModel(Node n) {
        Shape s = n.input(0).shape();
        int a = s.axis(n.attrs().getInt("axis", -1));
        return new Softmax(s.prod(0, a), s.dim(a), s.prod(a + 1, s.rank()), n.attrs().getFloat(dev.kiln.ops.SoftmaxOp.SCALE, 1.0));
    }

    /** Softmax: exp(x - max) / sum. */
    public static Object softmax(KernelModel k, Node n, Strategy t) {
        Softmax m = softmaxModel(n);
        m.steps = StepRounding.of(k, n);
        if (m.steps == null && m.inner == 1 && !m.empty && n.input(0).dtype() == DType.F32 && n.output(0).dtype() == DType.F32)
            m.lanes = NnKernels.rowLanes(t, 4, m.n);
        m.lanewise = m.lanes > 0;
        m.halves = NnKernels.halves(m.lanes);
        return m;
    }

    /** LogSoftmax: (x - max) - log(sum(exp(x - max))). */
    public static Object logSoftmax(KernelModel k, Node n, Strategy t) {
        Softmax m = softmaxModel(n);
        m.steps = StepRounding.of(k, n);
        return m;
    }

    // ------------------------------------------------------------------------------------------------------
    // Resize

    /**
     * One separable interpolation pass of resize along one axis: for each of {@code outer} blocks and each
     * output position q, {@code taps} weighted input rows (offsets in table {@code idx}, weights in {@code w}) are
     * summed into the output row; positions flagged in {@code ex} get the extrapolation value.
     */
    public static final class Pass {
        public final long outer, out, inner, taps, inRow, outRow;
        public final Table idx, w, ex;
        public final boolean extrapolate;
        /** Source and destination pointers (parameter or scratch names) and their element types. */
        public final String src, dst, srcType, dstType;
        /** Whether the destination is the output (store with conversion) rather than scratch. */
        public final boolean toOutput;

        Pass(int p, Resize.Taps tp, long outer, long inner, String src, String srcType, String dst, String dstType,
                boolean toOutput, String wtype, DType wdt) {
            this.outer = outer;
            this.out = tp.out();
            this.inner = inner;
            this.taps = tp.n();
            this.inRow = (long) tp.in() * inner;
            this.outRow = (long) tp.out() * inner;
            List<String> iv = new ArrayList<>(), wv = new ArrayList<>(), ev = new ArrayList<>();
            boolean anyEx = false;
            for (int q = 0; q < tp.out(); q++) {
                boolean e = tp.extrapolate()[q];
                anyEx |= e;
                ev.add(e ? "1" : "0");
                for (int j = 0; j < tp.n(); j++) {
                    iv.add(e ? "0" : Long.toString((long) tp.index()[q * tp.n() + j] * inner));
                    wv.add(ScalarTypes.literal(wdt, e ? 0.0 : tp.weight()[q * tp.n() + j]));
                }
            }
            this.idx = new Table("ri" + p, "int32_t", iv);
            this.w = new Table("rw" + p, wtype, wv);
            this.ex = new Table("re" + p, "uint8_t", ev);
            this.extrapolate = anyEx;
            this.src = src;
            this.srcType = srcType;
            this.dst = dst;
            this.dstType = dstType;
            this.toOutput = toOutput;
        }
    }

    /**
     * Resize: nearest mode is a {@link Copy} along per-axis index tables (the interpreter's own taps); linear and
     * cubic run one {@link Pass} per changed axis, last axis first like the interpreter, through two scratch
     * buffers of the compute type (double for integer data, so that truncation agrees with the interpreter).
     */
    public static final class ResizeModel {
        /** Nearest mode's copy, or null. */
        public Copy nearest;
        /** Whether no axis changes (a plain copy). */
        public boolean copyOnly, empty;
        public final List<Pass> passes = new ArrayList<>();
        /** The compute type, the extrapolation value in it, and whether the output is an integer type. */
        public String ctype, extrapolation;
        public boolean intOut;
        /** Saturation bounds of integer outputs: compare in the compute type, store the type's limits. */
        public String lo, hi, minValue, maxValue;
        /** Whether scratch buffers A and B are used, and B's byte offset in the scratch. */
        public boolean useA, useB;
        public long offsetB;
    }

    /** Resize with ONNX semantics (see ops/Resize). */
    public static Object resize(KernelModel k, Node n, Strategy t) {
        Attrs a = n.attrs();
        Shape in = n.input(0).shape(), out = n.output(0).shape();
        DType dt = n.output(0).dtype();
        int r = in.rank();
        ResizeModel m = new ResizeModel();
        if (out.numel() == 0) {
            m.empty = true;
            return m;
        }
        Resize.Taps[] taps = new Resize.Taps[r];
        for (int d = 0; d < r; d++) taps[d] = Resize.taps(a, in, d);
        double extrap = a.getFloat("extrapolation_value");
        if (a.getString("mode").equals("nearest")) {
            int[] strides = in.strides();
            List<Axis> axes = new ArrayList<>();
            for (int d = 0; d < r; d++) {
                int[] tab = new int[taps[d].out()];
                for (int o = 0; o < tab.length; o++) tab[o] = taps[d].extrapolate()[o] ? -1 : taps[d].index()[o] * strides[d];
                axes.add(Axis.table(tab));
            }
            String fill = dt.isFloat() ? ScalarTypes.literal(dt, extrap)
                    : ScalarTypes.intLiteral(dt, dt.saturate(Double.isNaN(extrap) ? 0 : (long) extrap));
            m.nearest = copy(axes, fill, 0);
            return m;
        }
        DType cdt = dt == DType.F32 ? DType.F32 : DType.F64;
        m.ctype = ScalarTypes.ctype(cdt);
        m.extrapolation = ScalarTypes.literal(cdt, extrap);
        m.intOut = !dt.isFloat();
        if (m.intOut) {
            m.lo = ScalarTypes.doubleLiteral((double) dt.minValue());
            m.hi = ScalarTypes.doubleLiteral((double) dt.maxValue());
            m.minValue = ScalarTypes.intLiteral(dt, dt.minValue());
            m.maxValue = ScalarTypes.intLiteral(dt, dt.maxValue());
        }
        List<Integer> changed = new ArrayList<>();
        for (int d = r - 1; d >= 0; d--) if (!taps[d].isIdentity()) changed.add(d);
        if (changed.isEmpty()) {
            m.copyOnly = true;
            return m;
        }
        int[] dims = in.dims();
        long maxA = 0, maxB = 0;
        String src = k.x.name, srcType = k.x.ctype;
        for (int p = 0; p < changed.size(); p++) {
            int d = changed.get(p);
            long outer = 1, inner = 1;
            for (int i = 0; i < d; i++) outer *= dims[i];
            for (int i = d + 1; i < r; i++) inner *= dims[i];
            dims[d] = taps[d].out();
            boolean last = p == changed.size() - 1;
            String dst = last ? k.y.name : p % 2 == 0 ? "ta" : "tb";
            long size = outer * taps[d].out() * inner;
            if (dst.equals("ta")) maxA = Math.max(maxA, size);
            if (dst.equals("tb")) maxB = Math.max(maxB, size);
            m.passes.add(new Pass(p, taps[d], outer, inner, src, srcType, dst, last ? k.y.ctype : m.ctype, last, m.ctype, cdt));
            src = dst;
            srcType = m.ctype;
        }
        int es = cdt.byteSize();
        m.useA = maxA > 0;
        m.useB = maxB > 0;
        m.offsetB = (maxA * es + 7) / 8 * 8;
        k.scratchBytes = m.offsetB + maxB * es;
        return m;
    }

}
