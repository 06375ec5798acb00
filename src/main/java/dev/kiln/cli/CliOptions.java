package dev.kiln.cli;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.frontend.onnx.ImportOptions;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Model-import options shared by the commands that load models (a picocli mixin). */
final class CliOptions {
    @Option(names = "--input-shape", paramLabel = "NAME=DIMS", description = "Bind an input's shape, e.g. x=1x3x224x224.")
    List<String> inputShapes;

    @Option(names = "--max-trip-count", paramLabel = "NODE=N",
            description = "Bound the iterations of Loop node NODE whose trip count is known only at run time.")
    List<String> maxTripCounts;

    @Option(names = "--bound", paramLabel = "NODE=N",
            description = "Bound the data-dependent output size of node NODE (NonZero, Unique, Compress, NonMaxSuppression, TopK with a run-time K, Range with run-time operands) to N.")
    List<String> bounds;

    @Option(names = "--max-tensor-bytes", paramLabel = "N", description = "Largest tensor a model may hold (default 4 GiB).")
    Long maxTensorBytes;

    @Option(names = "--max-constant-bytes", paramLabel = "N", description = "Largest total size of a model's constants (default 1 GiB).")
    Long maxConstantBytes;

    @Option(names = "--max-nodes", paramLabel = "N", description = "Most nodes a model may have after inlining and unrolling (default 100000).")
    Integer maxNodes;

    @Option(names = "--backend", defaultValue = "interp", completionCandidates = BackendNames.class,
            description = "Backend to run on: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}; compile, which needs a compiled backend, defaults to c).")
    String backend;

