package dev.kiln.report;

import dev.kiln.diag.KilnException;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Trait;
import dev.kiln.quant.Int8Io;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-layer error of an int8 graph against its float twin: both run in the interpreter on the same input, and
 * every int8 node output whose value name also names a float value of the same size is dequantized and compared
 * (int8 lowering keeps the float value's name on its int8 replacement; a quantize or dequantize it adds is matched
 * through its input's name). Outputs it cannot match are listed.
 */
final class Int8Errors {
    /** The error of one node's output: largest absolute difference and RMS of the difference over RMS of the float. */
    record Error(double maxAbs, double relRms) {}

    /** Node to error, for the matched nodes. */
    final Map<Node, Error> errors = new IdentityHashMap<>();
    /** Int8 graph nodes with no float counterpart, with why. */
    final List<String> unmatched = new ArrayList<>();
    /** Where the input came from (for the page). */
    final String source;
    /** Why the comparison could not run, or null. */
    String failure;

    private Int8Errors(String source) { this.source = source; }

    /**
     * Runs {@code floatGraph} on {@code inputs} (float data by input name) and {@code int8Graph} on the same data
     * quantized to its inputs' parameters, and compares them layer by layer.
     */
    static Int8Errors compare(Graph floatGraph, Graph int8Graph, Map<String, NdArray> inputs, String source) {
        Int8Errors r = new Int8Errors(source);
        try {
            Map<Value, NdArray> fenv = new Interpreter(floatGraph).runAll(inputs);
            Map<String, NdArray> floatByName = new HashMap<>();
            for (Map.Entry<Value, NdArray> e : fenv.entrySet())
                if (e.getKey().dtype().isFloat() && !e.getKey().isConstant()) floatByName.put(e.getKey().name(), e.getValue());
            Map<String, NdArray> qin = new HashMap<>();
            for (Value v : int8Graph.inputs()) {
                NdArray a = inputs.get(v.name());
                if (a != null) qin.put(v.name(), Int8Io.toInput(a, v.type()));
            }
            Map<Value, NdArray> qenv = new Interpreter(int8Graph).runAll(qin);
            for (Node n : int8Graph.nodes()) {
                Value v = n.output(0);
                NdArray f = floatByName.get(v.name());
                // why: a quantize/dequantize the lowering added around a float node holds its input's data, named after it
                if (f == null && n.op().has(Trait.QUANT_BOUNDARY) && n.input(0) != null) f = floatByName.get(n.input(0).name());
                if (f == null) {
                    r.unmatched.add(n.name() + " (" + n.op().name() + "): no float value named '" + v.name() + "'");
                    continue;
                }
                NdArray q = qenv.get(v);
                NdArray d;
                if (v.dtype().isFloat()) d = q;
                else if (Int8Io.quantized(v.type())) d = Int8Io.toFloat(q, v.type());
                else {
                    r.unmatched.add(n.name() + " (" + n.op().name() + "): " + v.dtype() + " without per-tensor scale");
                    continue;
                }
                // why: a value renamed onto another shape (a split or a fused twin) is not the same tensor
                if (d.size() != f.size()) {
                    r.unmatched.add(n.name() + " (" + n.op().name() + "): float '" + v.name() + "' has another size");
                    continue;
                }
                r.errors.put(n, error(d, f));
            }
        } catch (KilnException | IllegalStateException e) {
            r.failure = e.getMessage();
        }
        return r;
    }

    /** Max-abs and relative RMS error of {@code d} against reference {@code f} (RMS of the difference when f is all zero). */
    static Error error(NdArray d, NdArray f) {
        double max = 0, se = 0, sf = 0;
        for (int i = 0; i < f.size(); i++) {
            double ref = f.getDouble(i), diff = d.getDouble(i) - ref;
            max = Math.max(max, Math.abs(diff));
            se += diff * diff;
            sf += ref * ref;
        }
        int n = Math.max(1, f.size());
        return new Error(max, sf > 0 ? Math.sqrt(se / sf) : Math.sqrt(se / n));
    }
}
