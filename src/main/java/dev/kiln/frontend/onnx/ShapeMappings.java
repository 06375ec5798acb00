package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Broadcast;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.ops.Pad;
import dev.kiln.ops.Slice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX mappings of the shape, data-movement, reduction and softmax ops: one method per ONNX op, named like it.
 * Shape-deciding ONNX inputs (target shapes, axes, pads, slice bounds, split lengths, repeats) are read as
 * compile-time constants and become attributes of the Kiln ops; Constant, Shape and ConstantOfShape become
 * constants.
 */
public final class ShapeMappings {
    private ShapeMappings() {}

    /** Largest magnitude up to which every integer is exactly a double. */
    private static final double EXACT_INT_LIMIT = 9007199254740992.0;

    /** Input {@code i}, which the ONNX op requires. */
    private static Value in(OnnxNode n, int i, String what) {
        Value v = n.input(i);
        if (v == null) throw n.error("input %d (%s) is missing", i, what);
        return v;
    }

    /** The data of input {@code i} as longs, which must be given and known at compile time. */
    private static long[] ints(OnnxNode n, int i, String what) {
        long[] v = n.constInts(i, what);
        if (v == null) throw n.error("input %d (%s) is missing", i, what);
        return v;
    }

    /**
     * An integer list that is attribute {@code name} before opset {@code since} and input {@code index} from it
     * (read at compile time); null when absent. Giving it the other way for the model's opset is an error.
     */
    private static long[] attrOrInput(OnnxNode n, String name, int index, int since) {
        if (n.opset() < since) {
            if (n.hasInput(index)) throw n.error("'%s' is an attribute before opset %d, not an input (the model imports opset %d)", name, since, n.opset());
            return n.attrInts(name);
        }
        if (n.hasAttr(name)) throw n.error("'%s' is an input from opset %d, not an attribute (the model imports opset %d)", name, since, n.opset());
        return n.constInts(index, name);
    }

    public static void Flatten(OnnxNode n) { n.emit(Ops.FLATTEN, List.of(in(n, 0, "input")), n.attrs("axis")); }

