package dev.kiln.check;

import dev.kiln.CompileOptions;
import dev.kiln.Kiln;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Progress;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Runs test cases on a backend and compares with the recorded outputs. Inputs whose values the model needs
 * at compile time (shape operands fed as graph inputs) are frozen to the data set's values. Cases run in
 * batches, so a backend that builds programs can build many cases into one.
 */
public final class Checker {
    /** Executes a graph on one set of inputs (graph input order) and returns its outputs (graph output order). */
    public interface Runner {
        List<NdArray> run(Graph g, List<NdArray> inputs);
    }

    /** One graph to run on one set of inputs. */
    public record Job(String name, Graph graph, List<NdArray> inputs) {}

    /** A job's outputs, or why there are none. */
    public record Outcome(List<NdArray> outputs, String error) {
        /** A failed job. */
        public static Outcome failed(String why) { return new Outcome(null, why); }
    }

    /** Executes many jobs at once (one program for all of them, where the backend builds programs). */
    public interface BatchRunner {
        List<Outcome> runAll(List<Job> jobs);
    }

    /**
     * The outcome of one case; {@code badInput} marks a failure before anything ran: the case's model or data did
     * not import (a bad input, which {@code kiln check} tells apart from a failed comparison by its exit status).
     */
    public record Result(String name, boolean passed, String reason, boolean badInput) {
        /** A passed case, or one that ran and failed. */
        public Result(String name, boolean passed, String reason) { this(name, passed, reason, false); }

        /** {@code PASS name} or {@code FAIL name: reason}. */
        public String line() { return passed ? "PASS " + name + (reason == null ? "" : " (" + reason + ")") : "FAIL " + name + ": " + reason; }
    }

    private final BatchRunner runner;
    private final double rtol;
    private final double atol;
    private final Supplier<ImportOptions> options;
    private final Path modelOverride;
    private final Consumer<Graph> optimizer;
    private Progress progress = Progress.OFF;
    private double steps = Double.NaN;

    /**
     * A checker using {@code runner}, tolerances, import options (a fresh object per import) and an optional
     * model file that replaces each case's own model; every graph runs the default ({@code -O3}) pipeline.
     */
    public Checker(Runner runner, double rtol, double atol, Supplier<ImportOptions> options, Path modelOverride) {
        this(sequential(runner), rtol, atol, options, modelOverride);
    }

    /** A checker running cases in batches; every graph runs the default ({@code -O3}) pipeline. */
    public Checker(BatchRunner runner, double rtol, double atol, Supplier<ImportOptions> options, Path modelOverride) {
        this(runner, rtol, atol, options, modelOverride, g -> Kiln.optimize(g, null, CompileOptions.defaults()));
    }

    /**
     * A checker running cases in batches, applying {@code optimizer} (the pass pipeline) to each graph after
     * import and before running it.
     */
    public Checker(BatchRunner runner, double rtol, double atol, Supplier<ImportOptions> options, Path modelOverride,
            Consumer<Graph> optimizer) {
        this.runner = runner;
        this.rtol = rtol;
        this.atol = atol;
        this.options = options;
        this.modelOverride = modelOverride;
        this.optimizer = optimizer;
    }

    /**
     * Shows cases done out of all, and the case at work, on {@code bar} while {@link #checkAll} runs (a caller that
     * prints results to the same terminal calls {@link Progress#hide()} first). Returns this checker.
     */
    public Checker progress(Progress bar) {
        this.progress = bar == null ? Progress.OFF : bar;
        return this;
    }

    /**
     * Compares quantized outputs (int8 ones, or float ones made by a per-tensor dequantize_linear) in output steps:
     * a case passes when every element is within {@code maxSteps} steps of the recorded value, whatever rtol and
     * atol say; a passing case's line tells its largest error in steps and whether the top 5 agree. Outputs
     * without a step keep rtol and atol. NaN turns it off. Returns this checker.
     */
    public Checker steps(double maxSteps) {
        this.steps = maxSteps;
        return this;
    }

