package dev.kiln.frontend.onnx;

import dev.kiln.ir.NdArray;
import java.util.LinkedHashMap;
import java.util.Map;

/** Settings of a model import: shapes for symbolic dimensions, values of inputs that may be frozen, limits. */
public final class ImportOptions {
    /** Default cap on any single tensor's size: 4 GiB. */
    public static final long DEFAULT_MAX_TENSOR_BYTES = 4L << 30;
    /** Default cap on the bytes of all constants together (weights and folded values): 1 GiB. */
    public static final long DEFAULT_MAX_CONSTANT_BYTES = 1L << 30;
    /** Default cap on the nodes of a model (after inlining functions and unrolling DSL repeats). */
    public static final int DEFAULT_MAX_NODES = 100_000;
    /** The highest tensor rank Kiln accepts. */
    public static final int MAX_RANK = 32;
    /** The most values one attribute list may hold. */
    public static final int MAX_ATTRIBUTE_VALUES = 65_536;

    private final Map<String, long[]> inputShapes = new LinkedHashMap<>();
    private final Map<String, NdArray> knownInputValues = new LinkedHashMap<>();
    private final Map<String, Long> maxTripCounts = new LinkedHashMap<>();
    private final Map<String, Long> bounds = new LinkedHashMap<>();
    private long maxTensorBytes = DEFAULT_MAX_TENSOR_BYTES;
    private long maxConstantBytes = DEFAULT_MAX_CONSTANT_BYTES;
    private int maxNodes = DEFAULT_MAX_NODES;
    private java.util.function.Consumer<String> notes;

    /**
     * Sends the importer's notes (what it accepted leniently and how it read it, e.g. a {@code [1]} scale beside a
     * scalar zero point) to {@code log}; {@code -v} prints them. Null: no notes.
     */
    public ImportOptions notes(java.util.function.Consumer<String> log) {
        this.notes = log;
        return this;
    }

    /** Records one importer note (dropped when nobody listens). */
    public void note(String line) {
        if (notes != null) notes.accept(line);
    }

    /** Notes of one kind (an op type and a message pattern) waiting to be sent as one line, in order of arrival. */
    private final Map<String, NoteKind> noteKinds = new LinkedHashMap<>();

    /**
     * Records a note about node {@code node} of op type {@code op}: {@code fmt} with {@code args} ({@code %s}/{@code %d}
     * only). Notes of the same op type and pattern are held and sent as one line by {@link #flushNotes()}, so a model
     * with the same lenient form on 50 nodes gives one line, not 50.
     */
    public void note(String op, String node, String fmt, Object... args) {
        if (notes == null) return;
        String[] shown = new String[args.length];
        for (int i = 0; i < args.length; i++) shown[i] = String.valueOf(args[i]);
        noteKinds.computeIfAbsent(op + "\u0000" + fmt, k -> new NoteKind(op, fmt.replace("%d", "%s"), shown)).add(node, shown);
    }

    /**
     * Sends the held notes, one line per kind: the op type, the message (an argument that differs between the
     * nodes shows as {@code …}), the count and the first few node names.
     */
    public void flushNotes() {
        if (notes != null) for (NoteKind k : noteKinds.values()) notes.accept(k.line());
        noteKinds.clear();
    }

    /** The held notes of one kind. */
    private static final class NoteKind {
        private static final int NAMES_SHOWN = 3;
        private final String op, fmt;
        private final String[] args;
        private final java.util.List<String> nodes = new java.util.ArrayList<>();

        NoteKind(String op, String fmt, String[] args) {
            this.op = op;
            this.fmt = fmt;
            this.args = args.clone();
        }

        void add(String node, String[] shown) {
            nodes.add(node);
            for (int i = 0; i < args.length; i++) if (!args[i].equals(shown[i])) args[i] = "\u2026";
        }

        String line() {
            String msg = String.format(java.util.Locale.ROOT, fmt, (Object[]) args);
            if (nodes.size() == 1) return "import: node '" + nodes.get(0) + "' (" + op + "): " + msg;
            StringBuilder b = new StringBuilder("import: ").append(nodes.size()).append(' ').append(op).append(" nodes: ").append(msg).append(" (");
            for (int i = 0; i < Math.min(NAMES_SHOWN, nodes.size()); i++) b.append(i > 0 ? ", '" : "'").append(nodes.get(i)).append('\'');
            if (nodes.size() > NAMES_SHOWN) b.append(" and ").append(nodes.size() - NAMES_SHOWN).append(" more");
            return b.append(')').toString();
        }
    }

    /** Binds the shape of input {@code name} (overrides symbolic and unknown dimensions). */
    public ImportOptions inputShape(String name, long... dims) {
        inputShapes.put(name, dims.clone());
        return this;
    }

    /**
     * Declares the value an input will have. Where the model needs an input's value at compile time
     * (a Reshape target shape, Slice bounds, Clip limits fed as inputs...), the importer freezes that input
     * into a constant with this value instead of failing. {@code kiln check} uses this for test cases.
     */
    public ImportOptions knownInputValue(String name, NdArray value) {
        knownInputValues.put(name, value);
        return this;
    }

