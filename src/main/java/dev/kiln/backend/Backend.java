package dev.kiln.backend;

import dev.kiln.check.Checker;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * A code generator: reads an optimized, shape-complete graph and produces source files. Discovered with
 * {@link ServiceLoader} ({@code META-INF/services/dev.kiln.backend.Backend}); a new backend is one package,
 * one template folder, one services line and a target descriptor. The backend also makes the runner that
 * {@code check}, {@code run} and {@code eval} use, so the command line and the Maven plugin name no backend.
 */
public interface Backend {
    /**
     * Options of one generation: the symbol prefix, a template folder, the source's name for comments, and the
     * state pairs (model input name to model output name, {@code --state h_in=h_out}) whose buffers the caller
     * may share, so that each call updates one state buffer in place.
     */
    record Options(String name, Path templates, String sourceName, Map<String, String> state) {
        /** Options without state pairs. */
        public Options(String name, Path templates, String sourceName) { this(name, templates, sourceName, Map.of()); }
    }

    /**
     * How a runner is made: the target asked for ({@code -t}), whether to build with sanitizers, a template folder
     * (null: the built-in ones), the backend's own settings by name ({@link #settings()}, e.g. an OpenCL device) and
     * where to say what the runner chose (null: say nothing).
     */
    record RunOptions(String target, boolean sanitize, Path templates, Map<String, String> settings, PrintWriter log) {}

    /** The backend's name on the command line ({@code c}, {@code opencl}). */
    String kind();

    /**
     * The dialect the backend renders the shared kernel bodies of {@code templates/kernels/} in, or null for a
     * backend without kernel templates; every op then needs a template or a {@link dev.kiln.ops.NoKernel} refusal.
     */
    default dev.kiln.kernels.Dialect dialect() { return null; }

    /** Why the backend cannot run {@code n} on {@code t}, or null when it can. */
    String unsupportedReason(Graph g, Node n, Target t);

    /**
     * Generates code for {@code g}; reports every node it cannot run in one error
     * ({@link dev.kiln.diag.Code#UNSUPPORTED_BY_BACKEND}).
     */
    GeneratedCode generate(Graph g, Target t, Options o);

    /**
     * The runner that builds and runs this backend's code on this machine for check, run and eval; throws a
     * {@link KilnException} saying why when it cannot (a tool or driver missing, an option it does not support).
     */
    default Checker.BatchRunner runner(RunOptions o) {
        throw new KilnException(Code.USAGE, Location.NONE, "backend '" + kind() + "' has no runner: it compiles (kiln compile) but cannot check or run")
                .withHint("use another --backend to check or run");
    }

    /**
     * A backend-specific setting {@link #runner} reads: its name ({@code opencl.device}), a label for its value
     * and one line of help. The command line offers it as {@link #option()} and the Maven plugin as
     * {@code <settings><name>value</name></settings>} or {@code -Dkiln.<name>}; nothing outside the backend names it.
     */
    record Setting(String name, String label, String help) {
        /** The command-line option that sets it: {@code --opencl-device} for {@code opencl.device}. */
        public String option() { return "--" + name.replace('.', '-'); }
    }

    /** The backend-specific settings {@link #runner} reads; others are refused. */
    default java.util.List<Setting> settings() { return java.util.List.of(); }

    /** The backend all backends' settings come from, by setting name (null: no backend reads it). */
    static Backend reading(String setting) {
        for (Backend b : ServiceLoader.load(Backend.class, Backend.class.getClassLoader()))
            for (Setting s : b.settings()) if (s.name().equals(setting)) return b;
        return null;
    }

    /** The kinds of the registered backends, in service order. */
    static java.util.List<String> kinds() {
        java.util.List<String> r = new java.util.ArrayList<>();
        for (Backend b : ServiceLoader.load(Backend.class, Backend.class.getClassLoader())) r.add(b.kind());
        return r;
    }

    /** Every registered backend's settings, in service order. */
    static java.util.List<Setting> allSettings() {
        java.util.List<Setting> r = new java.util.ArrayList<>();
        for (Backend b : ServiceLoader.load(Backend.class, Backend.class.getClassLoader())) r.addAll(b.settings());
        return r;
    }

    /**
     * The backend that compiles when none is named (compile, inspect, bench): the first one in service order
     * ({@code META-INF/services/dev.kiln.backend.Backend}) that declares itself {@link #compilesByDefault}.
     */
    static Backend compiledDefault() {
        for (Backend b : ServiceLoader.load(Backend.class, Backend.class.getClassLoader())) if (b.compilesByDefault()) return b;
        throw new IllegalStateException("no registered backend compiles by default (META-INF/services/dev.kiln.backend.Backend)");
    }

    /** Bytes of machine code of {@code code} for its target (compile's summary), or -1 when not measured. */
    default long codeBytes(GeneratedCode code) { return -1; }

    /** Whether this backend is the one {@code compile}, {@code inspect} and {@code bench} use when none is named. */
    default boolean compilesByDefault() { return false; }

    /** The target to compile for when {@code requested} was asked (a backend may stand its own for the C default {@code host}). */
    default String compileTarget(String requested) { return requested; }

    /** The target {@code runner} (made by {@link #runner}) compiles for when {@code requested} was asked. */
    default String runTarget(String requested, Checker.BatchRunner runner) { return compileTarget(requested); }

    /** How the runner runs a model, in words ({@code eval}'s report). */
    default String describe(RunOptions o) { return "the " + kind() + " backend"; }

    /** The backend of that kind, or null. */
    static Backend find(String kind) {
        for (Backend b : ServiceLoader.load(Backend.class, Backend.class.getClassLoader())) if (b.kind().equals(kind)) return b;
        return null;
    }
}