    /** A batch runner that runs each job on its own; failures of any kind become failed outcomes. */
    public static BatchRunner sequential(Runner r) {
        return jobs -> {
            List<Outcome> out = new ArrayList<>();
            for (Job j : jobs) {
                try {
                    out.add(new Outcome(r.run(j.graph(), j.inputs()), null));
                } catch (KilnException e) {
                    out.add(Outcome.failed(e.getMessage().replace("\n", " ")));
                } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                    out.add(Outcome.failed("internal error: " + e));
                }
            }
            return out;
        };
    }

    /** Checks every data set of a case. */
    public Result check(TestCase c) {
        return checkAll(List.of(c), 1, r -> {}).get(0);
    }

    /** A case prepared for running: its jobs and expected outputs, or a failure found while preparing. */
    private static final class Prepared {
        final TestCase c;
        final List<Job> jobs = new ArrayList<>();
        final List<TestCase.DataSet> sets = new ArrayList<>();
        Result failed;

        Prepared(TestCase c) { this.c = c; }
    }

    /**
     * Checks cases {@code batch} at a time, reporting each result to {@code onResult} as soon as its batch
     * finished; failures of any kind become FAIL results, never exceptions.
     */
    public List<Result> checkAll(List<TestCase> cases, int batch, Consumer<Result> onResult) {
        List<Result> results = new ArrayList<>();
        progress.begin("checking", cases.size());
        try {
            for (int from = 0; from < cases.size(); from += batch) {
                List<Prepared> ps = new ArrayList<>();
                List<Job> jobs = new ArrayList<>();
                for (TestCase c : cases.subList(from, Math.min(cases.size(), from + batch))) {
                    progress.update(results.size(), "preparing " + c.name());
                    Prepared p = prepare(c);
                    ps.add(p);
                    if (p.failed == null) jobs.addAll(p.jobs);
                }
                progress.update(results.size(), jobs.size() == 1 ? "running " + jobs.get(0).name() : "building and running " + jobs.size() + " cases");
                List<Outcome> outs;
                try {
                    outs = jobs.isEmpty() ? List.of() : runner.runAll(jobs);
                } catch (KilnException e) {
                    String why = e.getMessage().replace("\n", " ");
                    outs = new ArrayList<>();
                    for (int i = 0; i < jobs.size(); i++) outs.add(Outcome.failed(why));
                }
                int at = 0;
                for (Prepared p : ps) {
                    Result r = p.failed;
                    if (r == null) {
                        String why = null;
                        List<String> notes = new ArrayList<>();
                        for (int i = 0; i < p.jobs.size() && why == null; i++) {
                            why = compare(p.jobs.get(i).graph(), p.sets.get(i), outs.get(at + i), notes);
                            if (why != null && p.sets.size() > 1) why = p.sets.get(i).name() + ": " + why;
                        }
                        at += p.jobs.size();
                        r = new Result(p.c.name(), why == null, why != null ? why : notes.isEmpty() ? null : String.join("; ", notes));
                    }
                    results.add(r);
                    onResult.accept(r);
                    progress.update(results.size(), r.name());
                }
            }
        } finally {
            progress.end();
        }
        return results;
    }

    /**
     * Finds where case {@code c} departs from the interpreter (its first data set): the backend runs the optimized
     * graph with every surviving intermediate value as an extra output, the interpreter runs the model as imported
     * (-O0: the float model, or the exact float QDQ simulation of a quantized one); see {@link PerLayer}.
     */
    public PerLayer.Report perLayer(TestCase c) {
        Path model = modelOverride != null ? modelOverride : c.model();
        List<String> declared = Kiln.declaredInputs(model);
        TestCase.DataSet ds = c.dataSets(options.get().maxTensorBytes()).get(0);
        ImportOptions opts = options.get(), refOpts = options.get();
        Map<String, NdArray> byName = inputsByName(ds, declared, opts, refOpts);
        Graph g = Kiln.load(model, opts);
        optimizer.accept(g);
        Graph ref = Kiln.load(model, refOpts);
        return PerLayer.compare(g, ref, byName, runner, steps, rtol, atol);
    }

    private Prepared prepare(TestCase c) {
        Prepared p = new Prepared(c);
        try {
            Path model = modelOverride != null ? modelOverride : c.model();
            List<String> declared = Kiln.declaredInputs(model);
            for (TestCase.DataSet ds : dataSets(c, model)) {
                String why = prepareDataSet(p, model, declared, ds);
                if (why != null) {
                    p.failed = new Result(c.name(), false, (p.sets.size() > 0 ? ds.name() + ": " : "") + why);
                    return p;
                }
            }
        } catch (KilnException e) {
            // why: an error while importing the model or its data is bad input, unless it is Kiln's own bug
            p.failed = new Result(c.name(), false, e.getMessage().replace("\n", " "), e.code() != dev.kiln.diag.Code.INTERNAL);
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            p.failed = new Result(c.name(), false, "internal error: " + e);
        }
        return p;
    }

    /**
     * The case's data sets; when they do not read as tensors, and the model itself declares a type Kiln does not
     * support (a sequence or optional input or output, say), the model's error, which names the cause.
     */
    private List<TestCase.DataSet> dataSets(TestCase c, Path model) {
        try {
            return c.dataSets(options.get().maxTensorBytes());
        } catch (KilnException e) {
            try {
                Kiln.load(model, options.get());
            } catch (KilnException m) {
                // why: a .pb holding a sequence or optional reads as a nonsense tensor; the model's error says why
                if (m.code() == dev.kiln.diag.Code.UNKNOWN_DTYPE) throw m;
            }
            throw e;
        }
    }

    /**
     * The data set's inputs by the model's input names (a .pb's own name when the model declares it, else by
     * position), each also declared as a known value in every one of {@code opts}.
     */
    private static Map<String, NdArray> inputsByName(TestCase.DataSet ds, List<String> declared, ImportOptions... opts) {
        Map<String, NdArray> byName = new LinkedHashMap<>();
        for (int i = 0; i < ds.inputs().size(); i++) {
            String pbName = ds.inputNames().get(i);
            String name = declared.contains(pbName) ? pbName : declared.get(i);
            byName.put(name, ds.inputs().get(i));
            for (ImportOptions o : opts) o.knownInputValue(name, ds.inputs().get(i));
        }
        return byName;
    }

    private String prepareDataSet(Prepared p, Path model, List<String> declared, TestCase.DataSet ds) {
        if (ds.inputs().size() > declared.size())
            return "data set has " + ds.inputs().size() + " inputs, the model declares " + declared.size();
        ImportOptions opts = options.get();
        Map<String, NdArray> byName = inputsByName(ds, declared, opts);
        Graph g = Kiln.load(model, opts);
        try {
            optimizer.accept(g);
        } catch (KilnException e) {
            // why: the model imported; a pass (or int8 lowering) that fails is a failed case, not bad input
            return e.getMessage().replace("\n", " ");
        }
        List<NdArray> ins = new ArrayList<>();
        for (Value v : g.inputs()) {
            NdArray a = byName.get(v.name());
            if (a == null) return "no data for input '" + v.name() + "'";
            // why: an int8-lowered model takes int8 inputs; the float test data is quantized outside the model
            ins.add(dev.kiln.quant.Int8Io.toInput(a, v.type()));
        }
        p.jobs.add(new Job(p.c.name(), g, ins));
        p.sets.add(ds);
        return null;
    }

    private String compare(Graph g, TestCase.DataSet ds, Outcome o, List<String> notes) {
        if (o.error() != null) return o.error();
        List<NdArray> outs = o.outputs();
        if (outs.size() < ds.outputs().size()) return "model has " + outs.size() + " outputs, data set expects " + ds.outputs().size();
        for (int i = 0; i < ds.outputs().size(); i++) {
            // why: an int8 model's outputs are compared with the float expectations after dequantization
            NdArray actual = ds.outputs().get(i).dtype().isFloat() ? dev.kiln.quant.Int8Io.toFloat(outs.get(i), g.outputs().get(i).type()) : outs.get(i);
            double step = OutputSteps.step(g.outputs().get(i));
            if (!Double.isNaN(steps) && !Double.isNaN(step) && ds.outputs().get(i).dtype().isFloat() && ds.outputs().get(i).shape().equals(actual.shape())) {
                NdArray e = ds.outputs().get(i);
                double m = OutputSteps.max(e, actual, step);
                String name = "output " + i + " '" + g.outputs().get(i).name() + "'";
                if (!(m <= steps + 1e-3)) {
                    int w = OutputSteps.worst(e, actual, step);
                    return name + ": " + String.format(java.util.Locale.ROOT, "%.2f output steps of %.6g at %s: got %s, expected %s (allowed %s)", m, step,
                            java.util.Arrays.toString(Compare.unravel(w, e.shape().dims())), actual.getDouble(w), e.getDouble(w), steps);
                }
                String top = e.size() >= 5 ? (OutputSteps.sameTop(e, actual, 5) ? ", top-5 same" : ", top-5 differ") : "";
                notes.add(String.format(java.util.Locale.ROOT, "%s: max %.2f output steps%s", name, m, top));
                continue;
            }
            String why = Compare.mismatch(ds.outputs().get(i), actual, rtol, atol);
            if (why != null) return "output " + i + " '" + g.outputs().get(i).name() + "': " + why;
        }
        return null;
    }
}