    /** Resolves ONNX's 0 (copy the input's dimension, unless allowzero) and -1 (infer) into the explicit shape. */
    public static void Reshape(OnnxNode n) {
        Value x = in(n, 0, "data");
        Integer extentAt = null;
        long[] shape = null;
        if (n.opset() >= 5 && n.hasInput(1) && dev.kiln.ops.Extents.axisOf(n.graph(), x) != null && n.foldedValue(n.input(1)) == null) {
            // why: x.view(x.size(0), -1) exports its shape as Concat(Unsqueeze(Gather(Shape(x), 0)), [-1]); with the
            // extent taken as the bound it is a constant shape that keeps the run-time sized axis where the extent is
            shape = extentShape(n.input(1), x, 0);
            if (shape != null) {
                for (int i = 0; i < shape.length; i++) if (shape[i] == EXTENT) extentAt = i;
                long[] fixed = shape.clone();
                fixed[extentAt] = x.shape().dim(dev.kiln.ops.Extents.axisOf(n.graph(), x));
                shape = fixed;
            }
        }
        if (shape == null) shape = attrOrInput(n, "shape", 1, 5);
        if (shape == null) throw n.error("the target shape is missing");
        boolean allowZero = n.attrInt("allowzero", 0) != 0;
        Shape in = x.shape();
        long[] out = new long[shape.length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = shape[i];
            if (d == 0 && !allowZero) {
                if (i >= in.rank()) throw n.error("shape %s copies dimension %d (0) but the input %s has rank %d", Arrays.toString(shape), i, in, in.rank());
                d = in.dim(i);
            }
            if (d == -1) {
                if (infer >= 0) throw n.error("shape %s has more than one -1", Arrays.toString(shape));
                infer = i;
                continue;
            }
            if (d < 0) throw n.error("shape %s has an invalid dimension %d", Arrays.toString(shape), d);
            out[i] = d;
            if (d == 0) known = 0;
            else known = known > Long.MAX_VALUE / d ? Long.MAX_VALUE : known * d;
        }
        if (infer >= 0) {
            long total = in.numel();
            if (known == 0 || total % known != 0)
                throw n.error("cannot reshape %s (%d elements) to %s: the -1 dimension cannot be inferred", in, total, Arrays.toString(shape));
            out[infer] = total / known;
        }
        Integer bounded = dev.kiln.ops.Extents.axisOf(n.graph(), x);
        if (extentAt != null && dev.kiln.ops.Reshape.carried(in, Shape.of(out), bounded) != extentAt)
            throw new dev.kiln.diag.KilnException(dev.kiln.diag.Code.BOUNDED_SHAPE, dev.kiln.diag.Location.node(null, n.name()), "Reshape '" + n.name()
                    + "' of '" + x.name() + "' " + in + " takes its shape '" + n.input(1).name() + "' from the run-time Shape of '" + x.name()
                    + "', with the run-time size at position " + extentAt + ", where this reshape does not keep axis " + bounded + " of '" + x.name() + "'")
                    .withHint("Kiln reshapes to a run-time shape only when its run-time size lands on the same axis, as in x.view(x.size(0), -1)");
        if (bounded != null && dev.kiln.ops.Reshape.carried(in, Shape.of(out), bounded) < 0) {
            // why: with the axes before the run-time sized one keeping their product, each row of those axes keeps its
            // place (the filled elements first, then padding), so merging or splitting the axis with the ones after it
            // only scales its extent: [N,4] -> [4N], [2,N,4] -> [2,4N] -> [2,2N,2]
            long outer = in.prod(0, bounded), before = 1;
            int b = 0;
            while (b < out.length && before < outer) before *= out[b++];
            while (b + 1 < out.length && out[b] == 1) b++;
            long innerIn = in.prod(bounded + 1, in.rank()), innerOut = 1;
            for (int i = b + 1; i < out.length; i++) innerOut *= out[i];
            if (before == outer && b < out.length && innerOut > 0 && innerIn > 0 && (innerIn % innerOut == 0 || innerOut % innerIn == 0)) {
                long mul = innerIn % innerOut == 0 ? innerIn / innerOut : 1, div = innerIn % innerOut == 0 ? 1 : innerOut / innerIn;
                n.emit(Ops.BOUNDED_RESHAPE, List.of(x), Attrs.of("shape", out, "axis", (long) b, "multiply", mul, "divide", div));
                return;
            }
            throw new dev.kiln.diag.KilnException(dev.kiln.diag.Code.BOUNDED_SHAPE, dev.kiln.diag.Location.node(null, n.name()), "Reshape '" + n.name()
                    + "' of '" + x.name() + "' " + in + " to " + Arrays.toString(out) + " needs a gather: axis " + bounded
                    + " has a size known only at run time (at most " + in.dim(bounded) + "), and this reshape "
                    + (before != outer || b >= out.length ? "regroups the axes before it, which would mix its padding into the result"
                            : "cuts it into pieces that do not line up with the axes after it"))
                    .withHint("keep the axes before the run-time sized one as they are (a shape like " + prefix(in, bounded)
                            + "), and merge or split it only with the axes after it");
        }
        n.emit(Ops.RESHAPE, List.of(x), Attrs.of("shape", out));
    }

    /** Marks the element of an {@link #extentShape} that is the run-time extent. */
    private static final long EXTENT = Long.MIN_VALUE;

    /**
     * The elements of the 1-D int value {@code v} when each is a constant or, in exactly one place ({@link #EXTENT}),
     * the run-time extent of {@code x}: {@code v} is built from a run-time Shape of {@code x} through Gather and Slice
     * with constant indices, Concat, Cast, Reshape, Squeeze, Unsqueeze and Identity. Null otherwise.
     */
    private static long[] extentShape(Value v, Value x, int depth) {
        long[] r = extentParts(v, x, depth);
        int marks = 0;
        for (int i = 0; r != null && i < r.length; i++) if (r[i] == EXTENT) marks++;
        return marks == 1 ? r : null;
    }

