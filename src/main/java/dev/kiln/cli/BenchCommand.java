package dev.kiln.cli;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.ModelStats;
import dev.kiln.backend.Target;
import dev.kiln.backend.Templates;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.NdArray;
import dev.kiln.toolchain.CodeSize;
import dev.kiln.toolchain.HostBench;
import dev.kiln.toolchain.HostProfiler;
import dev.kiln.toolchain.OrtLoader;
import dev.kiln.toolchain.OrtTimer;
import dev.kiln.toolchain.Timings;
import dev.kiln.toolchain.QemuInstructionCounter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code kiln bench}: latency of the generated C on the host, optionally alternated with ONNX Runtime on the same
 * model and input; on qemu targets the guest instruction count of one inference.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Time the generated C of a model on this machine (median over many runs), side by side with ONNX Runtime "
                + "(one thread, all graph optimisations) where asked; on qemu targets count the guest instructions of one inference."},
        footer = {"", "Examples:", "  kiln bench tests/models/resnet8_cifar10_op13/model.onnx --against onnxruntime",
                "  kiln bench model.onnx --runs 500 --json bench.json", "  kiln bench model.onnx -t cortex-m4f --json -"})
final class BenchCommand implements Callable<Integer> {
    /** The runtimes {@code --against} accepts. */
    static final String ONNXRUNTIME = "onnxruntime";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The model (.onnx or .kiln).")
    Path model;

