package dev.kiln.backend.c;

import dev.kiln.kernels.KernelModel;
import java.util.ArrayList;
import java.util.List;

/** The model object of one generated C program, handed to {@code templates/c/Model.stg} as {@code p}. */
public final class CProgram {
    /** A pointer passed to a kernel: where its bytes live, and the kernel parameter it binds. */
    public static final class Ref {
        /** Kernel parameter name ({@code x0}, {@code y0}, {@code s}). */
        public final String name;
        public final String ctype;
        /** Whether the kernel only reads it. */
        public final boolean readOnly;
        public boolean arena, input, output, weight, none;
        /**
         * An output parameter bound to read-only memory (an alias of a model input or a weight): passed with a
         * cast; the alias kernel sees its input and output are the same bytes and writes nothing.
         */
        public boolean castAway;
        /** Arena offset, or the input/output parameter or weight symbol. */
        public long offset;
        public String symbol;

        Ref(String name, String ctype, boolean readOnly) {
            this.name = name;
            this.ctype = ctype;
            this.readOnly = readOnly;
        }
    }

    /** One node's kernel: its model, the template to render, and its parameters. */
    public static final class Call {
        public final KernelModel k;
        public final String template;
        public final List<Ref> params = new ArrayList<>();
        /** One line describing the node for the comment above its kernel. */
        public final String comment;
        /**
         * For a node whose outputs have a run-time extent (NonZero, Unique, ...): the variable of {@code <model>_run}
         * its kernel writes the extent to (through parameter {@code c}), and the bound the extent may not pass.
         */
        public String count;
        public long bound;

        Call(KernelModel k, String template, String comment) {
            this.k = k;
            this.template = template;
            this.comment = comment;
        }
    }

    /** A model input or output in the API. */
    public static final class Io {
        public final int index;
        public final String param, ctype, name, type;
        public final long numel, bytes;
        public final int rank;
        public final List<Integer> dims;
        /** Whether the tensor is quantized per tensor (int8 or uint8 with a scale): then {@code scale} (a C float literal) and {@code zeroPoint}. */
        public boolean quantized;
        public String scale;
        public long zeroPoint;
        /** Whether the tensor is of a sub-byte type, packed {@link #perByte} elements to a byte. */
        public boolean packed;
        /** Elements per byte of a packed sub-byte tensor (2 or 4; its {@link #bytes} are {@code ceil(numel / perByte)}), else 0. */
        public int perByte;
        /** Bits per element of a packed sub-byte tensor (4 or 2). */
        public int bits;
        /**
         * Whether this output has a bounded axis: its shape is the bound, and {@code <model>_run} returns the run-time
         * extent along {@link #boundAxis} (at most {@link #bound}) through {@code <param>_count}, read from variable {@link #count}.
         */
        public boolean bounded;
        public int boundAxis;
        public long bound;
        public String count;

        Io(int index, String param, String ctype, String name, String type, long numel, long bytes, List<Integer> dims) {
            this.index = index;
            this.param = param;
            this.ctype = ctype;
            this.name = name;
            this.type = type;
            this.numel = numel;
            this.bytes = bytes;
            this.rank = dims.size();
            this.dims = dims;
        }
    }

    /**
     * A weight in {@code <model>_weights.c}: an array of literals, or (when {@link #bytes}) a union of the bytes
     * {@code b}, initialised by one string literal, read as the elements {@code v}.
     */
    public static final class Weight {
        public final String symbol, ctype, comment;
        public final long count;
        /**
         * The initializer: a few literals per line, or (bytes) one element, the whole string literal with its
         * pieces on lines of their own ({@link WeightBytes#literal}).
         */
        public final List<String> lines;
        /** Whether the weight is stored as bytes: its type is {@link #type}, its elements {@code symbol.v}. */
        public final boolean bytes;
        /** The union's type name ({@code <symbol>_t}) when stored as bytes. */
        public final String type;
        /** Length of the union's byte array (one more than the data when no trailing zero leaves room for C's NUL). */
        public final long byteLength;