    /** {@link #extentShape} without the check that the extent appears once. */
    private static long[] extentParts(Value v, Value x, int depth) {
        if (v == null || depth > 16) return null;
        if (v.constant() != null) return v.constant().toLongArray();
        dev.kiln.ir.Node p = v.producer();
        if (p == null) return null;
        if (p.op() == Ops.BOUNDED_SHAPE) {
            if (p.input(0) != x) return null;
            int a = (int) p.attrs().getInt("axis"), from = (int) p.attrs().getInt("start"), to = (int) p.attrs().getInt("end");
            long[] r = new long[to - from];
            for (int i = from; i < to; i++) r[i - from] = i == a ? EXTENT : x.shape().dim(i);
            return r;
        }
        if (p.op() == Ops.CAST || p.op() == Ops.RESHAPE || p.op() == Ops.SQUEEZE || p.op() == Ops.UNSQUEEZE || p.op() == Ops.IDENTITY) {
            long[] r = extentParts(p.input(0), x, depth + 1);
            return r != null && r.length == v.shape().numel() ? r : null;
        }
        if (p.op() == Ops.CONCAT && v.shape().rank() == 1) {
            long[] r = new long[0];
            for (Value in : p.inputs()) {
                long[] part = extentParts(in, x, depth + 1);
                if (part == null) return null;
                long[] both = Arrays.copyOf(r, r.length + part.length);
                System.arraycopy(part, 0, both, r.length, part.length);
                r = both;
            }
            return r;
        }
        if (IndexMappings.picksElements(p)) {
            long[] from = extentParts(p.input(0), x, depth + 1);
            int[] at = from == null ? null : IndexMappings.picks(p, from.length);
            if (at == null) return null;
            long[] r = new long[at.length];
            for (int i = 0; i < r.length; i++) r[i] = from[at[i]];
            return r;
        }
        return null;
    }