    @Option(names = "--runs", defaultValue = "200", description = "Timed inferences of each runtime (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "20", description = "Untimed inferences first, per runtime (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--rounds", defaultValue = "10",
            description = "With --against: alternate the runtimes in this many chunks of runs/rounds inferences each (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--against", paramLabel = "RUNTIME", description = "Also time this runtime on the same model and input: onnxruntime.")
    String against;

    @Option(names = "--clock", paramLabel = "CLOCK", defaultValue = "cpu",
            description = "Clock of the medians and the ratio: cpu (the inference thread's CPU time, steady on a shared machine) "
                    + "or wall (default ${DEFAULT-VALUE}; JSON has both).")
    String clock;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the numbers as JSON to FILE ('-': standard output, instead of the text).")
    Path json;

    @Option(names = "--per-layer", description = "Also measure each layer: on qemu targets its instructions (each kernel kept as its own function) "
            + "and instructions per MAC; on the host its median wall time over --runs inferences of an instrumented build, its share and GMAC/s.")
    boolean perLayer;

    @Mixin
    CliOptions options;

    /** What a qemu target's benchmark measured: guest instructions of one inference, or null when not counted. */
    record CrossResult(Long instructions) {}

    /** One layer's (or one other function's: layer null) instructions in a per-layer count. */
    record LayerCount(ModelStats.Layer layer, String function, long instructions) {
        /** Instructions per MAC, or null for a layer without MACs or a function that is no layer. */
        Double perMac() { return layer == null || layer.macs() == 0 ? null : (double) instructions / layer.macs(); }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (runs < 1 || warmup < 0) throw new KilnException(Code.USAGE, Location.NONE, "--runs must be positive and --warmup not negative");
        if (rounds < 1 || rounds > runs)
            throw new KilnException(Code.USAGE, Location.NONE, "--rounds must be between 1 and --runs (" + runs + "), not " + rounds);
        if (!clock.equals("cpu") && !clock.equals("wall"))
            throw new KilnException(Code.USAGE, Location.NONE, "--clock " + clock + " is neither cpu nor wall");
        if (against != null && !against.equals(ONNXRUNTIME))
            throw new KilnException(Code.USAGE, Location.NONE, "--against " + against + " is not a runtime Kiln can time")
                    .withHint("available: " + ONNXRUNTIME);
        Target t = Target.load(options.target);
        // why: ONNX Runtime runs on this machine only; a ratio against a qemu guest would mean nothing
        if (against != null && t.isCross())
            throw new KilnException(Code.USAGE, Location.NONE, "--against " + against + " needs a host target, not " + t.name())
                    .withHint("use -t host; on " + t.name() + " bench counts guest instructions");
        // why: ONNX Runtime reads ONNX files only
        if (against != null && !model.toString().endsWith(".onnx"))
            throw new KilnException(Code.USAGE, Location.file(model.toString()), "--against " + against + " needs an .onnx model");
        GeneratedCode code = options.compileDefault(model, null, t);
        ModelStats st = new ModelStats(code);
        st.codeBytes = CodeSize.codeBytes(code);
        Numbers n = new Numbers(st, options.int8 || holdsInt8(code.graph()));
        if (t.isCross() && perLayer) {
            QemuInstructionCounter.Counts c = QemuInstructionCounter.countPerFunction(code, new Templates(CliOptions.compiledBackend(), options.templates));
            n.instructions = c.total();
            n.layers = layerCounts(code, st, c);
        } else if (t.isCross()) {
            n.instructions = crossBench(code, t).instructions();
        } else if (against == null) {
            try (HostBench h = HostBench.start(code, new Templates(CliOptions.compiledBackend(), options.templates), HostBench.inputs(code.graph()), warmup)) {
                n.kiln = alternate(h::time)[0];
            }
        } else {
            hostAgainstOrt(code, n);
        }
        if (!t.isCross() && perLayer) n.times = layerTimes(code, st,
                HostProfiler.profile(code, new Templates(CliOptions.compiledBackend(), options.templates), HostBench.inputs(code.graph()), warmup, runs));
        n.medians();
        String text = n.text(t);
        if (json == null) {
            out.print(text);
        } else {
            String j = n.json(model.toString(), t.name());
            if (json.toString().equals("-")) {
                out.print(j);
            } else {
                dev.kiln.io.OutputFiles.writeAtomically(json, j.getBytes(StandardCharsets.UTF_8));
                out.print(text);
            }
        }
        out.flush();
        return Main.OK;
    }

    /** Times the C and ONNX Runtime in alternating chunks on the same inputs; fills {@code n}'s times. */
    private void hostAgainstOrt(GeneratedCode code, Numbers n) {
        Map<String, NdArray> inputs = HostBench.inputs(code.graph());
        n.ortModel = quantized() ? "quantized model as given" : "float model";
        try (OrtTimer ort = OrtLoader.open(model, inputs, warmup);
                HostBench h = HostBench.start(code, new Templates(CliOptions.compiledBackend(), options.templates), inputs, warmup)) {
            n.ortVersion = ort.version();
            Timings[] both = alternate(h::time, ort::time);
            n.kiln = both[0];
            n.ort = both[1];
        }
    }

    /**
     * {@code runs} timed inferences of each runtime in {@link #rounds} chunks, the runtimes taking turns (in
     * reverse order every other round, so neither always runs right after the other); each runtime's samples.
     */
    private Timings[] alternate(Chunk... runtimes) {
        Timings[] xs = new Timings[runtimes.length];
        for (int j = 0; j < xs.length; j++) xs[j] = Timings.of(0);
        int done = 0;
        for (int r = 0; r < rounds; r++) {
            int k = (runs - done) / (rounds - r);
            for (int j = 0; j < runtimes.length; j++) {
                int which = r % 2 == 0 ? j : runtimes.length - 1 - j;
                xs[which] = xs[which].append(runtimes[which].time(k));
            }
            done += k;
            progress(r + 1, rounds);
        }
        return xs;
    }

    /** Runs and times a chunk of inferences, returning each one's milliseconds. */
    interface Chunk {
        Timings time(int n);
    }

    /** One call per timed chunk: the progress bar on stderr (drawn only on a terminal, erased when done). */
    private void progress(int done, int total) {
        dev.kiln.diag.Progress bar = options.progress();
        if (done == 1) bar.begin("benchmarking", total);
        bar.update(done, "round " + done + " of " + total);
        if (done == total) bar.end();
    }

    /** Whether the model as given already holds 8-bit integer tensors (a QDQ or QOperator model). */
    private boolean quantized() {
        return holdsInt8(dev.kiln.Kiln.load(model, options.importOptions()));
    }

    /** Whether some node of {@code g} reads an 8-bit integer tensor. */
    private static boolean holdsInt8(dev.kiln.ir.Graph g) {
        for (dev.kiln.ir.Node node : g.nodes())
            for (dev.kiln.ir.Value v : node.inputs())
                if (v != null && (v.dtype() == dev.kiln.ir.DType.I8 || v.dtype() == dev.kiln.ir.DType.U8)) return true;
        return false;
    }

    /**
     * The instruction count of one inference of {@code code} under qemu on target {@code t}, counted by Kiln's QEMU
     * plugin between two marker functions (toolchain/QemuInstructionCounter).
     */
    CrossResult crossBench(GeneratedCode code, Target t) {
        return new CrossResult(QemuInstructionCounter.count(code, new Templates(CliOptions.compiledBackend(), options.templates)));
    }

    /**
     * The per-function counts as layers: kernel {@code <model>_k<index>_<op>} is layer {@code index} of the schedule;
     * other functions (the run function, region functions) follow as lines without a layer.
     */
    static java.util.List<LayerCount> layerCounts(GeneratedCode code, ModelStats st, QemuInstructionCounter.Counts c) {
        Map<String, ModelStats.Layer> byFunction = new java.util.HashMap<>();
        for (ModelStats.Layer l : st.layers) if (l.depth() == 0) byFunction.put(code.name() + "_k" + l.index() + "_" + l.op(), l);
        java.util.List<LayerCount> rows = new java.util.ArrayList<>(), others = new java.util.ArrayList<>();
        for (ModelStats.Layer l : st.layers) {
            Long v = l.depth() == 0 ? c.functions().get(code.name() + "_k" + l.index() + "_" + l.op()) : null;
            if (v != null) rows.add(new LayerCount(l, code.name() + "_k" + l.index() + "_" + l.op(), v));
        }
        for (Map.Entry<String, Long> e : c.functions().entrySet())
            if (!byFunction.containsKey(e.getKey())) others.add(new LayerCount(null, e.getKey(), e.getValue()));
        rows.addAll(others);
        return rows;
    }

    /** One layer's (or one other function's: layer null) median time in a host per-layer profile, and its share of the profiled inference. */
    record LayerTime(ModelStats.Layer layer, String function, double us, double share) {
        /** Billions of MACs per second, or null for a layer without MACs or a function that is no layer. */
        Double gmacs() { return layer == null || layer.macs() == 0 || us <= 0 ? null : layer.macs() / (us * 1e3); }
    }

    /** The profiled layers' times; the total of the instrumented build. */
    record LayerTimes(List<LayerTime> rows, double totalUs) {}

    /**
     * The per-kernel times as layers ({@code <model>_k<index>_<op>} is layer {@code index}), in schedule order, then
     * other functions; each a median over the profiled inferences.
     */
    static LayerTimes layerTimes(GeneratedCode code, ModelStats st, HostProfiler.Profile p) {
        double total = Timings.median(p.totalNs()) / 1e3;
        List<LayerTime> rows = new java.util.ArrayList<>(), others = new java.util.ArrayList<>();
        java.util.Set<String> named = new java.util.HashSet<>();
        for (ModelStats.Layer l : st.layers) {
            String fn = code.name() + "_k" + l.index() + "_" + l.op();
            double[] ns = l.depth() == 0 ? p.functions().get(fn) : null;
            if (ns == null) continue;
            double us = Timings.median(ns) / 1e3;
            rows.add(new LayerTime(l, fn, us, us / total));
            named.add(fn);
        }
        for (Map.Entry<String, double[]> e : p.functions().entrySet()) {
            if (named.contains(e.getKey())) continue;
            double us = Timings.median(e.getValue()) / 1e3;
            others.add(new LayerTime(null, e.getKey(), us, us / total));
        }
        rows.addAll(others);
        return new LayerTimes(rows, total);
    }

    /** Everything bench measured, printable as text or JSON. */
    private final class Numbers {
        final ModelStats st;
        Timings kiln, ort;
        Double kilnMs, ortMs;
        Long instructions;
        String ortVersion, ortModel;
        /** With --per-layer: each layer's instructions, then other functions'. */
        java.util.List<LayerCount> layers;
        /** With --per-layer on the host: each layer's time, then other functions'. */
        LayerTimes times;

        /** Whether the compiled code computes in int8 (--int8, or a quantized model lowered at -O1 and up). */
        final boolean int8;

        Numbers(ModelStats st, boolean int8) {
            this.st = st;
            this.int8 = int8;
        }

        /** Sets the medians of the chosen clock from the samples. */
        void medians() {
            kilnMs = median(kiln, clock);
            ortMs = median(ort, clock);
        }

        Double median(Timings t, String which) {
            return t == null ? null : Timings.median(which.equals("cpu") ? t.cpuMs() : t.wallMs());
        }

        Double ratio() { return kilnMs == null || ortMs == null ? null : kilnMs / ortMs; }

        Double gmacs(Double ms) { return ms == null ? null : st.macs / (ms * 1e6); }

        Double perMac() { return instructions == null || st.macs == 0 ? null : (double) instructions / st.macs; }

        String kind() { return int8 ? "int8" : "float"; }

        String text(Target t) {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "%s on %s (%s): %,d MACs, %,d params, arena %,d B, weights %,d B, code %s%n", model,
                    t.name(), kind(), st.macs, st.params, st.arenaBytes, st.weightsBytes, st.codeBytes < 0 ? "n/a" : String.format(Locale.ROOT, "%,d B", st.codeBytes)));
            if (t.isCross()) {
                b.append(instructions == null ? "instructions: n/a\n"
                        : String.format(Locale.ROOT, "instructions: %,d per inference, %.3f per MAC%n", instructions, perMac()));
                if (layers != null) {
                    b.append(String.format(Locale.ROOT, "%5s  %-14s %-44s %12s %14s %9s%n", "layer", "op", "name", "MACs", "instructions", "per MAC"));
                    for (LayerCount l : layers) {
                        Double pm = l.perMac();
                        b.append(String.format(Locale.ROOT, "%5s  %-14s %-44s %12s %,14d %9s%n", l.layer() == null ? "-" : Integer.toString(l.layer().index()),
                                l.layer() == null ? "(other)" : l.layer().op(), l.layer() == null ? l.function() : l.layer().name(),
                                l.layer() == null ? "" : String.format(Locale.ROOT, "%,d", l.layer().macs()), l.instructions(),
                                pm == null ? "" : String.format(Locale.ROOT, "%.3f", pm)));
                    }
                }
                return b.toString();
            }
            String c = clock.equals("cpu") ? "CPU time" : "wall time";
            b.append(String.format(Locale.ROOT, "Kiln:         median %.4f ms %s over %d runs, %.2f GMAC/s%n", kilnMs, c, runs, gmacs(kilnMs)));
            if (ortMs != null) {
                b.append(String.format(Locale.ROOT, "ONNX Runtime: median %.4f ms %s over %d runs, %.2f GMAC/s (%s %s, %s, 1 thread, all optimisations)%n",
                        ortMs, c, runs, gmacs(ortMs), ONNXRUNTIME, ortVersion, ortModel));
                b.append(String.format(Locale.ROOT, "Kiln/ORT:     %.3f (alternated in %d rounds)%n", ratio(), rounds));
            }
            if (times != null) {
                b.append(String.format(Locale.ROOT, "per layer (wall time, medians of %d inferences of an instrumented build: %.1f µs in total):%n", runs, times.totalUs()));
                b.append(String.format(Locale.ROOT, "%5s  %-14s %-44s %12s %10s %6s %8s%n", "layer", "op", "name", "MACs", "µs", "share", "GMAC/s"));
                for (LayerTime l : times.rows()) {
                    Double g = l.gmacs();
                    b.append(String.format(Locale.ROOT, "%5s  %-14s %-44s %12s %10.1f %5.1f%% %8s%n", l.layer() == null ? "-" : Integer.toString(l.layer().index()),
                            l.layer() == null ? "(other)" : l.layer().op(), l.layer() == null ? l.function() : l.layer().name(),
                            l.layer() == null ? "" : String.format(Locale.ROOT, "%,d", l.layer().macs()), l.us(), 100 * l.share(),
                            g == null ? "" : String.format(Locale.ROOT, "%.2f", g)));
                }
            }
            return b.toString();
        }

