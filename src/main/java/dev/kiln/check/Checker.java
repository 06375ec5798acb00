package dev.kiln.check;

import dev.kiln.Kiln;
import dev.kiln.diag.KilnException;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs test cases on a backend and compares with the recorded outputs. Inputs whose values the model needs
 * at compile time (shape operands fed as graph inputs) are frozen to the data set's values.
 */
public final class Checker {
    /** Executes a graph on one set of inputs (graph input order) and returns its outputs (graph output order). */
    public interface Runner {
        List<NdArray> run(Graph g, List<NdArray> inputs);
    }

    /** The outcome of one case. */
    public record Result(String name, boolean passed, String reason) {
        /** {@code PASS name} or {@code FAIL name: reason}. */
        public String line() { return passed ? "PASS " + name : "FAIL " + name + ": " + reason; }
    }

    private final Runner runner;
    private final double rtol;
    private final double atol;
    private final Supplier<ImportOptions> options;
    private final Path modelOverride;

    /**
     * A checker using {@code runner}, tolerances, import options (a fresh object per import) and an optional
     * model file that replaces each case's own model.
     */
    public Checker(Runner runner, double rtol, double atol, Supplier<ImportOptions> options, Path modelOverride) {
        this.runner = runner;
        this.rtol = rtol;
        this.atol = atol;
        this.options = options;
        this.modelOverride = modelOverride;
    }

    /** Checks every data set of a case; failures of any kind become a FAIL result, never an exception. */
    public Result check(TestCase c) {
        try {
            Path model = modelOverride != null ? modelOverride : c.model();
            List<String> declared = Kiln.declaredInputs(model);
            List<TestCase.DataSet> sets = c.dataSets(options.get().maxTensorBytes());
            for (TestCase.DataSet ds : sets) {
                String why = checkDataSet(model, declared, ds);
                if (why != null) return new Result(c.name(), false, (sets.size() > 1 ? ds.name() + ": " : "") + why);
            }
            return new Result(c.name(), true, null);
        } catch (KilnException e) {
            return new Result(c.name(), false, e.getMessage().replace("\n", " "));
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            return new Result(c.name(), false, "internal error: " + e);
        }
    }

    private String checkDataSet(Path model, List<String> declared, TestCase.DataSet ds) {
        if (ds.inputs().size() > declared.size())
            return "data set has " + ds.inputs().size() + " inputs, the model declares " + declared.size();
        ImportOptions opts = options.get();
        Map<String, NdArray> byName = new LinkedHashMap<>();
        for (int i = 0; i < ds.inputs().size(); i++) {
            String pbName = ds.inputNames().get(i);
            String name = declared.contains(pbName) ? pbName : declared.get(i);
            byName.put(name, ds.inputs().get(i));
            opts.knownInputValue(name, ds.inputs().get(i));
        }
        Graph g = Kiln.load(model, opts);
        List<NdArray> ins = new ArrayList<>();
        for (Value v : g.inputs()) {
            NdArray a = byName.get(v.name());
            if (a == null) return "no data for input '" + v.name() + "'";
            ins.add(a);
        }
        List<NdArray> outs = runner.run(g, ins);
        if (outs.size() < ds.outputs().size()) return "model has " + outs.size() + " outputs, data set expects " + ds.outputs().size();
        for (int i = 0; i < ds.outputs().size(); i++) {
            String why = Compare.mismatch(ds.outputs().get(i), outs.get(i), rtol, atol);
            if (why != null) return "output " + i + " '" + g.outputs().get(i).name() + "': " + why;
        }
        return null;
    }
}
