package dev.kiln.passes;

import dev.kiln.backend.Target;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/**
 * What a pass may know beyond the graph: the target being compiled for (null when the graph only runs on the
 * interpreter), user options of passes, and where to report why a rewrite did not apply and what it did.
 */
public final class PassContext {
    private final Target target;
    private final PassOptions options;
    private final List<String> notes = new ArrayList<>();
    private Consumer<String> log = s -> {};
    private String current = "";
    private final dev.kiln.quant.QuantAnnotations quant = new dev.kiln.quant.QuantAnnotations();

    public PassContext(Target target, PassOptions options) {
        this.target = target;
        this.options = options == null ? new PassOptions() : options;
        if (this.options.int8 != null) quant.setCalibration(this.options.int8);
    }

    /** The target, or null when compiling for the interpreter only. */
    public Target target() { return target; }

    public PassOptions options() { return options; }

    /** The quantization annotations of this compilation, shared by the int8 passes (import, calibration, lowering). */
    public dev.kiln.quant.QuantAnnotations quant() { return quant; }

    /** Sets where {@link #skip} and {@link #report} lines go as they happen (e.g. stderr under {@code -v}). */
    public void setLog(Consumer<String> log) { this.log = log == null ? s -> {} : log; }

    void enter(String passName) { this.current = passName; }

    /** Records why the current pass did not apply to {@code where} (a node name or "graph"). */
    public void skip(String where, String why) { note(current + ": skipped " + where + ": " + why); }

    /** Records what the current pass did (one line, e.g. a per-layer report). */
    public void report(String line) { note(current + ": " + line); }

    private void note(String s) {
        notes.add(s);
        log.accept(s);
    }

    /** Every skip and report line so far, in order. */
    public List<String> notes() { return Collections.unmodifiableList(notes); }
}