    /** The dimensions of {@code s} before {@code axis} followed by -1, for messages: {@code [2, -1]}. */
    private static String prefix(Shape s, int axis) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < axis; i++) b.append(s.dim(i)).append(", ");
        return b.append("-1]").toString();
    }

    public static void Transpose(OnnxNode n) { n.emit(Ops.TRANSPOSE, List.of(in(n, 0, "data")), n.attrs("perm")); }

    /**
     * Concat; inputs with a run-time extent along the axis give a {@code bounded_concat} that packs their extents (the
     * others count whole); inputs all bounded along another axis stay a concat carrying their one extent, or, when
     * different nodes compute their extents, a {@code bounded_concat} along that axis that checks them equal at run time.
     */
    public static void Concat(OnnxNode n) {
        if (!n.hasAttr("axis") && n.opset() >= 4) throw n.error("attribute 'axis' is required");
        long axis = n.attrInt("axis", 1);
        List<Value> ins = n.inputs();
        long[] bounded = new long[ins.size()];
        Integer other = null;
        Value fixed = null, sized = null;
        int r = ins.isEmpty() || ins.get(0) == null ? 0 : ins.get(0).shape().rank();
        long a = axis < 0 ? axis + r : axis;
        for (int i = 0; i < ins.size(); i++) {
            Integer b = ins.get(i) == null ? null : dev.kiln.ops.Extents.axisOf(n.graph(), ins.get(i));
            if (b == null) fixed = ins.get(i);
            else if (b == a) bounded[i] = 1;
            else {
                other = b;
                sized = ins.get(i);
            }
        }
        if (other != null && fixed != null)
            throw new dev.kiln.diag.KilnException(dev.kiln.diag.Code.BOUNDED_SHAPE, dev.kiln.diag.Location.node(null, n.name()), "Concat '" + n.name()
                    + "' joins '" + sized.name() + "', whose axis " + other + " has a size known only at run time, with '" + fixed.name()
                    + "', whose size is fixed, along axis " + a + "; their slices would not line up")
                    .withHint("concatenate along the run-time sized axis " + other + ", or give both a run-time size from one node");
        boolean packs = false;
        for (long b : bounded) packs |= b != 0;
        if (packs && other == null) n.emit(Ops.BOUNDED_CONCAT, ins, Attrs.of("axis", axis, "bounded", bounded));
        else if (other != null && !oneSource(n, ins)) {
            // why: extents from different nodes (TopK of two heads with one k) line up only when equal: checked at run time
            for (Value v : ins)
                if (v != null && v.shape().dim(other) != sized.shape().dim(other))
                    throw new dev.kiln.diag.KilnException(dev.kiln.diag.Code.BOUNDED_SHAPE, dev.kiln.diag.Location.node(null, n.name()), "Concat '" + n.name()
                            + "' joins '" + sized.name() + "' and '" + v.name() + "' along axis " + a + ", whose sizes along axis " + other
                            + " are known only at run time, come from different nodes and have different bounds (" + sized.shape().dim(other) + " and "
                            + v.shape().dim(other) + "), so their slices need not line up")
                            .withHint("give their producers one bound with --bound NODE=N, or concatenate along the run-time sized axis " + other);
            n.emit(Ops.BOUNDED_CONCAT, ins, Attrs.of("axis", axis, "bounded", bounded, "along", (long) other));
        }
        else n.emit(Ops.CONCAT, ins, Attrs.of("axis", axis));
    }

    /** Whether the present values of {@code ins} have their run-time extents computed by one node. */
    private static boolean oneSource(OnnxNode n, List<Value> ins) {
        dev.kiln.ir.Node first = null;
        for (Value v : ins) {
            if (v == null) continue;
            dev.kiln.ir.Node s = dev.kiln.ops.Extents.sourceOf(n.graph(), v);
            if (first == null) first = s;
            else if (s != first) return false;
        }
        return true;
    }

    /**
     * Split lengths come from the {@code split} attribute (before opset 13) or input (from 13); otherwise the
     * axis is cut into as many pieces as outputs ({@code num_outputs} from opset 18), each of ceil(dim / count)
     * elements but the last, which gets the rest.
     */
    public static void Split(OnnxNode n) {
        Value x = in(n, 0, "input");
        long axis = n.attrInt("axis", 0);
        long[] split = attrOrInput(n, "split", 1, 13);
        int outs = n.numOutputs();
        if (split != null && split.length == 0 && n.opset() < 13) split = null;
        if (split == null) {
            if (outs == 0) throw n.error("the node has no outputs");
            if (n.hasAttr("num_outputs")) {
                long k = n.attrInt("num_outputs", 0);
                if (k != outs) throw n.error("num_outputs is %d but the node has %d outputs", k, outs);
            }
            int r = x.shape().rank();
            if (axis < -r || axis >= r) throw n.error("axis %d is out of range for rank %d", axis, r);
            long dim = x.shape().dim((int) (axis < 0 ? axis + r : axis));
            long chunk = (dim + outs - 1) / outs;
            split = new long[outs];
            Arrays.fill(split, chunk);
            split[outs - 1] = dim - chunk * (outs - 1);
            if (split[outs - 1] < 0)
                throw n.error("an axis of dimension %d cannot be split into %d pieces of %d elements", dim, outs, chunk);
        } else if (n.hasAttr("num_outputs")) {
            throw n.error("give either the split input or the num_outputs attribute, not both");
        }
        n.emit(Ops.SPLIT, List.of(x), Attrs.of("axis", axis, "split", split));
    }

    /**
     * Bounds come from attributes before opset 10 and from inputs from 10 (with optional axes and steps). The
     * attributes are stored resolved: axes non-negative, starts clamped into the axis, ends the exact
     * exclusive end of the elements taken (a backward slice through element 0 ends at -(dim+1), which
     * resolves to "before the first"), steps explicit.
     */
    public static void Slice(OnnxNode n) {
        Value x = in(n, 0, "data");
        Integer runTime = n.opset() >= 10 && n.hasInput(1) && n.hasInput(2) ? dev.kiln.ops.Extents.axisOf(n.graph(), x) : null;
        if (runTime != null && (n.foldedValue(n.input(1)) == null || n.foldedValue(n.input(2)) == null)) {
            runTimeWindow(n, x, runTime);
            return;
        }
        if (n.opset() >= 10 && n.hasInput(1) && n.hasInput(2) && (n.knownValue(n.input(1)) == null || n.knownValue(n.input(2)) == null)) {
            slidingWindow(n, x);
            return;
        }
        long[] starts = attrOrInput(n, "starts", 1, 10);
        long[] ends = attrOrInput(n, "ends", 2, 10);
        long[] axes = attrOrInput(n, "axes", 3, 10);
        long[] steps = n.opset() >= 10 ? n.constInts(4, "steps") : null;
        if (starts == null || ends == null) throw n.error("starts and ends are required");
        Attrs raw = Attrs.of("starts", starts, "ends", ends, "axes", axes, "steps", steps);
        Slice.Window w;
        try {
            w = Slice.resolve(x.shape(), raw);
        } catch (IllegalArgumentException e) {
            throw n.error("%s", e.getMessage());
        }
        int r = x.shape().rank(), k = starts.length;
        long[] a = new long[k], b = new long[k], e = new long[k], st = new long[k];
        for (int i = 0; i < k; i++) {
            long ax = axes == null ? i : axes[i];
            int d = (int) (ax < 0 ? ax + r : ax);
            long step = w.step()[d], count = w.count()[d], dim = x.shape().dim(d);
            a[i] = d;
            st[i] = step;
            b[i] = w.start()[d];
            e[i] = count == 0 ? b[i] : b[i] + (count - 1) * step + (step > 0 ? 1 : -1);
            if (e[i] < 0) e[i] = -(dim + 1);
        }
        Integer bounded = dev.kiln.ops.Extents.axisOf(n.graph(), x);
        for (int i = 0; bounded != null && i < k; i++) {
            if (a[i] != bounded || (w.start()[bounded] == 0 && w.step()[bounded] == 1 && w.count()[bounded] == x.shape().dim(bounded))) continue;
            // why: on a run-time sized axis the indices resolve against the extent, at run time; other axes are sliced first
            Value y = x;
            if (k > 1) {
                long[][] rest = {new long[k - 1], new long[k - 1], new long[k - 1], new long[k - 1]};
                for (int j = 0, o = 0; j < k; j++) {
                    if (j == i) continue;
                    rest[0][o] = b[j];
                    rest[1][o] = e[j];
                    rest[2][o] = a[j];
                    rest[3][o++] = st[j];
                }
                y = n.emitNode(Ops.SLICE, List.of(x), Attrs.of("starts", rest[0], "ends", rest[1], "axes", rest[2], "steps", rest[3]), 1,
                        n.name() + "/fixed_axes").get(0);
            }
            long far = dev.kiln.ops.BoundedSlice.FAR;
            n.emit(Ops.BOUNDED_SLICE, List.of(y), Attrs.of("axis", (long) bounded, "start", Math.max(-far, Math.min(far, starts[i])),
                    "end", Math.max(-far, Math.min(far, ends[i])), "step", Math.max(-far, Math.min(far, steps == null ? 1 : steps[i]))));
            return;
        }
        n.emit(Ops.SLICE, List.of(x), Attrs.of("starts", b, "ends", e, "axes", a, "steps", st));
    }

    /**
     * A Slice of {@code x}'s run-time sized axis {@code bounded} whose start or end is a run-time value (a graph input,
     * or computed from a run-time Shape): a {@code bounded_slice} reading that value, resolved against the extent at
     * run time. It takes one axis, the run-time sized one, with a constant step; anything else is refused by name.
     */
    private static void runTimeWindow(OnnxNode n, Value x, int bounded) {
        long[] axes = n.hasInput(3) ? n.constInts(3, "axes") : new long[] {0};
        long[] steps = n.hasInput(4) ? n.constInts(4, "steps") : new long[] {1};
        Value start = n.input(1), end = n.input(2);
        int r = x.shape().rank();
        if (axes.length != 1 || steps.length != 1 || start.shape().numel() != 1 || end.shape().numel() != 1 || axes[0] < -r || axes[0] >= r
                || (axes[0] < 0 ? axes[0] + r : axes[0]) != bounded)
            throw new dev.kiln.diag.KilnException(dev.kiln.diag.Code.BOUNDED_SHAPE, dev.kiln.diag.Location.node(null, n.name()), "Slice '" + n.name()
                    + "' of '" + x.name() + "' has starts or ends known only at run time ('" + start.name() + "', '" + end.name() + "') on axes "
                    + Arrays.toString(axes) + "; with run-time indices Kiln slices one axis, the one of run-time size (" + bounded + ")")
                    .withHint("slice axis " + bounded + " alone with run-time indices, and the other axes in a Slice of their own with constant ones");
        if (steps[0] == 0) throw n.error("steps must not be 0");
        long far = dev.kiln.ops.BoundedSlice.FAR;
        NdArray s = n.foldedValue(start), e = n.foldedValue(end);
        n.note("slice of '%s' with run-time %s on its run-time sized axis %d", x.name(), s == null ? e == null ? "starts and ends" : "starts" : "ends", bounded);
        n.emit(Ops.BOUNDED_SLICE, Arrays.asList(x, s == null ? start : null, e == null ? end : null), Attrs.of("axis", (long) bounded,
                "start", s == null ? 0L : Math.max(-far, Math.min(far, s.getLong(0))), "end", e == null ? far : Math.max(-far, Math.min(far, e.getLong(0))),
                "step", Math.max(-far, Math.min(far, steps[0]))));
    }

    /**
     * A Slice whose bounds are known only at run time but whose width is fixed ({@code ends = starts + k}, e.g. a
     * Loop body taking step {@code i} as {@code x[i:i+1]}): one axis, step 1, becomes a Gather of the k indices
     * {@code starts + [0, k)}. Indices outside the axis fail at run time instead of being clamped as Slice would.
     */
    private static void slidingWindow(OnnxNode n, Value x) {
        Value starts = n.input(1), ends = n.input(2);
        Long width = starts.shape().numel() == 1 ? offset(ends, starts) : null;
        if (width == null || width < 0 || (n.hasInput(4) && !isOnes(n.knownValue(n.input(4)))))
            throw n.error("starts and ends are known only at run time; Kiln slices with run-time bounds only when ends = starts + a constant on one axis with step 1");
        long[] axes = n.hasInput(3) ? n.constInts(3, "axes") : new long[] {0};
        if (axes.length != 1) throw n.error("a run-time slice takes one axis, got %d", axes.length);
        int axis = x.shape().axis(axes[0]);
        long[] steps = new long[width.intValue()];
        for (int i = 0; i < steps.length; i++) steps[i] = i;
        Value flat = n.emitNode(Ops.RESHAPE, List.of(starts), Attrs.of("shape", new long[] {1}), 1, n.name() + "/start").get(0);
        Value idx = n.emitNode(Ops.ADD, List.of(flat, n.constant("window", NdArray.ofLongs(starts.dtype(), Shape.of(steps.length), steps))),
                Attrs.EMPTY, 1, n.name() + "/indices").get(0);
        n.note("run-time slice of width %d on axis %d read as a gather", width, axis);
        n.emit(Ops.GATHER, List.of(x, idx), Attrs.of("axis", (long) axis));
    }

    /** {@code a - b} when it is a constant the graph proves (through adds of one-element constants and matching reshapes), else null. */
    private static Long offset(Value a, Value b) {
        if (a == b) return 0L;
        dev.kiln.ir.Node p = a.producer(), q = b.producer();
        if (p != null && p.op() == Ops.ADD) {
            for (int i = 0; i < 2; i++) {
                Value c = p.input(1 - i);
                if (c != null && c.isConstant() && c.shape().numel() == 1) {
                    Long r = offset(p.input(i), b);
                    if (r != null) return r + c.constant().getLong(0);
                }
            }
        }
        if (p != null && q != null && p.op() == q.op() && p.op().has(dev.kiln.ops.Trait.ALIAS) && p.attrs().equals(q.attrs()))
            return offset(p.input(0), q.input(0));
        return null;
    }

    private static boolean isOnes(NdArray a) {
        if (a == null) return false;
        for (int i = 0; i < a.size(); i++) if (a.getLong(i) != 1) return false;
        return true;
    }

    /**
     * Pads come from attributes before opset 11 and from inputs from 11 ({@code pads}, {@code constant_value},
     * and from 18 {@code axes}, which lists the axes {@code pads} covers).
     */
    public static void Pad(OnnxNode n) {
        Value x = in(n, 0, "data");
        int r = x.shape().rank();
        String mode = n.attrString("mode", "constant");
        if (!Pad.MODES.contains(mode)) throw n.error("mode '%s' is not supported (use one of %s)", mode, Pad.MODES);
        if (mode.equals("wrap") && n.opset() < 19) throw n.error("mode 'wrap' exists only from opset 19 (the model imports opset %d)", n.opset());
        long[] pads;
        double value;
        if (n.opset() < 11) {
            pads = attrOrInput(n, "pads", 1, 11);
            value = n.attrFloat("value", 0.0);
        } else {
            pads = attrOrInput(n, "pads", 1, 11);
            NdArray v = n.constInput(2, "constant_value");
            if (v != null && v.size() != 1) throw n.error("constant_value must hold one value, it has %d", v.size());
            if (v != null && v.dtype() != x.dtype()) throw n.error("constant_value is %s but data is %s", v.dtype(), x.dtype());
            value = v == null ? 0.0 : v.getDouble(0);
            if (v != null && !v.dtype().isFloat() && (Math.abs(value) > EXACT_INT_LIMIT || (long) value != v.getLong(0)))
                throw n.error("constant_value %d cannot be stored exactly", v.getLong(0));
            long[] axes = n.constInts(3, "axes");
            if (axes != null) pads = fullPads(n, pads, axes, r);
        }
        if (pads == null) throw n.error("pads are required");
        n.emit(Ops.PAD, List.of(x), Attrs.of("pads", pads, "mode", mode, "value", value));
    }

    private static long[] fullPads(OnnxNode n, long[] pads, long[] axes, int r) {
        if (pads == null || pads.length != 2 * axes.length)
            throw n.error("pads %s must have 2 entries per axis in axes %s", Arrays.toString(pads), Arrays.toString(axes));
        long[] full = new long[2 * r];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < axes.length; i++) {
            long ax = axes[i];
            if (ax < -r || ax >= r) throw n.error("axis %d in axes %s is out of range for rank %d", ax, Arrays.toString(axes), r);
            int a = (int) (ax < 0 ? ax + r : ax);
            if (seen[a]) throw n.error("axis %d appears twice in axes %s", a, Arrays.toString(axes));
            seen[a] = true;
            full[a] = pads[i];
            full[a + r] = pads[i + axes.length];
        }
        return full;
    }

    /**
     * Axes come from the attribute before opset 13 and from the optional input from 13; none (or an empty
     * list) means every axis of dimension 1, which the mapping lists explicitly.
     */
    public static void Squeeze(OnnxNode n) {
        Value x = in(n, 0, "data");
        long[] axes = attrOrInput(n, "axes", 1, 13);
        if (axes == null || axes.length == 0) {
            List<Long> ones = new ArrayList<>();
            for (int a = 0; a < x.shape().rank(); a++) if (x.shape().dim(a) == 1) ones.add((long) a);
            axes = ones.stream().mapToLong(Long::longValue).toArray();
        }
        n.emit(Ops.SQUEEZE, List.of(x), Attrs.of("axes", axes));
    }

    /** Axes come from the attribute before opset 13 and from the input from 13. */
    public static void Unsqueeze(OnnxNode n) {
        Value x = in(n, 0, "data");
        long[] axes = attrOrInput(n, "axes", 1, 13);
        if (axes == null) throw n.error("axes are required");
        n.emit(Ops.UNSQUEEZE, List.of(x), Attrs.of("axes", axes));
    }

    /** The target shape is broadcast with the input's shape, and the result becomes the attribute. */
    public static void Expand(OnnxNode n) {
        Value x = in(n, 0, "input");
        long[] shape = ints(n, 1, "shape");
        for (long d : shape) if (d < 0 || d > Integer.MAX_VALUE) throw n.error("shape %s has an invalid dimension %d", Arrays.toString(shape), d);
        Shape out;
        try {
            out = Broadcast.shape(x.shape(), Shape.of(shape));
        } catch (IllegalArgumentException e) {
            throw n.error("%s", e.getMessage());
        }
        n.emit(Ops.EXPAND, List.of(x), Attrs.of("shape", out.dimsLong()));
    }

    public static void Tile(OnnxNode n) {
        n.emit(Ops.TILE, List.of(in(n, 0, "input")), Attrs.of("repeats", ints(n, 1, "repeats")));
    }

    public static void Gather(OnnxNode n) { n.emit(Ops.GATHER, List.of(in(n, 0, "data"), in(n, 1, "indices")), n.attrs("axis")); }

    public static void ReduceSum(OnnxNode n) { reduce(n, Ops.REDUCE_SUM, 13); }

    public static void ReduceMean(OnnxNode n) { reduce(n, Ops.REDUCE_MEAN, 18); }

    public static void ReduceMax(OnnxNode n) { reduce(n, Ops.REDUCE_MAX, 18); }

    /**
     * Axes come from the attribute before {@code inputSince} and from the optional input after. No axes means
     * every axis, unless {@code noop_with_empty_axes} is set: then none (the Kiln op's explicit empty list).
     */
    static void reduce(OnnxNode n, OpDef op, int inputSince) {
        n.emit(op, List.of(in(n, 0, "data")), reduceAttrs(n, inputSince));
    }

    /** The Kiln reduction attributes (axes, keepdims) of an ONNX reduction whose axes become an input at {@code inputSince}. */
    static Attrs reduceAttrs(OnnxNode n, int inputSince) {
        long[] axes = attrOrInput(n, "axes", 1, inputSince);
        if (axes != null && axes.length == 0) axes = null;
        if (axes == null && n.opset() >= inputSince && n.attrInt("noop_with_empty_axes", 0) != 0) axes = new long[0];
        Attrs a = Attrs.of("keepdims", n.attrInt("keepdims", 1));
        if (axes != null) a = a.with("axes", axes);
        return a;
    }

    public static void Softmax(OnnxNode n) { softmax(n, Ops.SOFTMAX); }

    public static void LogSoftmax(OnnxNode n) { softmax(n, Ops.LOG_SOFTMAX); }

    /**
     * From opset 13 the op normalises over one axis (default -1), as Kiln's does. Before, the input was
     * seen as 2-D at {@code axis} (default 1) and normalised over the whole trailing block: when that block
     * has more than one non-trivial axis the mapping reshapes to 2-D, normalises the columns and reshapes back.
     */
    static void softmax(OnnxNode n, OpDef op) {
        Value x = in(n, 0, "input");
        if (n.opset() >= 13) {
            n.emit(op, List.of(x), Attrs.of("axis", n.attrInt("axis", -1)));
            return;
        }
        Shape s = x.shape();
        int r = s.rank();
        long axis = n.attrInt("axis", 1);
        if (axis < -r || axis >= r) throw n.error("axis %d is out of range for rank %d", axis, r);
        int a = (int) (axis < 0 ? axis + r : axis);
        if (s.prod(a + 1, r) == 1) {
            n.emit(op, List.of(x), Attrs.of("axis", (long) a));
            return;
        }
        long rows = s.prod(0, a), cols = s.prod(a, r);
        Value flat = n.emitNode(Ops.RESHAPE, List.of(x), Attrs.of("shape", new long[] {rows, cols}), 1, n.name() + "/coerce_2d").get(0);
        Value norm = n.emitNode(op, List.of(flat), Attrs.of("axis", 1L), 1, n.name() + "/" + op.name()).get(0);
        n.emit(Ops.RESHAPE, List.of(norm), Attrs.of("shape", s.dimsLong()));
    }

    /** Becomes a constant from whichever value attribute the node has. */
    public static void Constant(OnnxNode n) {
        NdArray v;
        if (n.hasAttr("value")) v = n.attrTensor("value");
        else if (n.hasAttr("value_float")) v = NdArray.ofFloats(Shape.scalar(), (float) n.attrFloat("value_float", 0));
        else if (n.hasAttr("value_int")) v = NdArray.ofLongs(DType.I64, Shape.scalar(), n.attrInt("value_int", 0));
        else if (n.hasAttr("value_ints")) v = NdArray.ofI64(n.attrInts("value_ints"));
        else if (n.hasAttr("value_floats")) {
            double[] d = n.attrFloats("value_floats");
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
            v = NdArray.ofFloats(Shape.of(f.length), f);
        } else if (n.hasAttr("sparse_value")) throw n.error("sparse tensor constants are not supported");
        else if (n.hasAttr("value_string") || n.hasAttr("value_strings")) throw n.error("string constants are not supported");
        else throw n.error("no value attribute");
        n.bindConstant(0, v);
    }

    /** The input's static shape, from {@code start} to {@code end} (opset 15; negative counts from the end, clamped). */
    public static void Shape(OnnxNode n) {
        long[] dims = in(n, 0, "data").shape().dimsLong();
        int r = dims.length;
        long start = n.attrInt("start", 0), end = n.attrInt("end", r);
        if (start < 0) start += r;
        if (end < 0) end += r;
        start = Math.max(0, Math.min(r, start));
        end = Math.max(0, Math.min(r, end));
        // why: the static shape of a value with a run-time extent is its bound, not its size; folding it would be wrong
        Integer bounded = dev.kiln.ops.Extents.axisOf(n.graph(), in(n, 0, "data"));
        if (bounded != null && bounded >= start && bounded < end) {
            // why: the extent is known only at run time, so the shape is computed then
            n.emit(Ops.BOUNDED_SHAPE, List.of(in(n, 0, "data")), Attrs.of("axis", (long) bounded, "start", start, "end", end));
            return;
        }
        n.bindConstant(0, NdArray.ofI64(Arrays.copyOfRange(dims, (int) start, (int) Math.max(start, end))));
    }

    /** A constant of the (compile-time) shape input, filled with the one-element {@code value} (default f32 0). */
    public static void ConstantOfShape(OnnxNode n) {
        long[] shape = ints(n, 0, "shape");
        NdArray value = n.attrTensor("value");
        if (value == null) value = NdArray.ofFloats(Shape.scalar(), 0f);
        if (value.size() != 1) throw n.error("value must hold one element, it has %d", value.size());
        for (long d : shape) if (d < 0 || d > Integer.MAX_VALUE) throw n.error("shape %s has an invalid dimension %d", Arrays.toString(shape), d);
        NdArray out = NdArray.zeros(value.dtype(), Shape.of(shape));
        if (value.dtype().isFloat()) for (int i = 0; i < out.size(); i++) out.setDouble(i, value.getDouble(0));
        else for (int i = 0; i < out.size(); i++) out.setLong(i, value.getLong(0));
        n.bindConstant(0, out);
    }
}
