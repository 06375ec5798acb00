package dev.kiln.cli;

import dev.kiln.check.Checker;
import dev.kiln.check.TestCase;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kiln check}: runs ONNX test folders on a backend and compares with their recorded outputs. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Run test folders (model.onnx or model.kiln + test_data_set_*) and compare with the recorded outputs.",
        footer = {"", "Examples:",
                "  kiln check tests/onnx-node/test_relu tests/onnx-node/test_add_bcast",
                "  kiln check --backend c tests/models/digits_lenet5_op13",
                "  kiln check --backend c --sanitize tests/models/digits_mlp_op13",
                "  kiln check --backend c -t cortex-m4f tests/models/ds_cnn_kws_op13",
                "  kiln check tests/models/digits_lenet5_op13 --int8 \\",
                "      --calibrate tests/data/digits_calib32_x.npy --atol 1 --rtol 0.05",
                "  kiln check tests/models/ds_cnn_kws_op13 \\",
                "      --model tests/dsl/ds_cnn_kws/model.kiln",
                "  kiln check --backend opencl tests/models",
                "", "Prints PASS/FAIL per case and 'N passed, M failed'. Exit 0 if all pass,",
                "1 if any fails, 2 on bad usage or when every failing case failed because",
                "its model or data did not import (bad input)."})
final class CheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Test folders, or folders of them.")
    List<Path> paths;

    @Option(names = "--rtol", defaultValue = "1e-3", description = "Relative tolerance (default ${DEFAULT-VALUE}).")
    double rtol;

    @Option(names = "--atol", defaultValue = "1e-7", description = "Absolute tolerance (default ${DEFAULT-VALUE}).")
    double atol;

    @Option(names = "--steps", paramLabel = "N", description = "Compare quantized outputs in output steps: pass within N steps of the recorded values (rtol and atol then apply only to outputs without a step); a passing line tells the largest error and whether the top 5 agree.")
    Double steps;

    @Option(names = "--per-layer", description = "For each failing case, name the first layer whose output departs from the interpreter's run of the model as imported (-O0), with the errors of the layers before it.")
    boolean perLayer;

    @Option(names = "--model", paramLabel = "FILE", description = "Use this model (.onnx or .kiln) instead of each folder's own.")
    Path model;

    @picocli.CommandLine.Mixin
    CliOptions options;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        options.requireBackend();
        options.importOptions(); // why: a malformed option is a usage error (exit 2), not a failure of every case
        if (model != null) dev.kiln.Kiln.declaredInputs(model); // why: a broken --model is bad input, not a failed check
        dev.kiln.CompileOptions co = options.compileOptions(); // why: bad pipeline options are a usage error, not a failure of every case
        dev.kiln.backend.Target t = dev.kiln.backend.Target.load(options.targetName());
        Checker checker = new Checker(options.runner(), rtol, atol, () -> options.importOptions(), model,
                g -> dev.kiln.Kiln.optimize(g, t, co));
        checker.progress(options.progress());
        if (steps != null) {
            if (!(steps >= 0) || steps.isInfinite()) throw new KilnException(Code.USAGE, Location.NONE, "--steps " + steps + " must be a finite number >= 0");
            checker.steps(steps);
        }
        List<TestCase> cases = TestCase.find(paths);
        int[] counts = new int[3]; // passed, failed, failed because the model or data did not import
        List<TestCase> failed = new java.util.ArrayList<>();
        // why: compiled backends build a batch of cases into one program; the interpreter reports case by case
        int batch = options.backend.equals(CliOptions.INTERP) ? 1 : 64;
        checker.checkAll(cases, batch, r -> {
            options.progress().hide(); // why: a PASS/FAIL line must not be drawn over the progress bar
            out.println(r.line());
            out.flush();
            counts[r.passed() ? 0 : 1]++;
            if (r.badInput()) counts[2]++;
            if (!r.passed()) for (TestCase c : cases) if (c.name().equals(r.name()) && !failed.contains(c)) failed.add(c);
        });
        if (perLayer) {
            for (TestCase c : failed) {
                out.println("per-layer " + c.name() + ":");
                try {
                    dev.kiln.check.PerLayer.Report rep = checker.perLayer(c);
                    for (String line : rep.lines()) out.println("  " + line);
                    if (rep.culprit() != null)
                        out.println("  see it in the report: kiln inspect " + c.model() + " --html report.html --mark '" + rep.culprit().node() + "'");
                } catch (KilnException | IllegalStateException e) {
                    out.println("  per-layer comparison failed: " + e.getMessage().replace("\n", " "));
                }
                out.flush();
            }
        }
        out.println(counts[0] + " passed, " + counts[1] + " failed");
        if (counts[1] == 0) return Main.OK;
        // why: a model that does not import is bad input (2), which scripts must tell from a wrong result (1)
        if (counts[2] == counts[1]) {
            out.flush();
            java.io.PrintWriter err = spec.commandLine().getErr();
            err.println("kiln: every failure is a model or data set that did not import (bad input): exit status 2");
            err.flush();
            return Main.BAD_INPUT;
        }
        return Main.CHECK_FAILED;
    }
}