    /** Sets the largest size one tensor may have, in bytes. */
    public ImportOptions maxTensorBytes(long bytes) {
        this.maxTensorBytes = bytes;
        return this;
    }

    /** Sets the largest total size of the model's constants (weights and values folded at import), in bytes. */
    public ImportOptions maxConstantBytes(long bytes) {
        this.maxConstantBytes = bytes;
        return this;
    }

    /** Sets the most nodes a model may have (counted while importing, so a model that explodes stops early). */
    public ImportOptions maxNodes(int nodes) {
        this.maxNodes = nodes;
        return this;
    }

    /**
     * Bounds the iterations of Loop node {@code node} whose trip count is known only at run time: the generated
     * loop runs at most {@code n} times, and a larger trip count at run time is an error.
     */
    public ImportOptions maxTripCount(String node, long n) {
        maxTripCounts.put(node, n);
        return this;
    }

    /** Parses {@code NODE=N} ({@code --max-trip-count}); returns false if malformed. */
    public boolean parseMaxTripCount(String spec) { return parseNodeCount(spec, Long.MAX_VALUE, maxTripCounts); }

    /**
     * Bounds the run-time size of node {@code node}'s data-dependent output (NonZero, Unique, Compress,
     * NonMaxSuppression): the arena reserves {@code n} along that axis instead of what the op could give at most,
     * and a larger size at run time is an error.
     */
    public ImportOptions bound(String node, long n) {
        bounds.put(node, n);
        return this;
    }

    /** Parses {@code NODE=N} ({@code --bound}), N from 1 to {@link dev.kiln.ops.Extents#MAX_BOUND}; returns false if malformed. */
    public boolean parseBound(String spec) { return parseNodeCount(spec, dev.kiln.ops.Extents.MAX_BOUND, bounds); }

    /** The user's bounds on data-dependent output sizes, by node name. */
    public Map<String, Long> bounds() { return bounds; }

    private static boolean parseNodeCount(String spec, long max, Map<String, Long> into) {
        int eq = spec.lastIndexOf('=');
        if (eq <= 0 || eq == spec.length() - 1) return false;
        try {
            long n = Long.parseLong(spec.substring(eq + 1).trim());
            if (n <= 0 || n > max) return false;
            into.put(spec.substring(0, eq), n);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The iteration bounds of Loop nodes, by node name. */
    public Map<String, Long> maxTripCounts() { return maxTripCounts; }

    public Map<String, long[]> inputShapes() { return inputShapes; }
    public Map<String, NdArray> knownInputValues() { return knownInputValues; }
    public long maxTensorBytes() { return maxTensorBytes; }
    public long maxConstantBytes() { return maxConstantBytes; }
    public int maxNodes() { return maxNodes; }

    /**
     * What is wrong with a tensor of {@code dims} and element size {@code elementBytes} under these limits, or
     * null when it is acceptable: a negative dimension, a rank over {@link #MAX_RANK}, an element count or byte
     * size that overflows 64 bits, more bytes than {@link #maxTensorBytes()}, or more elements than a Java array
     * holds. Empty tensors (a zero dimension) are acceptable. The arithmetic cannot overflow.
     */
    public String shapeProblem(long[] dims, int elementBytes) {
        if (dims.length > MAX_RANK) return "rank " + dims.length + " is more than Kiln's limit of " + MAX_RANK;
        long numel = 1;
        boolean overflow = false;
        for (long d : dims) {
            if (d < 0) return "dimension " + d + " is negative";
            if (d > Integer.MAX_VALUE) return "dimension " + d + " is larger than Kiln supports (2^31 - 1)";
            try {
                numel = Math.multiplyExact(numel, d);
            } catch (ArithmeticException e) {
                overflow = true;
            }
        }
        if (overflow) return "its element count overflows 64 bits";
        long bytes;
        try {
            bytes = Math.multiplyExact(numel, (long) elementBytes);
        } catch (ArithmeticException e) {
            return "its size in bytes overflows 64 bits";
        }
        if (bytes > maxTensorBytes) return "it would need " + bytes + " bytes, more than the limit of " + maxTensorBytes + " bytes (--max-tensor-bytes)";
        if (numel > Integer.MAX_VALUE - 8) return "it has " + numel + " elements, more than Kiln can hold in one tensor (" + (Integer.MAX_VALUE - 8) + ")";
        return null;
    }

    /** Parses {@code NAME=1x3x224x224} into a binding; returns false if malformed. */
    public boolean parseInputShape(String spec) {
        int eq = spec.lastIndexOf('=');
        if (eq <= 0 || eq == spec.length() - 1) return false;
        String[] parts = spec.substring(eq + 1).split("[x,]");
        long[] dims = new long[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                dims[i] = Long.parseLong(parts[i].trim());
                if (dims[i] < 0) return false;
            }
        } catch (NumberFormatException e) {
            return false;
        }
        inputShape(spec.substring(0, eq), dims);
        return true;
    }
}
