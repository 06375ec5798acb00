package dev.kiln.kernels;

import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The geometry of the ops whose output size depends on the data (NonZero, Compress, Unique, NonMaxSuppression, Range),
 * written once in {@code templates/kernels/bounded.stg}. Each kernel is one serial iteration: it zeroes its outputs
 * up to their bound, writes the first {@code bound} results, and reports the run-time extent (which may pass the
 * bound; the caller checks) through parameter {@code c}.
 */
public final class BoundedKernels {
    private BoundedKernels() {}

    /** One axis of NonZero's input: output row {@code row} gets {@code (j / stride) % dim}. */
    public static final class Coordinate {
        public final long row, stride, dim;

        Coordinate(long row, long stride, long dim) {
            this.row = row;
            this.stride = stride;
            this.dim = dim;
        }
    }

    /**
     * A tensor seen as {@code [outer, n, inner]} along the op's axis (flattened to {@code [1, numel, 1]} without one),
     * with the output's bound along that axis.
     */
    public static final class Slices {
        public final long outer, n, inner, bound;
        /** Compress: the condition's usable length ({@code min(n, size of condition)}). */
        public final long m;
        /** NonZero: each input axis's coordinate row. */
        public final List<Coordinate> coordinates = new ArrayList<>();
        /** Unique: sorted (else in order of first occurrence), and the names of outputs 1 to 3 (null: not wanted). */
        public boolean sorted;
        public String indices, inverse, counts;

        Slices(Shape s, Integer axis, long bound, long m) {
            if (axis == null) s = Shape.of((int) s.numel());
            int a = axis == null ? 0 : axis;
            outer = s.prod(0, a);
            n = s.dim(a);
            inner = s.prod(a + 1, s.rank());
            this.bound = bound;
            this.m = m;
        }
    }

    private static Integer axis(Node n) {
        return n.attrs().has("axis") ? n.input(0).shape().axis(n.attrs().getInt("axis")) : null;
    }

    /** Lowers {@code non_zero}: one pass over the input, writing each non-zero element's coordinates. */
    public static Object nonZero(KernelModel k, Node n, Strategy t) {
        k.parallel = 1;
        Shape s = n.input(0).shape();
        Slices m = new Slices(s, null, n.output(0).shape().dim(1), s.numel());
        int[] st = s.strides();
        for (int a = 0; a < s.rank(); a++) m.coordinates.add(new Coordinate(a, st[a], s.dim(a)));
        return m;
    }

    /** Lowers {@code compress}: one pass over the condition, copying each kept slice. */
    public static Object compress(KernelModel k, Node n, Strategy t) {
        k.parallel = 1;
        Integer a = axis(n);
        Shape s = n.input(0).shape();
        long along = a == null ? s.numel() : s.dim(a);
        return new Slices(s, a, n.output(0).shape().dim(a == null ? 0 : a), Math.min(along, n.input(1).shape().numel()));
    }

    /** Lowers {@code unique}: slices compared lexicographically, each one's rank among the first occurrences counted (no scratch). */
    public static Object unique(KernelModel k, Node n, Strategy t) {
        k.parallel = 1;
        Integer a = axis(n);
        Shape out = n.output(0).shape();
        Slices m = new Slices(n.input(0).shape(), a, out.dim(a == null ? 0 : a), 0);
        m.sorted = n.attrs().getInt("sorted", 1) != 0;
        m.indices = present(k, 1);
        m.inverse = present(k, 2);
        m.counts = present(k, 3);
        return m;
    }

    private static String present(KernelModel k, int o) {
        return k.outs.size() > o && k.outs.get(o).present ? k.outs.get(o).name : null;
    }

    /** Model of {@code non_max_suppression}: boxes {@code [batches, n, 4]}, scores {@code [batches, classes, n]}. */
    public static final class Nms {
        public final long batches, n, classes, bound;
        public final boolean center;
        /** The parameters of the optional inputs (max boxes per class, IoU threshold, score threshold), or null. */
        public final String most, iou, least;
        /** The run-time candidate counts of boxes and scores ({@code e0}, {@code e1}), or null where they hold N. */
        public final String boxesExtent, scoresExtent;

        Nms(KernelModel k, Node n) {
            Shape b = n.input(0).shape();
            batches = b.dim(0);
            this.n = b.dim(1);
            classes = n.input(1).shape().dim(1);
            bound = n.output(0).shape().dim(0);
            center = n.attrs().getInt("center_point_box", 0) != 0;
            most = input(k, n, 2);
            iou = input(k, n, 3);
            least = input(k, n, 4);
            long[] bounded = n.attrs().has("bounded") ? n.attrs().getInts("bounded") : new long[2];
            boxesExtent = bounded[0] != 0 ? "e0" : null;
            scoresExtent = bounded[1] != 0 ? "e1" : null;
        }

        private static String input(KernelModel k, Node n, int i) {
            return n.numInputs() > i && n.input(i) != null && n.input(i).shape().numel() > 0 ? k.ins.get(i).name : null;
        }
    }

    /**
     * Lowers {@code non_max_suppression}: per batch and class, candidates in score order (highest first, ties by
     * index) by repeated selection, each kept unless it overlaps a kept one; the kept indices live in scratch.
     */
    public static Object nonMaxSuppression(KernelModel k, Node n, Strategy t) {
        k.parallel = 1;
        Nms m = new Nms(k, n);
        k.scratchBytes = Math.max(1, m.n) * 4;
        return m;
    }