        String json(String modelName, String target) {
            StringBuilder b = new StringBuilder("{\n");
            field(b, "model", ModelStats.quote(modelName));
            field(b, "target", ModelStats.quote(target));
            field(b, "int8", Boolean.toString(int8));
            field(b, "against", against == null ? "null" : ModelStats.quote(against));
            field(b, "ort_version", ortVersion == null ? "null" : ModelStats.quote(ortVersion));
            field(b, "ort_model", ortModel == null ? "null" : ModelStats.quote(ortModel));
            field(b, "macs", Long.toString(st.macs));
            field(b, "params", Long.toString(st.params));
            field(b, "arena_bytes", Long.toString(st.arenaBytes));
            field(b, "weights_bytes", Long.toString(st.weightsBytes));
            field(b, "code_bytes", st.codeBytes < 0 ? "null" : Long.toString(st.codeBytes));
            field(b, "kiln_ms", num(kilnMs));
            field(b, "ort_ms", num(ortMs));
            field(b, "ratio", num(ratio()));
            field(b, "clock", kilnMs == null ? "null" : ModelStats.quote(clock));
            field(b, "kiln_cpu_ms", num(median(kiln, "cpu")));
            field(b, "kiln_wall_ms", num(median(kiln, "wall")));
            field(b, "ort_cpu_ms", num(median(ort, "cpu")));
            field(b, "ort_wall_ms", num(median(ort, "wall")));
            field(b, "kiln_gmacs", num(gmacs(kilnMs)));
            field(b, "ort_gmacs", num(gmacs(ortMs)));
            field(b, "runs", kilnMs != null ? Integer.toString(runs) : "null");
            field(b, "rounds", kilnMs != null ? Integer.toString(rounds) : "null");
            field(b, "warmup", kilnMs != null ? Integer.toString(warmup) : "null");
            field(b, "instructions", instructions == null ? "null" : Long.toString(instructions));
            if (layers != null) {
                b.append("  \"layers\": [");
                for (int i = 0; i < layers.size(); i++) {
                    LayerCount l = layers.get(i);
                    b.append(i == 0 ? "\n" : ",\n").append("    {\"function\": ").append(ModelStats.quote(l.function()));
                    if (l.layer() != null) b.append(", \"index\": ").append(l.layer().index()).append(", \"op\": ").append(ModelStats.quote(l.layer().op()))
                            .append(", \"name\": ").append(ModelStats.quote(l.layer().name())).append(", \"macs\": ").append(l.layer().macs());
                    b.append(", \"instructions\": ").append(l.instructions()).append(", \"instructions_per_mac\": ").append(num(l.perMac())).append('}');
                }
                b.append("\n  ],\n");
            }
            if (times != null) {
                field(b, "layers_total_us", num(times.totalUs()));
                b.append("  \"layer_times\": [");
                for (int i = 0; i < times.rows().size(); i++) {
                    LayerTime l = times.rows().get(i);
                    b.append(i == 0 ? "\n" : ",\n").append("    {\"function\": ").append(ModelStats.quote(l.function()));
                    if (l.layer() != null) b.append(", \"index\": ").append(l.layer().index()).append(", \"op\": ").append(ModelStats.quote(l.layer().op()))
                            .append(", \"name\": ").append(ModelStats.quote(l.layer().name())).append(", \"macs\": ").append(l.layer().macs());
                    b.append(", \"us\": ").append(num(l.us())).append(", \"share\": ").append(num(l.share())).append(", \"gmacs\": ").append(num(l.gmacs())).append('}');
                }
                b.append("\n  ],\n");
            }
            b.append("  \"instructions_per_mac\": ").append(num(perMac())).append("\n}\n");
            return b.toString();
        }

        private void field(StringBuilder b, String k, String v) { b.append("  \"").append(k).append("\": ").append(v).append(",\n"); }

        private String num(Double d) { return d == null ? "null" : String.format(Locale.ROOT, "%.6g", d); }
    }
}
