package dev.kiln.backend.c;

import dev.kiln.backend.Target;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The model object of a generated C project's build and usage files ({@code templates/c/Project.stg}:
 * {@code CMakeLists.txt}, {@code README.md}), handed to the templates as {@code j}: every name and number they
 * show, computed here.
 */
public final class CProject {
    /** A model input or output as the README documents it. */
    public static final class Port {
        /** {@code input} or {@code output}. */
        public final String kind;
        /** Its index, the model's name for it, its C element type and the {@code <model>_run} parameter. */
        public final int index;
        public final String name, ctype, param;
        /** {@code [1, 1, 8, 8]}, the Kiln type ({@code f32[1, 10]}), its elements and bytes. */
        public final String shape, type, dtype;
        public final long elements, bytes;
        /** Whether it is quantized, and its scale and zero point as text. */
        public final boolean quantized;
        public final String scale, zeroPoint;
        /** The C macros of its element count, e.g. {@code KWS_INPUT_0_SIZE}. */
        public final String sizeMacro;
        /** Whether it is a bounded output (its run-time extent comes back through {@code <param>_count}), along which axis, and its bound. */
        public final boolean bounded;
        public final int boundAxis;
        public final long bound;

        Port(String kind, CProgram.Io io, Value v, String PREFIX) {
            this.kind = kind;
            this.index = io.index;
            // why: the name sits in a Markdown table cell inside backquotes
            this.name = io.name.replace('`', '\'').replace("|", "\\|");
            this.ctype = io.ctype;
            this.param = io.param;
            this.shape = io.dims.toString();
            this.type = io.type;
            this.dtype = v.dtype().toString();
            this.elements = io.numel;
            this.bytes = io.bytes;
            QuantParams q = v.type().quant();
            this.quantized = q != null;
            this.scale = q == null ? "" : describe(q.scales());
            this.zeroPoint = q == null ? "" : describe(q.zeroPoints());
            this.sizeMacro = PREFIX + "_" + kind.toUpperCase(Locale.ROOT) + "_" + io.index + "_SIZE";
            this.bounded = io.bounded;
            this.boundAxis = io.boundAxis;
            this.bound = io.bound;
        }

        private static String describe(float[] a) {
            if (a.length == 1) return Float.toString(a[0]);
            return a.length + " values (per channel)";
        }

        private static String describe(long[] a) {
            if (a.length == 1) return Long.toString(a[0]);
            return a.length + " values (per channel)";
        }
    }

    /** A row of the README's table of files. */
    public static final class FileRow {
        public final String name, holds;

        FileRow(String name, String holds) {
            this.name = name;
            this.holds = holds;
        }
    }

    /** The C program (names and API: the README's signatures come from the header's own templates). */
    public final CProgram p;
    /** The library target of {@code CMakeLists.txt}: the model's name. */
    public final String library;
    /** The model's {@code .c} files, the header, and every file of the folder, sorted. */
    public final List<String> sources = new ArrayList<>(), files = new ArrayList<>();
    public final String header;
    /** What each file of the folder holds. */
    public final List<FileRow> fileTable = new ArrayList<>();
    public final List<Port> inputs = new ArrayList<>(), outputs = new ArrayList<>();
    /** The outputs with a bounded axis (their counts come back from {@code <model>_run}). */
    public final List<Port> bounded = new ArrayList<>();
    /** Whether any input or output is quantized. */
    public boolean quantized;
    /** Bytes of constant data (weights and kernel tables) and of working memory. */
    public final long weightsBytes, arenaBytes;
    public final int align;
    /** The target's name, description, C compiler and flags Kiln tests the code with. */
    public final String target, targetDescription, cc, cflags, warnings;

    CProject(CProgram p, List<Value> ins, List<Value> outs, Target t, long weightsBytes, List<String> files, String warnings) {
        this.p = p;
        this.library = p.prefix;
        this.header = p.prefix + ".h";
        for (String f : files) if (f.endsWith(".c")) sources.add(f);
        this.files.addAll(files);
        for (String f : files) fileTable.add(new FileRow(f, holds(f, p.prefix)));
        for (int i = 0; i < ins.size(); i++) inputs.add(new Port("input", p.inputs.get(i), ins.get(i), p.PREFIX));
        for (int i = 0; i < outs.size(); i++) outputs.add(new Port("output", p.outputs.get(i), outs.get(i), p.PREFIX));
        for (Port x : inputs) quantized |= x.quantized;
        for (Port x : outputs) quantized |= x.quantized;
        for (Port x : outputs) if (x.bounded) bounded.add(x);
        this.weightsBytes = weightsBytes;
        this.arenaBytes = p.arenaSize;
        this.align = p.align;
        this.target = t.name();
        this.targetDescription = t.description();
        this.cc = t.cc();
        this.cflags = String.join(" ", t.cflags());
        this.warnings = warnings;
        // the streaming loop: a state pair's one buffer takes the place of both its input and its output
        java.util.Map<String, String> buffer = new java.util.HashMap<>();
        for (CProgram.State st : p.states) {
            String name = "state_" + st.in.param.substring("in_".length());
            buffer.put(st.in.param, name);
            buffer.put(st.out.param, name);
            stateBuffers.add(new StateBuffer(name, st.in.ctype, inputs.get(st.in.index).sizeMacro, st.in.name, st.out.name));
        }
        for (Port x : inputs) {
            if (!buffer.containsKey(x.param)) streamFrames.add(x);
            streamArgs.add(buffer.getOrDefault(x.param, x.param));
        }
        for (Port x : outputs) {
            if (!buffer.containsKey(x.param)) streamResults.add(x);
            streamArgs.add(buffer.getOrDefault(x.param, x.param));
            if (x.bounded) streamArgs.add("NULL");
        }
    }

    /** The one buffer of a state pair in the README's streaming loop. */
    public static final class StateBuffer {
        public final String name, ctype, sizeMacro, inName, outName;

        StateBuffer(String name, String ctype, String sizeMacro, String inName, String outName) {
            this.name = name;
            this.ctype = ctype;
            this.sizeMacro = sizeMacro;
            this.inName = inName.replace('`', '\'');
            this.outName = outName.replace('`', '\'');
        }
    }

    /** With {@code --state}: the state buffers, the other inputs and outputs, and the run call's arguments of the streaming loop. */
    public final List<StateBuffer> stateBuffers = new ArrayList<>();
    public final List<Port> streamFrames = new ArrayList<>(), streamResults = new ArrayList<>();
    public final List<String> streamArgs = new ArrayList<>();

    /** What file {@code f} of model {@code prefix}'s folder holds, for the README. */
    private static String holds(String f, String prefix) {
        if (f.equals(prefix + ".h")) return "the API below; sizes, shapes and the arena as macros";
        if (f.equals(prefix + ".c")) return "one kernel function per layer and `" + prefix + "_run`, which calls them in order";
        if (f.equals(prefix + "_weights.c")) return "the weights as `const` unions of their bytes, one string literal each, read as their elements (flash)";
        if (f.equals("CMakeLists.txt")) return "a CMake fragment: the static library `" + prefix + "`";
        if (f.equals("README.md")) return "this file";
        if (f.endsWith(".h")) return "Kiln's header-only C99 helpers";
        return "generated by Kiln";
    }
}
