package dev.kiln.cli;

import dev.kiln.CompileOptions;
import dev.kiln.Kiln;
import dev.kiln.check.Checker;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.interp.Interpreter;
import dev.kiln.io.Npy;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import dev.kiln.quant.Calibrator;
import dev.kiln.quant.Int8Io;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code kiln eval}: top-1 accuracy of a model over a labelled set on a backend (int8 with {@code --int8
 * --calibrate D}), and its agreement (same top-1) with the float model on the interpreter.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Top-1 accuracy over a labelled set, and agreement with the float interpreter.",
        footer = {"", "Examples:",
                "  kiln eval tests/models/digits_lenet5_op13/model.onnx \\",
                "      --inputs tests/data/digits_test_x.npy \\",
                "      --labels tests/data/digits_test_y.npy",
                "  kiln eval tests/models/digits_lenet5_op13/model.onnx \\",
                "      --inputs tests/data/digits_test_x.npy \\",
                "      --labels tests/data/digits_test_y.npy --backend c",
                "  kiln eval tests/models/digits_lenet5_op13/model.onnx \\",
                "      --inputs tests/data/digits_test_x.npy \\",
                "      --labels tests/data/digits_test_y.npy --int8 \\",
                "      --calibrate tests/data/digits_calib32_x.npy",
                "",
                "X's first axis counts samples; labels are class indices [N] or one-hot",
                "rows [N, classes]."})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The model (.onnx or .kiln).")
    Path model;

    @Option(names = "--inputs", required = true, paramLabel = "X.npy", description = "Inputs; the first axis counts samples.")
    Path inputs;

    @Option(names = "--labels", required = true, paramLabel = "Y.npy", description = "Labels: class indices [N] or one-hot [N, classes].")
    Path labels;

    @Mixin
    CliOptions options;

    /** Top-1 accuracy and agreement of one evaluation. */
    record Scores(int samples, int correct, int floatCorrect, int agree) {
        double accuracy() { return 100.0 * correct / samples; }
        double floatAccuracy() { return 100.0 * floatCorrect / samples; }
        double agreement() { return 100.0 * agree / samples; }
    }

    @Override
    public Integer call() {
        options.requireBackend();
        CompileOptions co = options.compileOptions();
        Graph floatGraph = Kiln.load(model, options.importOptions());
        if (floatGraph.inputs().size() != 1)
            throw new KilnException(Code.USAGE, Location.file(model.toString()), "eval needs a model with one input, this one has " + floatGraph.inputs().size());
        long limit = options.importOptions().maxTensorBytes();
        // why: samples take the model's own input type; optimizing a quantized model retypes its input as int8
        List<NdArray> xs = Calibrator.samples(Npy.read(inputs, limit), floatGraph.inputs().get(0), inputs.toString());
        dev.kiln.ir.DType in0 = floatGraph.inputs().get(0).dtype(), out0 = floatGraph.outputs().get(0).dtype();
        Kiln.optimize(floatGraph, null, new CompileOptions(co.level(), new dev.kiln.passes.PassOptions(), null));
        if (floatGraph.inputs().get(0).dtype() != in0 || floatGraph.outputs().get(0).dtype() != out0) {
            // why: a QDQ model is lowered to int8 from -O1; its float meaning (dequantize, float op, quantize) is -O0's
            floatGraph = Kiln.load(model, options.importOptions());
            Kiln.optimize(floatGraph, null, new CompileOptions(0, new dev.kiln.passes.PassOptions(), null));
        }
        Graph g = Kiln.load(model, options.importOptions());
        Kiln.optimize(g, dev.kiln.backend.Target.load(options.target), co);

        int[] y = labels(Npy.read(labels, limit), xs.size());
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "eval %s on %d samples (%s): %s%n", model, xs.size(), inputs, options.backendWords());
        out.flush();
        Scores s = score(floatGraph, g, xs, y, options.runner(), !options.backend.equals(CliOptions.INTERP), options.progress());
        boolean int8 = Int8Io.quantized(g.inputs().get(0).type());
        out.printf(Locale.ROOT, "top-1 accuracy: %.2f %% (%d/%d)%s on %s%n", s.accuracy(), s.correct(), s.samples(), int8 ? " int8" : "",
                options.backend);
        out.printf(Locale.ROOT, "float model (interp): %.2f %% (%d/%d)%n", s.floatAccuracy(), s.floatCorrect(), s.samples());
        out.printf(Locale.ROOT, "agreement with the float model: %.2f %% (%d/%d same top-1)%n", s.agreement(), s.agree(), s.samples());
        return Main.OK;
    }

    /**
     * Runs both graphs on every sample and counts correct and agreeing top-1 answers; {@code batched} runs every
     * sample in one batch (a compiled backend builds one program), else one at a time. {@code bar} shows samples done.
     */
    static Scores score(Graph floatGraph, Graph g, List<NdArray> xs, int[] y, Checker.BatchRunner runner, boolean batched,
            dev.kiln.diag.Progress bar) {
        Interpreter ref = new Interpreter(floatGraph);
        List<Checker.Job> jobs = new ArrayList<>();
        Value in = g.inputs().get(0);
        for (int i = 0; i < xs.size(); i++) jobs.add(new Checker.Job("sample_" + i, g, List.of(Int8Io.toInput(xs.get(i), in.type()))));
        int n = xs.size();
        bar.begin("evaluating", n);
        try {
            List<Checker.Outcome> outs = new ArrayList<>();
            if (batched) {
                bar.update(0, "building one program for " + n + " samples and running it");
                outs.addAll(runner.runAll(jobs));
            } else {
                for (Checker.Job j : jobs) {
                    outs.addAll(runner.runAll(List.of(j)));
                    bar.update(outs.size(), j.name());
                }
            }
            return count(ref, g, xs, y, outs, bar);
        } finally {
            bar.end();
        }
    }

    private static Scores count(Interpreter ref, Graph g, List<NdArray> xs, int[] y, List<Checker.Outcome> outs, dev.kiln.diag.Progress bar) {
        int correct = 0, floatCorrect = 0, agree = 0;
        bar.begin("float model on the interpreter", xs.size());
        for (int i = 0; i < xs.size(); i++) {
            bar.update(i + 1, null);
            Checker.Outcome o = outs.get(i);
            if (o.error() != null) throw new KilnException(Code.RUN_FAILED, Location.NONE, "sample " + i + ": " + o.error());
            int p = argmax(Int8Io.toFloat(o.outputs().get(0), g.outputs().get(0).type()));
            int f = argmax(ref.run(List.of(xs.get(i))).get(0));
            if (p == y[i]) correct++;
            if (f == y[i]) floatCorrect++;
            if (p == f) agree++;
        }
        return new Scores(xs.size(), correct, floatCorrect, agree);
    }

    /** The index of the largest value (the first of equal ones). */
    static int argmax(NdArray a) {
        int best = 0;
        for (int i = 1; i < a.size(); i++) if (a.getDouble(i) > a.getDouble(best)) best = i;
        return best;
    }

    /** Class indices from [N] indices or [N, classes] one-hot rows. */
    static int[] labels(NdArray a, int n) {
        int[] r = new int[n];
        if (a.size() == n) {
            for (int i = 0; i < n; i++) r[i] = (int) a.getLong(i);
            return r;
        }
        if (a.shape().rank() == 2 && a.shape().dim(0) == n) {
            int c = a.shape().dim(1);
            for (int i = 0; i < n; i++) r[i] = argmax(NdArray.ofDoubles(dev.kiln.ir.Shape.of(c), java.util.Arrays.copyOfRange(a.toDoubleArray(), i * c, (i + 1) * c)));
            return r;
        }
        throw new KilnException(Code.USAGE, Location.file("labels"), "labels of shape " + a.shape() + " do not match " + n + " samples")
                .withHint("give class indices [N] or one-hot rows [N, classes]");
    }
}
