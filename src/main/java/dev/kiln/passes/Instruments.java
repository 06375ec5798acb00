package dev.kiln.passes;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.Graph;
import dev.kiln.ir.GraphVerifier;
import java.util.function.Consumer;

/**
 * What the pipeline does around each pass, as asked on the command line: print the graph after a pass
 * ({@code --print-after}), verify it after every pass ({@code --verify-each}), and time and count nodes per pass
 * ({@code -v}). Passes never print, verify or time themselves; {@link Pipeline} calls these hooks.
 */
public final class Instruments {
    /** The {@code --print-after} value that prints after every pass. */
    public static final String ALL = "all";

    private final String printAfter;
    private final boolean verifyEach;
    private final boolean verbose;
    private final Consumer<String> out;

    /**
     * Instruments printing after the pass named {@code printAfter} ({@link #ALL}, or null for none), verifying
     * after each pass when {@code verifyEach}, timing passes when {@code verbose}; lines go to {@code out}.
     */
    public Instruments(String printAfter, boolean verifyEach, boolean verbose, Consumer<String> out) {
        this.printAfter = printAfter;
        this.verifyEach = verifyEach;
        this.verbose = verbose;
        this.out = out == null ? s -> {} : out;
    }

    /** No instruments: passes just run. */
    public static Instruments none() { return new Instruments(null, false, false, null); }

    /** The graph as text for {@code --print-after}: the one place that decides how graphs are printed. */
    public static String graphText(Graph g) { return dev.kiln.frontend.dsl.DslPrinter.text(g); }

    public String printAfter() { return printAfter; }
    public boolean verifyEach() { return verifyEach; }
    public boolean verbose() { return verbose; }

    /** Fails (usage) unless {@code printAfter} is null, {@link #ALL} or the name of a pass of {@code p}. */
    public void requirePrintable(Pipeline p) {
        if (printAfter == null || printAfter.equals(ALL)) return;
        for (Pass x : p.passes()) if (x.name().equals(printAfter)) return;
        StringBuilder names = new StringBuilder();
        for (Pass x : p.passes()) if (names.indexOf(" " + x.name() + ",") < 0) names.append(' ').append(x.name()).append(',');
        throw new KilnException(Code.USAGE, Location.NONE, "--print-after " + printAfter + ": the " + p.name() + " pipeline has no such pass")
                .withHint(p.passes().isEmpty() ? "the " + p.name() + " pipeline runs no passes" :
                        "its passes:" + names.substring(0, names.length() - 1) + " (or 'all')");
    }

    /** Called once before the first pass: verifies the incoming graph and starts the timing table. */
    void begin(Pipeline p, Graph g) {
        // why: a broken graph before any pass ran is the frontend's bug, not the first pass's
        if (verifyEach) verify(g, "the import (before any pass)");
        if (verbose) out.accept("pipeline " + p.name() + " on '" + g.name() + "': " + g.nodes().size() + " nodes, " + p.passes().size() + " passes");
    }

    /** Called after each pass with whether it changed the graph, its time, and the node count before it. */
    void after(Pass pass, Graph g, boolean changed, long nanos, int nodesBefore) {
        if (verbose)
            out.accept(String.format("  %-32s %9.2f ms  %5d -> %5d nodes%s", pass.name(), nanos / 1e6, nodesBefore, g.nodes().size(),
                    changed ? "  changed" : ""));
        if (printAfter != null && (printAfter.equals(ALL) || printAfter.equals(pass.name())))
            out.accept("# after " + pass.name() + "\n" + graphText(g));
        if (verifyEach) verify(g, "pass " + pass.name());
    }

    /** Called once after the last pass. */
    void end(Pipeline p, Graph g, long nanos, int nodesBefore) {
        if (verbose) out.accept(String.format("  %-32s %9.2f ms  %5d -> %5d nodes", "total", nanos / 1e6, nodesBefore, g.nodes().size()));
    }

    /** Where {@code -v} sends the passes' skip and report lines as they happen (null when not verbose). */
    Consumer<String> notes() { return verbose ? s -> out.accept("    " + s) : null; }

    private static void verify(Graph g, String who) {
        try {
            GraphVerifier.verify(g);
        } catch (KilnException e) {
            throw new KilnException(Code.INTERNAL, Location.NONE, who + " left an invalid graph: " + e.getMessage().replace("\n", " "))
                    .withHint("this is a bug in Kiln; --print-after shows the graph, -O0 avoids the passes");
        }
    }
}
