package dev.kiln.check;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Value;
import dev.kiln.passes.AbsorbQuantBoundaries;
import dev.kiln.quant.Int8Io;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Finds the first layer where a backend departs from the interpreter: runs the optimized graph on the backend with
 * every intermediate value that survives under a name the reference graph also has (the model at -O0, i.e. the
 * float model or the exact float QDQ simulation of a quantized one) made an extra output, runs the reference in the
 * interpreter on the same input, and measures each such value's error in node order. An int8 value is compared in
 * its own output steps against the reference's real value quantized on the same grid (rounded half to even,
 * saturated, as QuantizeLinear does); a float value with {@code atol + rtol |expected|}.
 */
public final class PerLayer {
    private PerLayer() {}

    /** One compared value: its producer, its error (steps for int8, largest |difference| for float) and whether that is within tolerance. */
    public record Layer(String node, String op, String value, double error, boolean steps, boolean within) {
        /** {@code node 'n' (op) value 'v': error}. */
        public String describe() {
            return String.format(Locale.ROOT, "node '%s' (%s), value '%s': %s", node, op, value,
                    steps ? String.format(Locale.ROOT, "%.2f output steps", error) : String.format(Locale.ROOT, "max |difference| %.3g", error));
        }
    }

    /** The compared layers in node order and the index of the first out of tolerance (-1: none). */
    public record Report(List<Layer> layers, int first) {
        /** The first layer out of tolerance, or null. */
        public Layer culprit() { return first < 0 ? null : layers.get(first); }

        /** Lines for the terminal: the first layer out of tolerance and the errors of the layers before it. */
        public List<String> lines() {
            List<String> r = new ArrayList<>();
            if (layers.isEmpty()) {
                r.add("per-layer: no intermediate value survives under a name the reference has; nothing to compare");
                return r;
            }
            if (first < 0) {
                r.add("per-layer: all " + layers.size() + " compared layers are within tolerance (the error enters after the last of them)");
                return r;
            }
            r.add("per-layer: first layer out of tolerance: " + layers.get(first).describe());
            if (first > 0) r.add("  layers before it (" + first + "):");
            for (int i = 0; i < first; i++) r.add("    " + layers.get(i).describe());
            return r;
        }
    }

    /**
     * Compares {@code optimized} (run by {@code runner}, the backend; its outputs are extended here, so pass a graph
     * that is not used again) with {@code reference} (run by the interpreter) on {@code inputs} (by input name, as the
     * test data gives them). {@code maxSteps} bounds int8 values (NaN: 1 step); rtol and atol bound float values.
     */
    public static Report compare(Graph optimized, Graph reference, Map<String, NdArray> inputs, Checker.BatchRunner runner,
            double maxSteps, double rtol, double atol) {
        Map<Value, NdArray> ref = new Interpreter(reference).runAll(inputs);
        Map<String, NdArray> refByName = new HashMap<>();
        for (Map.Entry<Value, NdArray> e : ref.entrySet()) refByName.put(e.getKey().name(), e.getValue());
        List<Value> picked = new ArrayList<>();
        List<NdArray> expected = new ArrayList<>();
        int outs = optimized.outputs().size();
        for (Node n : optimized.nodes()) {
            for (Value v : n.outputs()) {
                if (v == null || optimized.outputs().contains(v)) continue;
                String base = v.name().endsWith(AbsorbQuantBoundaries.SATURATED)
                        ? v.name().substring(0, v.name().length() - AbsorbQuantBoundaries.SATURATED.length()) : v.name();
                NdArray r = refByName.get(base);
                if (r == null || r.size() != v.type().shape().numel()) continue;
                boolean int8 = Int8Io.quantized(v.type());
                // why: the int8 image of a real value is its quantization on the value's grid, saturation included
                if (int8 && r.dtype().isFloat()) r = Int8Io.toInput(r, v.type());
                // why: a float value of the backend compares with a float reference only (layouts may differ otherwise)
                if (!int8 && (!v.dtype().isFloat() || !r.dtype().isFloat())) continue;
                picked.add(v);
                expected.add(r);
            }
        }
        for (Value v : picked) optimized.addOutput(v);
        List<NdArray> ins = new ArrayList<>();
        for (Value v : optimized.inputs()) ins.add(Int8Io.toInput(inputs.get(v.name()), v.type()));
        Checker.Outcome o = runner.runAll(List.of(new Checker.Job(optimized.name(), optimized, ins))).get(0);
        if (o.error() != null) throw new IllegalStateException("the backend failed on the per-layer program: " + o.error());

        List<Layer> layers = new ArrayList<>();
        int first = -1;
        double steps = Double.isNaN(maxSteps) ? 1 : maxSteps;
        for (int i = 0; i < picked.size(); i++) {
            Value v = picked.get(i);
            NdArray got = o.outputs().get(outs + i), want = expected.get(i);
            Node p = v.producer();
            Layer l;
            if (Int8Io.quantized(v.type())) {
                double e = 0;
                for (int k = 0; k < got.size(); k++) e = Math.max(e, Math.abs(got.getLong(k) - want.getLong(k)));
                l = new Layer(p.name(), p.op().name(), v.name(), e, true, e <= steps + 1e-3);
            } else {
                double e = 0;
                boolean ok = true;
                for (int k = 0; k < got.size(); k++) {
                    double d = Math.abs(got.getDouble(k) - want.getDouble(k));
                    if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
                    e = Math.max(e, d);
                    ok &= d <= atol + rtol * Math.abs(want.getDouble(k));
                }
                l = new Layer(p.name(), p.op().name(), v.name(), e, false, ok);
            }
            layers.add(l);
            if (first < 0 && !l.within()) first = i;
        }
        return new Report(layers, first);
    }
}
