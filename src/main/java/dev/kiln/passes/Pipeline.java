package dev.kiln.passes;

import dev.kiln.ir.Graph;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** An ordered list of passes run once each, in order. */
public final class Pipeline {
    private final String name;
    private final List<Pass> passes;

    public Pipeline(String name, List<Pass> passes) {
        this.name = name;
        this.passes = List.copyOf(passes);
    }

    public String name() { return name; }

    public List<Pass> passes() { return Collections.unmodifiableList(passes); }

    /** Runs every pass on {@code g} in order; returns the names of the passes that changed it. */
    public List<String> run(Graph g, PassContext cx) {
        List<String> changed = new ArrayList<>();
        for (Pass p : passes) {
            cx.enter(p.name());
            if (p.run(g, cx)) changed.add(p.name());
        }
        return changed;
    }
}
