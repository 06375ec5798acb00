package dev.kiln.cli;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.ModelStats;
import dev.kiln.backend.Target;
import dev.kiln.backend.Templates;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.toolchain.HostBench;
import dev.kiln.toolchain.QemuInstructionCounter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kiln bench}: latency of the generated C on the host, or guest instructions per inference on qemu targets. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time the generated C of a model on this machine (median over many runs), or count its instructions per inference under qemu (-t cortex-m4f ...).",
        footer = {"", "Examples:", "  kiln bench tests/models/resnet8_cifar10_op13/model.onnx", "  kiln bench model.onnx --runs 500",
                "  kiln bench tests/models/ds_cnn_kws_op13/model.onnx -t cortex-m4f"})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The model (.onnx or .kiln).")
    Path model;

    @Option(names = "--runs", defaultValue = "200", description = "Timed inferences (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "20", description = "Untimed inferences first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Mixin
    CliOptions options;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Target t = Target.load(options.target);
        if (t.isCross()) {
            crossBench(out, t);
            return Main.OK;
        }
        if (runs < 1 || warmup < 0) throw new KilnException(Code.USAGE, Location.NONE, "--runs must be positive and --warmup not negative");
        GeneratedCode code = options.compileC(model, null, t);
        double ms = HostBench.medianMillis(code, new Templates("c", options.templates), warmup, runs);
        out.printf("%s on %s: median %.4f ms over %d runs%n", model, t.name(), ms, runs);
        out.flush();
        return Main.OK;
    }

    /**
     * The qemu-target branch of bench: counts the guest instructions of one inference with Kiln's qemu plugin and
     * prints them per inference and per MAC; returns the count.
     */
    long crossBench(PrintWriter out, Target t) {
        GeneratedCode code = options.compileC(model, null, t);
        long instructions = QemuInstructionCounter.count(code, new Templates("c", options.templates));
        long macs = new ModelStats(code).macs;
        out.printf("%s on %s: %d instructions per inference, %s instructions per MAC (%d MACs)%n", model, t.name(), instructions,
                macs > 0 ? String.format(java.util.Locale.ROOT, "%.3f", (double) instructions / macs) : "n/a", macs);
        out.flush();
        return instructions;
    }
}