    /** Model of {@code range}: the bound of its one output. */
    public static final class RangeModel {
        public final long bound;

        RangeModel(long bound) { this.bound = bound; }
    }

    /** Lowers {@code range}: one serial pass writing the elements up to the bound and reporting the count. */
    public static Object range(KernelModel k, Node n, Strategy t) {
        k.parallel = 1;
        return new RangeModel(n.output(0).shape().dim(0));
    }

    /** One input of a bounded concat: its name, its row ({@code dim * inner} per outer index) and where its extent comes from. */
    public static final class Part {
        public final String name, extent;
        public final long dim, row;
        /** Whether the extent is a run-time one (parameter {@code extent}) rather than {@code dim}. */
        public final boolean runtime;

        Part(String name, long dim, long row, boolean runtime, String extent) {
            this.name = name;
            this.dim = dim;
            this.row = row;
            this.runtime = runtime;
            this.extent = extent;
        }
    }

    /** Model of {@code bounded_concat}: the output as {@code [outer, bound, inner]} and the inputs in order. */
    public static final class Packing {
        public final long outer, bound, inner;
        public final List<Part> parts = new ArrayList<>();
        /** Whether the inputs are joined along another axis than their run-time sized one (copied whole, extents equal). */
        public final boolean along;

        Packing(long outer, long bound, long inner, boolean along) {
            this.outer = outer;
            this.bound = bound;
            this.inner = inner;
            this.along = along;
        }
    }

    /** Lowers {@code bounded_concat}: zeroes the output, then packs each input's first extent slices after the previous ones. */
    public static Object boundedConcat(KernelModel k, Node n, Strategy t) {
        k.parallel = 1;
        Shape out = n.output(0).shape();
        int a = out.axis(n.attrs().getInt("axis"));
        long[] runtime = n.attrs().getInts("bounded");
        Packing m = new Packing(out.prod(0, a), out.dim(a), out.prod(a + 1, out.rank()), n.attrs().has("along"));
        for (int i = 0; i < n.numInputs(); i++) {
            long dim = n.input(i).shape().dim(a);
            m.parts.add(new Part(k.ins.get(i).name, dim, dim * m.inner, runtime[i] != 0 && !m.along, "e" + i));
        }
        return m;
    }

    /** One element of a run-time shape: position {@code at} holds {@code dim}, or the extent when {@code runtime}. */
    public static final class Dim {
        public final long at, dim;
        public final boolean runtime;

        Dim(long at, long dim, boolean runtime) {
            this.at = at;
            this.dim = dim;
            this.runtime = runtime;
        }
    }

    /** Lowers {@code bounded_shape}: writes the static dimensions and, at the bounded axis, the extent {@code e0}. */
    public static Object boundedShape(KernelModel k, Node n, Strategy t) {
        k.parallel = 1;
        long start = n.attrs().getInt("start"), end = n.attrs().getInt("end"), axis = n.attrs().getInt("axis");
        List<Dim> dims = new ArrayList<>();
        for (long d = start; d < end; d++) dims.add(new Dim(d - start, n.input(0).shape().dim((int) d), d == axis));
        return dims;
    }

    /** Model of {@code bounded_reshape}: the extent's factor ({@code multiply / divide}). */
    public static final class Refold {
        public final long multiply, divide;

        Refold(long multiply, long divide) {
            this.multiply = multiply;
            this.divide = divide;
        }
    }

    /** Lowers {@code bounded_reshape}: copies the data (unless in place) and scales the extent, -1 when it does not divide. */
    public static Object boundedReshape(KernelModel k, Node n, Strategy t) {
        k.parallel = 1;
        return new Refold(n.attrs().getInt("multiply"), n.attrs().getInt("divide"));
    }

    /**
     * Model of {@code bounded_slice}: input {@code [outer, n, inner]}, output bound {@code bound}, the window's step;
     * its start and end are C expressions: constants, or the first element of a run-time input.
     */
    public static final class Window {
        public final long outer, n, inner, bound, step, stride;
        public final String start, end;
        public final boolean forward;

        Window(Shape in, int a, long bound, String start, String end, long step) {
            outer = in.prod(0, a);
            n = in.dim(a);
            inner = in.prod(a + 1, in.rank());
            this.bound = bound;
            this.start = start;
            this.end = end;
            this.step = step;
            stride = Math.abs(step);
            forward = step > 0;
        }
    }

    /** Lowers {@code bounded_slice}: resolves the window against the extent {@code e0} as ONNX Slice does, copies it, reports its length. */
    public static Object boundedSlice(KernelModel k, Node n, Strategy t) {
        k.parallel = 1;
        int a = (int) n.attrs().getInt("axis");
        return new Window(n.input(0).shape(), a, n.output(0).shape().dim(a), index(k, n, 1, "start"), index(k, n, 2, "end"),
                n.attrs().getInt("step"));
    }

    /** A {@code bounded_slice} index: run-time input {@code i} (its first element) when given, else attribute {@code attr}. */
    private static String index(KernelModel k, Node n, int i, String attr) {
        return n.numInputs() > i && n.input(i) != null ? "(int64_t)" + k.ins.get(i).name + "[0]" : Long.toString(n.attrs().getInt(attr));
    }
}
