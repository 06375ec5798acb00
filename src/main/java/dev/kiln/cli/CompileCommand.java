package dev.kiln.cli;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.ModelStats;
import dev.kiln.backend.Target;
import dev.kiln.ir.Value;
import dev.kiln.toolchain.CodeSize;
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
        description = "Compile a model to C99 for a target: <name>.h, <name>.c, <name>_weights.c and runtime files.",
        footer = {"", "Examples:", "  kiln compile tests/models/ds_cnn_kws_op13/model.onnx -t cortex-m4f -o out/kws --name kws",
                "  kiln compile model.onnx -t host -o build/model",
                "", "The output folder is replaced as a whole, and only when compilation succeeded."})
final class CompileCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The model (.onnx or .kiln).")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Output folder (replaced as a whole).")
    Path output;

    @Option(names = "--name", paramLabel = "N", description = "Symbol prefix and file name (default: the model's name).")
    String name;

    @Mixin
    CliOptions options;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        // why: compile writes code; the interpreter has none to write
        if (options.backend.equals("interp")) options.backend = "c";
        Target t = options.compiledTarget();
        boolean cl = options.backend.equals("opencl");
        GeneratedCode code = options.compile(model, name, options.backend, t);
        ModelStats st = new ModelStats(code);
        st.codeBytes = cl ? -1 : CodeSize.codeBytes(code);
        code.writeFolderAtomically(output);
        summary(out, code, st);
        return Main.OK;
    }

    static void summary(PrintWriter out, GeneratedCode code, ModelStats st) {
        out.printf("%s for %s -> %s%n", code.name(), code.target().name(), String.join(", ", code.fileNames()));
        for (Value v : code.graph().inputs()) out.printf("  input   %-24s %s%n", v.name(), v.type());
        for (Value v : code.graph().outputs()) out.printf("  output  %-24s %s%n", v.name(), v.type());
        StringBuilder ops = new StringBuilder();
        for (Map.Entry<String, Integer> e : st.nodes.entrySet())
            ops.append(ops.length() == 0 ? "" : ", ").append(e.getKey()).append("×").append(e.getValue());
        out.printf("  ops     %s%n", ops);
        out.printf("  MACs    %,d   params %,d%n", st.macs, st.params);
        out.printf("  flash   %,d bytes weights + %s code%n", st.weightsBytes,
                st.codeBytes < 0 ? "? bytes (not measured: no size tool for this target)" : String.format("%,d bytes", st.codeBytes));
        out.printf("  arena   %,d bytes (liveness lower bound %,d)%n", st.arenaBytes, st.lowerBoundBytes);
        List<ModelStats.Layer> big = new ArrayList<>(st.layers);
        big.sort(Comparator.comparingLong(ModelStats.Layer::macs).reversed());
        if (!big.isEmpty() && big.get(0).macs() > 0) {
            out.println("  largest layers:");
            for (ModelStats.Layer l : big.subList(0, Math.min(5, big.size()))) {
                if (l.macs() == 0) break;
                out.printf("    %-14s %-28s %,12d MACs %,10d params%n", l.op(), l.name(), l.macs(), l.params());
            }
        }
        out.flush();
    }
}
