package dev.kiln.backend.opencl;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The launch description of one compiled model: what the generated host C and the Java runners both execute.
 * It names the OpenCL C source and its build options, the device buffers (one arena, one weights buffer holding
 * every constant packed and aligned, one buffer per model input and output), the kernels in execution order with
 * every argument (a buffer, or a 32-bit unsigned scalar such as a byte offset into a buffer) and their work sizes,
 * and the device-to-device copies that fill outputs at the end.
 *
 * <p>To run it: create every buffer ({@link Buffer#allocBytes()} bytes, never zero), upload {@link #weights()} into
 * the weights buffer once, build {@link #source()} with {@link #buildOptions()}; then per inference write the
 * inputs, enqueue every kernel in order (set each argument of {@link Kernel#args()} at its position), enqueue the
 * {@link #copies()}, and read the outputs. Nothing goes back to the host between kernels.
 */
public final class OpenClProgram {
    /** What a device buffer holds. */
    public enum BufferKind { ARENA, WEIGHTS, INPUT, OUTPUT }

    /**
     * A device buffer: its id (its position in {@link #buffers()}), kind, the model input or output index it holds
     * (-1 for the arena and the weights), the tensor name, and its size in bytes (may be 0).
     */
    public record Buffer(int id, BufferKind kind, int index, String name, long bytes) {
        /** Bytes to allocate: {@link #bytes()}, at least 1 (OpenCL rejects empty buffers). */
        public long allocBytes() { return Math.max(1, bytes); }
    }

    /** The kind of a kernel argument. */
    public enum ArgKind { BUFFER, UINT }

    /**
     * One kernel argument: a buffer ({@code buffer} is its id; set as a {@code cl_mem}) or a {@code cl_uint} scalar
     * ({@code value}: a byte offset into the buffer of the preceding argument, or a size).
     */
    public record Arg(ArgKind kind, int buffer, long value) {
        /** A buffer argument. */
        public static Arg buffer(int id) { return new Arg(ArgKind.BUFFER, id, 0); }
        /** A 32-bit unsigned scalar argument. */
        public static Arg uint(long v) { return new Arg(ArgKind.UINT, -1, v); }
    }

    /**
     * One kernel launch: the kernel's name in the source, the node and op it computes, the source line its
     * definition starts on (1-based; to name the kernel of a build-log error), its arguments in order, and its
     * global and local work sizes (same length, 1 to 3 dimensions; {@code local} null lets the runtime choose).
     */
    public record Kernel(String name, String node, String op, int line, List<Arg> args, long[] global, long[] local) {
        /** Work dimensions. */
        public int dims() { return global.length; }
    }

    /** A device copy of {@code bytes} bytes from buffer {@code src} at {@code srcOffset} to {@code dst} at {@code dstOffset}. */
    public record Copy(int src, long srcOffset, int dst, long dstOffset, long bytes) {}

    /**
     * A bounded output: the run-time extent along {@code axis} of output {@code output} is the int64 at {@code offset}
     * of the arena after a run, at most {@code bound} (else the run failed: node {@code node} needs a larger --bound).
     */
    public record Count(int output, int axis, long offset, long bound, String node) {}

    /** The model's bounded outputs (empty for most models). */
    public final List<Count> counts = new ArrayList<>();

    /** Where one constant lies in the weights buffer. */
    public record Constant(String name, String type, long offset, long bytes) {}

    private final String name;
    private final String source;
    private final String buildOptions;
    private final List<Buffer> buffers;
    private final byte[] weights;
    private final List<Constant> constants;
    private final List<Kernel> kernels;
    private final List<Copy> copies;
    private final List<ClStep> steps;

    /** A program description whose steps launch every kernel in order; lists are copied. */
    public OpenClProgram(String name, String source, String buildOptions, List<Buffer> buffers, byte[] weights,
            List<Constant> constants, List<Kernel> kernels, List<Copy> copies) {
        this(name, source, buildOptions, buffers, weights, constants, kernels, copies, launchAll(kernels.size()));
    }

    private static List<ClStep> launchAll(int n) {
        List<ClStep> r = new ArrayList<>();
        for (int i = 0; i < n; i++) r.add(ClStep.launch(i));
        return r;
    }

    /** A program description run as {@code steps} (launches of {@code kernels} by index, copies, host control flow); lists are copied. */
    public OpenClProgram(String name, String source, String buildOptions, List<Buffer> buffers, byte[] weights,
            List<Constant> constants, List<Kernel> kernels, List<Copy> copies, List<ClStep> steps) {
        this.name = name;
        this.source = source;
        this.buildOptions = buildOptions;
        this.buffers = List.copyOf(buffers);
        this.weights = weights.clone();
        this.constants = List.copyOf(constants);
        this.kernels = List.copyOf(kernels);
        this.copies = List.copyOf(copies);
        this.steps = List.copyOf(steps);
    }

    /** The model's symbol prefix ({@code kws}). */
    public String name() { return name; }
    /** The OpenCL C source of every kernel. */
    public String source() { return source; }
    /** Options for {@code clBuildProgram}. */
    public String buildOptions() { return buildOptions; }
    /** Every device buffer; a buffer's id is its index here. */
    public List<Buffer> buffers() { return buffers; }
    /** The weights buffer's content (little-endian, each constant at its {@link Constant#offset()}). */
    public byte[] weights() { return weights.clone(); }
    /** Where each constant lies in the weights. */
    public List<Constant> constants() { return constants; }
    /** The kernels in execution order. */
    public List<Kernel> kernels() { return kernels; }
    /** Copies run after the last kernel. */
    public List<Copy> copies() { return copies; }
    /** What a run does before the final copies: launches (indexes into {@link #kernels}), copies and host control flow. */
    public List<ClStep> steps() { return steps; }

    /** The buffer of that kind (the first when there are several, as for inputs), or null. */
    public Buffer buffer(BufferKind kind, int index) {
        for (Buffer b : buffers) if (b.kind() == kind && (index < 0 || b.index() == index)) return b;
        return null;
    }

    /** The kernel whose definition holds source line {@code line} (1-based), or null. */
    public Kernel kernelAtLine(int line) {
        Kernel best = null;
        for (Kernel k : kernels) if (k.line() <= line && (best == null || k.line() > best.line())) best = k;
        return best;
    }

    /** The buffers of model inputs, in input order. */
    public List<Buffer> inputs() { return ofKind(BufferKind.INPUT); }

    /** The buffers of model outputs, in output order. */
    public List<Buffer> outputs() { return ofKind(BufferKind.OUTPUT); }

    private List<Buffer> ofKind(BufferKind k) {
        List<Buffer> r = new ArrayList<>();
        for (Buffer b : buffers) if (b.kind() == k) r.add(b);
        r.sort((a, b) -> Integer.compare(a.index(), b.index()));
        return Collections.unmodifiableList(r);
    }

    /**
     * The description as deterministic JSON ({@code <name>_cl.json}): everything but the source text and the
     * weight bytes (the kernel source is {@code <name>.cl}; the weights' offsets are listed).
     */
    public String toJson() {
        StringBuilder b = new StringBuilder();
        b.append("{\n  \"format\": \"kiln-opencl-program/1\",\n");
        b.append("  \"name\": ").append(str(name)).append(",\n");
        b.append("  \"source\": ").append(str(name + ".cl")).append(",\n");
        b.append("  \"build_options\": ").append(str(buildOptions)).append(",\n");
        b.append("  \"weights_bytes\": ").append(weights.length).append(",\n");
        b.append("  \"buffers\": [");
        for (int i = 0; i < buffers.size(); i++) {
            Buffer u = buffers.get(i);
            b.append(i == 0 ? "\n" : ",\n").append("    {\"id\": ").append(u.id()).append(", \"kind\": ")
                    .append(str(u.kind().name().toLowerCase(Locale.ROOT))).append(", \"index\": ").append(u.index())
                    .append(", \"name\": ").append(str(u.name())).append(", \"bytes\": ").append(u.bytes()).append('}');
        }
        b.append("\n  ],\n  \"constants\": [");
        for (int i = 0; i < constants.size(); i++) {
            Constant c = constants.get(i);
            b.append(i == 0 ? "\n" : ",\n").append("    {\"name\": ").append(str(c.name())).append(", \"type\": ")
                    .append(str(c.type())).append(", \"offset\": ").append(c.offset()).append(", \"bytes\": ")
                    .append(c.bytes()).append('}');
        }
        b.append(constants.isEmpty() ? "],\n" : "\n  ],\n").append("  \"kernels\": [");
        for (int i = 0; i < kernels.size(); i++) {
            Kernel k = kernels.get(i);
            b.append(i == 0 ? "\n" : ",\n").append("    {\"name\": ").append(str(k.name())).append(", \"op\": ")
                    .append(str(k.op())).append(", \"node\": ").append(str(k.node())).append(", \"line\": ").append(k.line()).append(", \"global\": ")
                    .append(longs(k.global())).append(", \"local\": ").append(k.local() == null ? "null" : longs(k.local()))
                    .append(", \"args\": [");
            for (int j = 0; j < k.args().size(); j++) {
                Arg a = k.args().get(j);
                if (j > 0) b.append(", ");
                if (a.kind() == ArgKind.BUFFER) b.append("{\"buffer\": ").append(a.buffer()).append('}');
                else b.append("{\"uint\": ").append(a.value()).append('}');
            }
            b.append("]}");
        }
        b.append(kernels.isEmpty() ? "],\n" : "\n  ],\n").append("  \"copies\": [");
        for (int i = 0; i < copies.size(); i++) {
            Copy c = copies.get(i);
            b.append(i == 0 ? "\n" : ",\n").append("    {\"src\": ").append(c.src()).append(", \"src_offset\": ")
                    .append(c.srcOffset()).append(", \"dst\": ").append(c.dst()).append(", \"dst_offset\": ")
                    .append(c.dstOffset()).append(", \"bytes\": ").append(c.bytes()).append('}');
        }
        b.append(copies.isEmpty() ? "]\n}\n" : "\n  ]\n}\n");
        return b.toString();
    }

    private static String longs(long[] a) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < a.length; i++) b.append(i > 0 ? ", " : "").append(a[i]);
        return b.append(']').toString();
    }

    /** A JSON string literal. */
    static String str(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