    /** The names {@code --backend} accepts, for its help line. */
    static final class BackendNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() { return BACKENDS.iterator(); }
    }

    /**
     * Adds to {@code command}, when it takes these options, one option per setting of every registered backend
     * ({@code opencl.device} becomes {@code --opencl-device}, see {@link dev.kiln.backend.Backend.Setting}), so the
     * command line names no backend's settings itself.
     */
    static void addBackendSettings(CommandSpec command) {
        if (command.mixins().values().stream().noneMatch(m -> m.userObject() instanceof CliOptions)) return;
        for (dev.kiln.backend.Backend.Setting s : dev.kiln.backend.Backend.allSettings()) {
            if (command.findOption(s.option()) != null) continue;
            command.addOption(picocli.CommandLine.Model.OptionSpec.builder(s.option()).paramLabel(s.label()).type(String.class)
                    .description(s.help()).build());
        }
    }

    /** The backend settings given on the command line, by setting name. */
    private java.util.Map<String, String> givenSettings() {
        java.util.Map<String, String> r = new java.util.TreeMap<>();
        if (mixee == null) return r;
        for (dev.kiln.backend.Backend.Setting s : dev.kiln.backend.Backend.allSettings()) {
            picocli.CommandLine.Model.OptionSpec o = mixee.findOption(s.option());
            if (o != null && o.getValue() != null) r.put(s.name(), o.getValue());
        }
        return r;
    }

    @Option(names = {"-t", "--target"}, defaultValue = "host", paramLabel = "TARGET",
            description = "Target for compiled backends (default ${DEFAULT-VALUE}; see 'kiln targets'); ,KEY=VALUE after it replaces a descriptor key, e.g. host,conv.winograd=off.")
    String target;

    @Option(names = "--sanitize", description = "Build host C with -fsanitize=address,undefined.")
    boolean sanitize;

    @Option(names = "--templates", paramLabel = "DIR", description = "Template folder overriding built-in templates: DIR/<backend>/*.stg, DIR/<backend>/ops/*.stg and DIR/kernels/*.stg (e.g. DIR/c/ops/max_pool.stg).")
    java.nio.file.Path templates;

    @Option(names = "-O", paramLabel = "N",
            description = "Optimisation level 0 to 3 (default 3; for dsl 0); -O0 runs the graph as imported.")
    Integer level;

    /** The level when -O is not given (the dsl command prints the graph as imported unless asked). */
    int defaultLevel = 3;

    @Option(names = "--print-after", paramLabel = "PASS", description = "Print the graph to stderr after pass PASS ('all': after every pass).")
    String printAfter;

    @Option(names = "--verify-each", description = "Verify the graph after every pass; a broken graph is an internal error naming the pass.")
    boolean verifyEach;

    @Option(names = {"-v", "--verbose"}, description = "Print each pass's time and node counts, and what passes did or why not, to stderr.")
    boolean verbose;

    @Option(names = "--dws-tolerance", paramLabel = "E",
            description = "Let RewriteDepthwiseSeparable approximate convs with relative output error up to E (default: off).")
    Double dwsTolerance;

    @Option(names = "--multipliers", paramLabel = "FORM", description = "Int8 per-channel requantization multipliers: q31 (faithful, the default) or compact (11 bits, 16 bits of flash per channel; the target's int8.multipliers decides when not given).")
    String multipliers;

    @Option(names = "--weights", paramLabel = "FORM", description = "Int8 weights of conv and gemm/matmul: int8 (the default) or int4 (symmetric per channel, packed two to a byte in flash, run with int8 activations).")
    String weights;

    @Option(names = "--int8", description = "Lower the model to int8 (a float model needs --calibrate; quantized models are lowered from -O1 anyway).")
    boolean int8;

    @Option(names = "--calibrate", paramLabel = "DATA",
            description = "Calibration data for --int8: a .npy file whose first axis counts samples, or a folder of .npy/.pb inputs.")
    java.nio.file.Path calibrate;

    @Option(names = "--calibration", paramLabel = "METHOD", defaultValue = "minmax",
            description = "Calibration method: minmax, percentile or entropy (default ${DEFAULT-VALUE}).")
    String calibration;

    @Option(names = "--percentile", paramLabel = "P", defaultValue = "99.99",
            description = "Percentile of --calibration percentile (default ${DEFAULT-VALUE}).")
    double percentile;

    @Option(names = "--no-progress", description = "Draw no progress bars on stderr (also: environment KILN_NO_PROGRESS=1).")
    boolean noProgress;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    private dev.kiln.diag.Progress progress;

    /**
     * The progress bar of this command: drawn on stderr only when that is the process's terminal (see
     * {@link Main#execute(java.io.PrintWriter, java.io.PrintWriter, dev.kiln.diag.Progress, String...)}) and not turned off.
     */
    dev.kiln.diag.Progress progress() {
        if (progress == null) {
            Object root = mixee == null ? null : mixee.root().userObject();
            java.io.PrintWriter err = mixee == null ? null : mixee.commandLine().getErr();
            progress = root instanceof Main && ((Main) root).progressOverride != null ? ((Main) root).progressOverride
                    : dev.kiln.diag.Progress.forStderr(err, root instanceof Main && ((Main) root).terminalErr, noProgress);
            // why: --no-progress wins even over a bar a caller forced
            if (noProgress) progress = dev.kiln.diag.Progress.OFF;
        }
        return progress;
    }

    /** The pipeline level, pass options and instruments from the command line; fails (usage) on bad values. */
    dev.kiln.CompileOptions compileOptions() {
        dev.kiln.passes.PassOptions po = new dev.kiln.passes.PassOptions();
        if (dwsTolerance != null) {
            if (!(dwsTolerance >= 0) || dwsTolerance.isInfinite())
                throw new KilnException(Code.USAGE, Location.NONE, "--dws-tolerance " + dwsTolerance + " must be a finite number >= 0");
            po.dwsTolerance = dwsTolerance;
        }
        po.int8 = calibration();
        if (multipliers != null) {
            if (!multipliers.equals("q31") && !multipliers.equals("compact"))
                throw new KilnException(Code.USAGE, Location.NONE, "--multipliers " + multipliers + ": use q31 or compact");
            po.compactMultipliers = multipliers.equals("compact");
        }
        po.weights(weights, "--weights");
        java.io.PrintWriter err = mixee == null ? null : mixee.commandLine().getErr();
        dev.kiln.passes.Instruments ins = new dev.kiln.passes.Instruments(printAfter, verifyEach, verbose, err == null ? null : s -> {
            err.println(s);
            err.flush();
        });
        int lv = level == null ? defaultLevel : level;
        ins.requirePrintable(dev.kiln.passes.Pipelines.level(lv)); // why: a misspelt pass name is a usage error, reported once
        return new dev.kiln.CompileOptions(lv, po, ins);
    }

    /**
     * The calibration {@code --int8 --calibrate DATA} asks for, or null; {@code --calibrate} without {@code --int8}
     * and an unknown method are usage errors.
     */
    dev.kiln.quant.Calibration calibration() {
        dev.kiln.quant.Calibrator.Method m = dev.kiln.quant.Calibrator.method(calibration);
        if (calibrate == null) return null;
        if (!int8) throw new KilnException(Code.USAGE, Location.NONE, "--calibrate needs --int8").withHint("add --int8 to quantize the model");
        if (!java.nio.file.Files.exists(calibrate))
            throw new KilnException(Code.FILE_NOT_FOUND, Location.file(calibrate.toString()), calibrate + " (no such file or folder)");
        java.io.PrintWriter err = mixee == null ? new java.io.PrintWriter(System.err, true) : mixee.commandLine().getErr();
        return new dev.kiln.quant.Calibration(calibrate, m, percentile, err, progress());
    }

    /** Runs the command line's pipeline on {@code g} in place, for the chosen target. */
    void optimize(dev.kiln.ir.Graph g) {
        dev.kiln.Kiln.optimize(g, dev.kiln.backend.Target.load(targetName()), compileOptions());
    }

    /** The runner made for this command line (made once: an OpenCL runner lists devices, which costs a little). */
    private dev.kiln.check.Checker.BatchRunner runner;

    /**
     * The target to compile for: {@code -t}, except that a backend may stand its own for the C default
     * {@code host} (OpenCL: the descriptor that suits the chosen device, opencl-gpu or opencl-cpu).
     */
    String targetName() {
        if (backend.equals(INTERP)) return target;
        requireBackend();
        return plugin().runTarget(target, runner());
    }

    /** The registered backend of {@code --backend} (not the interpreter). */
    private dev.kiln.backend.Backend plugin() { return dev.kiln.backend.Backend.find(backend); }

    /** What the runner is made with: {@code -t}, --sanitize, --templates and the backend's own options. */
    dev.kiln.backend.Backend.RunOptions runOptions() {
        java.util.Map<String, String> settings = givenSettings();
        java.io.PrintWriter log = verbose && mixee != null ? mixee.commandLine().getErr() : null;
        return new dev.kiln.backend.Backend.RunOptions(target, sanitize, templates, settings, log);
    }

    /** Fresh import options from the command line's values. */
    ImportOptions importOptions() {
        ImportOptions o = new ImportOptions();
        if (verbose && mixee != null) {
            java.io.PrintWriter err = mixee.commandLine().getErr();
            o.notes(s -> {
                err.println(s);
                err.flush();
            });
        }
        if (inputShapes != null) {
            for (String s : inputShapes) {
                if (!o.parseInputShape(s))
                    throw new KilnException(Code.USAGE, Location.NONE, "--input-shape '" + s + "' is not NAME=DIMS")
                            .withHint("for example --input-shape input=1x3x224x224");
            }
        }
        if (maxTripCounts != null) {
            for (String s : maxTripCounts) {
                if (!o.parseMaxTripCount(s))
                    throw new KilnException(Code.USAGE, Location.NONE, "--max-trip-count '" + s + "' is not NODE=N (N a positive count)")
                            .withHint("for example --max-trip-count loop_over_time=100");
            }
        }
        if (bounds != null) {
            for (String s : bounds) {
                if (!o.parseBound(s))
                    throw new KilnException(Code.USAGE, Location.NONE, "--bound '" + s + "' is not NODE=N (N a count from 1 to "
                            + dev.kiln.ops.Extents.MAX_BOUND + ")").withHint("for example --bound nms=100");
            }
        }
        if (maxTensorBytes != null) {
            if (maxTensorBytes <= 0) throw new KilnException(Code.USAGE, Location.NONE, "--max-tensor-bytes must be positive");
            o.maxTensorBytes(maxTensorBytes);
        }
        if (maxConstantBytes != null) {
            if (maxConstantBytes <= 0) throw new KilnException(Code.USAGE, Location.NONE, "--max-constant-bytes must be positive");
            o.maxConstantBytes(maxConstantBytes);
        }
        if (maxNodes != null) {
            if (maxNodes <= 0) throw new KilnException(Code.USAGE, Location.NONE, "--max-nodes must be positive");
            o.maxNodes(maxNodes);
        }
        return o;
    }

    /** The name of Kiln's reference interpreter on --backend: it runs every graph and generates no code. */
    static final String INTERP = "interp";

    /** The backends {@code --backend} accepts: the interpreter and every registered {@link dev.kiln.backend.Backend}. */
    static final List<String> BACKENDS = backends();

    private static List<String> backends() {
        java.util.List<String> r = new java.util.ArrayList<>(List.of(INTERP));
        for (dev.kiln.backend.Backend b : java.util.ServiceLoader.load(dev.kiln.backend.Backend.class, CliOptions.class.getClassLoader()))
            if (!r.contains(b.kind())) r.add(b.kind());
        return List.copyOf(r);
    }

    /** Fails unless the chosen backend exists and reads the backend options given. */
    void requireBackend() {
        if (!BACKENDS.contains(backend))
            throw new KilnException(Code.USAGE, Location.NONE, "unknown backend '" + backend + "'").withHint("available: " + String.join(", ", BACKENDS));
        java.util.List<dev.kiln.backend.Backend.Setting> reads = backend.equals(INTERP) ? List.of() : plugin().settings();
        // why: a backend's options on another backend would be silently ignored
        for (String s : givenSettings().keySet()) {
            if (reads.stream().anyMatch(r -> r.name().equals(s))) continue;
            dev.kiln.backend.Backend owner = dev.kiln.backend.Backend.reading(s);
            throw new KilnException(Code.USAGE, Location.NONE, "--" + s.replace('.', '-') + " needs --backend " + owner.kind());
        }
    }

    /** The batch runner of the chosen backend: the interpreter, or the one the backend's service makes. */
    dev.kiln.check.Checker.BatchRunner runner() {
        requireBackend();
        if (backend.equals(INTERP)) {
            if (sanitize) throw new KilnException(Code.USAGE, Location.NONE, "--sanitize needs a compiled backend (--backend " + compiledBackend() + ")");
            return dev.kiln.check.Checker.sequential((g, ins) -> new dev.kiln.interp.Interpreter(g).run(ins));
        }
        if (runner == null) runner = plugin().runner(runOptions());
        return runner;
    }

    /** How the chosen backend runs a model, in words. */
    String backendWords() {
        requireBackend();
        return backend.equals(INTERP) ? "Kiln's reference interpreter" : plugin().describe(runOptions());
    }

    /** The backend compile, inspect and bench use when none is named ({@link dev.kiln.backend.Backend#compiledDefault}). */
    static String compiledBackend() { return dev.kiln.backend.Backend.compiledDefault().kind(); }

    /**
     * Compiles {@code model} with the default compiled backend ({@link #compiledBackend}, C) for {@code t}, symbols
     * prefixed {@code name} (default: the model's).
     */
    dev.kiln.backend.GeneratedCode compileDefault(java.nio.file.Path model, String name, dev.kiln.backend.Target t) {
        return compile(model, name, compiledBackend(), t);
    }

    /** Compiles {@code model} with backend {@code kind} for {@code t}; see {@link #compileDefault}. */
    dev.kiln.backend.GeneratedCode compile(java.nio.file.Path model, String name, String kind, dev.kiln.backend.Target t) {
        return compile(model, name, kind, t, java.util.Map.of());
    }

    /** {@link #compile} with state pairs ({@code --state IN=OUT}, input name to output name). */
    dev.kiln.backend.GeneratedCode compile(java.nio.file.Path model, String name, String kind, dev.kiln.backend.Target t,
            java.util.Map<String, String> state) {
        String n = name != null ? name : dev.kiln.backend.GeneratedCode.defaultName(model);
        return dev.kiln.Kiln.compile(model, importOptions(), kind, t,
                new dev.kiln.backend.Backend.Options(n, templates, model.getFileName().toString(), state), compileOptions());
    }

    /** The target of a compiled backend: {@code -t}, except that OpenCL's default is the opencl-gpu descriptor. */
    dev.kiln.backend.Target compiledTarget() {
        requireBackend();
        return dev.kiln.Kiln.compiledTarget(backend, target);
    }
}
