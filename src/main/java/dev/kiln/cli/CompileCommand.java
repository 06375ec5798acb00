package dev.kiln.cli;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.ModelStats;
import dev.kiln.backend.Target;
import dev.kiln.ir.Value;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kiln compile}: generates the C project of a model for a target and prints a one-screen summary. */
@Command(name = "compile", mixinStandardHelpOptions = true,
        description = "Compile a model to a C99 project for a target (or OpenCL), and print a one-screen summary.",
        footer = {"", "Examples:",
                "  kiln compile tests/models/ds_cnn_kws_op13/model.onnx -t cortex-m4f \\",
                "      -o out/kws --name kws",
                "  kiln compile tests/models/digits_lenet5_op13/model.onnx -o out/digits8 \\",
                "      --int8 --calibrate tests/data/digits_calib32_x.npy",
                "  kiln compile tests/dsl/digits_lenet5/model.kiln -o out/digits_dsl -O0",
                "  kiln compile tests/models/digits_lenet5_op13/model.onnx --backend opencl \\",
                "      -o out/digits_cl",
                "  kiln compile tests/models/gru_anomaly/model.onnx -o out/anomaly \\",
                "      --state h_in=h_out",
                "  kiln compile tests/models/digits_lenet5_op13/model.onnx -o out/traced \\",
                "      --templates tests/templates/traced_max_pool",
                "",
                "DIR gets <name>.h (the API), <name>.c, <name>_weights.c, kiln_runtime.h,",
                "a CMakeLists.txt fragment (add_subdirectory) and a README.md (API, arena,",
                "how to call it); it is replaced as a whole, and only when compilation",
                "succeeded. --templates DIR puts DIR/<backend>/*.stg, DIR/<backend>/ops/*.stg",
                "and DIR/kernels/*.stg before Kiln's own templates: a group there may import",
                "a built-in one and override a kernel (README: \"Your own kernels\")."})
