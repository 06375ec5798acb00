package dev.kiln.cli;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.backend.Templates;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.toolchain.HostBench;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kiln bench}: latency of the generated C on the host. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time the generated C of a model on this machine (median over many runs).",
        footer = {"", "Examples:", "  kiln bench tests/models/resnet8_cifar10_op13/model.onnx", "  kiln bench model.onnx --runs 500"})
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
        if (t.isCross())
            throw new KilnException(Code.USAGE, Location.NONE, "bench times host code only; instruction counts under qemu are not built yet")
                    .withHint("use -t host");
        if (runs < 1 || warmup < 0) throw new KilnException(Code.USAGE, Location.NONE, "--runs must be positive and --warmup not negative");
        GeneratedCode code = options.compileC(model, null, t);
        double ms = HostBench.medianMillis(code, new Templates("c", options.templates), warmup, runs);
        out.printf("%s on %s: median %.4f ms over %d runs%n", model, t.name(), ms, runs);
        out.flush();
        return Main.OK;
    }
}