        Weight(String symbol, String ctype, String comment, long count, List<String> lines) {
            this(symbol, ctype, comment, count, lines, false, 0);
        }

        Weight(String symbol, String ctype, String comment, long count, List<String> lines, boolean bytes, long byteLength) {
            this.symbol = symbol;
            this.ctype = ctype;
            this.comment = comment;
            this.count = count;
            this.lines = lines;
            this.bytes = bytes;
            this.type = bytes ? symbol + "_t" : null;
            this.byteLength = byteLength;
        }

        /** The expression kernels read the elements through. */
        public String elements() { return bytes ? symbol + ".v" : symbol; }
    }

    /** An output filled by copying at the end (an input, a constant, or a value listed twice). */
    public static final class Copy {
        public final Ref from;
        public final Io to;

        Copy(Ref from, Io to) {
            this.from = from;
            this.to = to;
        }
    }

    /** A state pair ({@code --state}): the caller may pass one buffer as both, which each call updates in place. */
    public static final class State {
        public final Io in, out;

        State(Io in, Io out) {
            this.in = in;
            this.out = out;
        }
    }

    /**
     * A region (an If branch, a Loop or Scan body) compiled into a static function taking its inputs, its outputs
     * and its arena {@code a}; the control kernel of its node calls it (the name comes from
     * {@link dev.kiln.kernels.ControlKernels#regionName}).
     */
    public static final class Region {
        public final String name;
        public final List<Io> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        /** The top-level schedule's kernel calls. */
    public final List<Call> calls = new ArrayList<>();
    /** Every kernel function to define: the schedule's and those of region functions. */
    public final List<Call> kernels = new ArrayList<>();
    /** The region functions, inner ones first. */
    public final List<Region> regions = new ArrayList<>();
        public final List<Copy> copies = new ArrayList<>();

        Region(String name) { this.name = name; }
    }

    /** {@code kws}, {@code KWS}. */
    public String prefix, PREFIX;
    public String kilnVersion, source, target;
    public long arenaSize, arenaLowerBound;
    public int align;
    public final List<Io> inputs = new ArrayList<>(), outputs = new ArrayList<>();
    /** The top-level schedule's kernel calls. */
    public final List<Call> calls = new ArrayList<>();
    /** Every kernel function to define: the schedule's and those of region functions. */
    public final List<Call> kernels = new ArrayList<>();
    /** The region functions, inner ones first. */
    public final List<Region> regions = new ArrayList<>();
    public final List<Weight> weights = new ArrayList<>();
    /** The weights stored as bytes, whose union types both generated sources declare. */
    public final List<Weight> byteWeights = new ArrayList<>();
    public final List<Copy> copies = new ArrayList<>();
    /** The state pairs, in the order given. */
    public final List<State> states = new ArrayList<>();
    /** Runtime headers the kernels include ({@code kiln_runtime.h}). */
    public final List<String> runtimeHeaders = new ArrayList<>();
    /** System headers some kernel needs ({@code arm_acle.h} for the DSP kernels), sorted. */
    public final List<String> systemHeaders = new ArrayList<>();
    /** The instruction-set features the host int8 kernels were generated for (the banner's note), or null. */
    public String isa;
    public boolean needsArena;
    /** The run-time extent variables of {@code <model>_run} (one per node producing a bounded value). */
    public final List<String> counts = new ArrayList<>();
    /** Whether some output has a bounded axis (then the API returns its extent: {@code _count} parameters, {@code _run_counted}). */
    public boolean counted;
    /** The outputs with a bounded axis, in output order. */
    public final List<Io> bounded = new ArrayList<>();
    /** Whether kiln_types.h converts f16 through {@code _Float16} (the target's {@code c.float16=native}). */
    public boolean float16Native;
}