final class CompileCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The model (.onnx or .kiln).")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Output folder (replaced as a whole).")
    Path output;

    @Option(names = "--name", paramLabel = "N", description = "Symbol prefix and file name (default: the model's name).")
    String name;

    @Option(names = "--state", paramLabel = "IN=OUT",
            description = "A state input and the output that is its next value (repeatable): the caller may pass one buffer as both, which each call updates in place (C only).")
    List<String> state;

    @Option(names = "--code-size", negatable = true,
            description = "Measure the code with the target's compiler and size tool (default: on for cross-compiled targets, whose flash is a budget; off on the host, where it is a second full build of the model).")
    Boolean codeSize;

    @Mixin
    CliOptions options;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        // why: compile writes code; the interpreter has none to write
        if (options.backend.equals(CliOptions.INTERP)) options.backend = CliOptions.compiledBackend();
        Target t = options.compiledTarget();
        GeneratedCode code = options.compile(model, name, options.backend, t, dev.kiln.backend.StatePairs.parse(state));
        ModelStats st = new ModelStats(code);
        // why: measuring builds the model a second time (3 s of gcc for MobileNetV2 on the host), so compile asks
        // only where flash is a budget or the user asks
        if (codeSize != null ? codeSize : t.isCross()) st.codeBytes = dev.kiln.backend.Backend.find(options.backend).codeBytes(code);
        else st.codeUnknown = "code size not measured; --code-size measures it";
        code.writeFolderAtomically(output);
        summary(out, code, st, output);
        // why: check and bench refuse a model over the part's flash; compile still writes it (a user may link it
        // for a larger part) but says so, with the code counted as 0 bytes when it was not measured
        String over = dev.kiln.toolchain.CProgramRunner.overFlash(t, code.name(), new long[] {Math.max(0, st.codeBytes), st.weightsBytes});
        if (over != null) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("kiln: warning: " + over);
            err.flush();
        }
        return Main.OK;
    }

    /** Lines of inputs (and of outputs) the summary shows before it counts the rest. */
    private static final int MAX_PORTS = 4;
    /** Width of the summary's wrapped lists: it fits one screen (24 lines of 100 columns). */
    private static final int WIDTH = 100;

    /**
     * Prints the one-screen summary of a compiled model (at most 24 lines): files, inputs and outputs, ops after
     * optimisation, MACs and parameters, flash (weights + code), arena, whether it is int8 and what stayed float,
     * and the largest layers.
     */
    static void summary(PrintWriter out, GeneratedCode code, ModelStats st) {
        summary(out, code, st, null);
    }

    /** The summary of a model compiled into {@code dir} (null: not written). */
    static void summary(PrintWriter out, GeneratedCode code, ModelStats st, Path dir) {
        dev.kiln.ir.Graph g = code.graph();
        boolean int8 = isInt8(g);
        out.printf("%s for %s%s%s%n", code.name(), code.target().name(), int8 ? " (int8)" : "", dir == null ? "" : " -> " + dir);
        wrapped(out, "  files   ", code.fileNames(), 2);
        ports(out, "input ", g.inputs());
        ports(out, "output", g.outputs());
        List<String> ops = new ArrayList<>();
        for (Map.Entry<String, Integer> e : st.nodes.entrySet()) ops.add(e.getKey() + "×" + e.getValue());
        wrapped(out, "  ops     ", ops, 3);
        out.printf("  MACs    %,d   params %,d%n", st.macs, st.params);
        if (st.codeBytes < 0)
            out.printf("  weights %,d bytes (%s)%n", st.weightsBytes, st.codeUnknown);
        else
            out.printf("  flash   %,d bytes = %,d weights + %,d code (%s, measured with %s)%n", st.weightsBytes + st.codeBytes,
                    st.weightsBytes, st.codeBytes, code.name() + ".c", code.target().sizeTool());
        out.printf("  arena   %,d bytes (liveness lower bound %,d)%n", st.arenaBytes, st.lowerBoundBytes);
        if (int8) {
            List<dev.kiln.ir.Node> left = dev.kiln.quant.Int8Lowering.floatNodes(g);
            if (left.isEmpty()) {
                out.println("  int8    every op is integer (no float left)");
            } else {
                List<String> names = new ArrayList<>();
                for (dev.kiln.ir.Node n : left) names.add(n.op().name() + " '" + n.name() + "'");
                wrapped(out, "  float   " + left.size() + " op(s) left in float: ", names, 2);
            }
        }
        List<ModelStats.Layer> big = new ArrayList<>(st.layers);
        big.sort(Comparator.comparingLong(ModelStats.Layer::macs).reversed());
        if (!big.isEmpty() && big.get(0).macs() > 0) {
            out.println("  largest layers:");
            for (ModelStats.Layer l : big.subList(0, Math.min(5, big.size()))) {
                if (l.macs() == 0) break;
                out.printf("    %-14s %-40s %,12d MACs %,10d params%n", l.op(), clip(l.name(), 40), l.macs(), l.params());
            }
        }
        out.flush();
    }

    /** Whether the compiled graph computes in int8: some node (not a constant) produces 8-bit integers. */
    private static boolean isInt8(dev.kiln.ir.Graph g) {
        for (dev.kiln.ir.Node n : g.nodes())
            for (Value v : n.outputs())
                if (v != null && (v.dtype() == dev.kiln.ir.DType.I8 || v.dtype() == dev.kiln.ir.DType.U8)) return true;
        return false;
    }

    private static void ports(PrintWriter out, String kind, List<Value> vs) {
        for (int i = 0; i < vs.size() && i < MAX_PORTS; i++) out.printf("  %s  %-24s %s%n", kind, clip(vs.get(i).name(), 24), vs.get(i).type());
        if (vs.size() > MAX_PORTS) out.printf("  %s  ... and %d more (kiln inspect lists them)%n", kind, vs.size() - MAX_PORTS);
    }

    /** Prints {@code items} after {@code head}, comma-separated and wrapped to the width, on at most {@code lines} lines. */
    private static void wrapped(PrintWriter out, String head, List<String> items, int lines) {
        String indent = " ".repeat(10);
        StringBuilder line = new StringBuilder(head);
        int printed = 0;
        for (int i = 0; i < items.size(); i++) {
            String item = items.get(i) + (i + 1 < items.size() ? "," : "");
            if (line.length() > indent.length() && line.length() + 1 + item.length() > WIDTH && !line.toString().equals(head)) {
                if (printed + 1 == lines) {
                    out.println(line + " ... " + (items.size() - i) + " more");
                    return;
                }
                out.println(line);
                printed++;
                line = new StringBuilder(indent);
            }
            if (line.length() > 0 && !line.toString().endsWith(" ")) line.append(' ');
            line.append(item);
        }
        out.println(line);
    }

    /** {@code s} cut to {@code n} characters, keeping its start and end. */
    static String clip(String s, int n) {
        if (s.length() <= n) return s;
        int head = (n - 1) / 3;
        return s.substring(0, head) + "…" + s.substring(s.length() - (n - 1 - head));
    }
}
