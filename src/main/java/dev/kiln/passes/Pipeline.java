package dev.kiln.passes;

import dev.kiln.diag.Code;
import dev.kiln.diag.Diagnostic;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.Graph;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** An ordered list of passes run once each, in order, with the {@link Instruments} around each. */
public final class Pipeline {
    private final String name;
    private final List<Pass> passes;

    public Pipeline(String name, List<Pass> passes) {
        this.name = name;
        this.passes = List.copyOf(passes);
    }

    public String name() { return name; }

    /**
     * Runs {@code p} on {@code g}, then (when the pass enters regions) on every region of the nodes left
     * standing, depth first: a region is a closed graph, so the pass needs no knowledge of control flow.
     */
    static boolean runEverywhere(Pass p, Graph g, PassContext cx) {
        boolean changed = false;
        java.util.ArrayDeque<Graph> work = new java.util.ArrayDeque<>();
        work.push(g);
        while (!work.isEmpty()) {
            Graph r = work.pop();
            changed |= p.run(r, cx);
            if (!p.entersRegions()) break;
            for (dev.kiln.ir.Node n : r.nodes()) for (Graph sub : n.regions()) work.push(sub);
        }
        return changed;
    }

    public List<Pass> passes() { return Collections.unmodifiableList(passes); }

    /** Runs every pass on {@code g} in order; returns the names of the passes that changed it. */
    public List<String> run(Graph g, PassContext cx) {
        return run(g, cx, Instruments.none());
    }

    /**
     * Runs every pass on {@code g} in order under {@code ins} (printing, verification, timing); returns the
     * names of the passes that changed it. A pass that crashes is reported as an internal error naming it.
     */
    public List<String> run(Graph g, PassContext cx, Instruments ins) {
        ins.requirePrintable(this);
        if (ins.notes() != null) cx.setLog(ins.notes());
        List<String> changed = new ArrayList<>();
        int start = g.nodes().size();
        long t0 = System.nanoTime();
        ins.begin(this, g);
        for (Pass p : passes) {
            cx.enter(p.name());
            int before = g.nodes().size();
            long t = System.nanoTime();
            boolean ch;
            try {
                ch = runEverywhere(p, g, cx);
            } catch (KilnException e) {
                throw e;
            } catch (RuntimeException | StackOverflowError e) {
                throw new KilnException(Diagnostic.of(Code.INTERNAL, Location.NONE, "pass " + p.name() + " failed on '" + g.name() + "': " + e)
                        .withHint("this is a bug in Kiln; -O0 avoids the passes, --debug shows the stack trace"), e);
            }
            if (ch) changed.add(p.name());
            ins.after(p, g, ch, System.nanoTime() - t, before);
        }
        ins.end(this, g, System.nanoTime() - t0, start);
        return changed;
    }
}
