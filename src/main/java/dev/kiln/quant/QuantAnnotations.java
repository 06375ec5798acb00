package dev.kiln.quant;

import dev.kiln.ir.Graph;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Value;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The quantization parameters float values must have once lowered to int8, by value name: what
 * {@code AbsorbQuantBoundaries} reads off a quantized model's Quantize/Dequantize pairs, or what calibration
 * measured. {@code LowerToInt8} consumes them. A {@code PassContext}-carried instance is shared by the passes of
 * one compilation.
 *
 * <p>Calibration is lazy: a {@linkplain #setCalibration calibration source} is run on the graph as it stands when
 * {@code LowerToInt8} asks (after the float passes, so the ranges are those of the values that are really
 * lowered, fused activations included); its results never replace annotations already present.
 */
public final class QuantAnnotations {
    private final Map<String, QuantParams> byName = new LinkedHashMap<>();
    private Function<Graph, Map<String, QuantParams>> calibration;
    private boolean requested;

    /** Annotates value {@code name} with per-tensor (activation) parameters. */
    public void put(String name, QuantParams q) { byName.put(name, q); }

    /** Annotates value {@code v}. */
    public void put(Value v, QuantParams q) { put(v.name(), q); }

    /** The parameters of value {@code v}, or null. */
    public QuantParams get(Value v) { return v == null ? null : byName.get(v.name()); }

    /** The parameters of value {@code name}, or null. */
    public QuantParams get(String name) { return byName.get(name); }

    /** Moves an annotation when a pass renames or replaces a value. */
    public void rename(String from, String to) {
        QuantParams q = byName.remove(from);
        if (q != null) byName.put(to, q);
        if (int4.remove(from)) int4.add(to);
    }

    private final java.util.Set<String> int4 = new java.util.HashSet<>();

    /** Annotates weight {@code v} as int4 (a quantized model's DequantizeLinear of an int4 initializer): its lowering keeps int4. */
    public void putInt4(Value v, QuantParams q) {
        put(v, q);
        int4.add(v.name());
    }

    /**
     * Annotates {@code to}, a value derived from {@code from} (e.g. its weights with some channels removed), with
     * {@code q}; an int4 grid stays int4.
     */
    public void derive(Value from, Value to, QuantParams q) {
        put(to, q);
        if (int4.contains(from.name())) int4.add(to.name());
    }

    /** Whether weight {@code v}'s annotation came from an int4 initializer. */
    public boolean isInt4(Value v) { return v != null && int4.contains(v.name()) && byName.containsKey(v.name()); }

    public boolean isEmpty() { return byName.isEmpty(); }

    public int size() { return byName.size(); }

    /** Every annotation, by value name. */
    public Map<String, QuantParams> all() { return Collections.unmodifiableMap(byName); }

    /**
     * Asks for int8 lowering with parameters measured by {@code source} (run on the graph when they are needed);
     * {@code --int8 --calibrate DATA} sets this.
     */
    public void setCalibration(Function<Graph, Map<String, QuantParams>> source) {
        this.calibration = source;
        this.requested = true;
    }

    /** Whether int8 lowering was asked for (by calibration or by a quantized model's annotations). */
    public boolean requested() { return requested || !byName.isEmpty(); }

    /** Marks int8 lowering as requested even before any annotation exists (e.g. by a quantized-model import). */
    public void request() { this.requested = true; }

    /** Runs the calibration source, if any and not run yet, on {@code g}, adding what it measured (never overriding). */
    public void calibrate(Graph g) {
        if (calibration == null) return;
        Function<Graph, Map<String, QuantParams>> c = calibration;
        calibration = null;
        for (Map.Entry<String, QuantParams> e : c.apply(g).entrySet()) byName.putIfAbsent(e.getKey(), e.getValue());
    }

    /** Whether a calibration source waits to be run. */
    public boolean calibrationPending() { return calibration != null; }
}
