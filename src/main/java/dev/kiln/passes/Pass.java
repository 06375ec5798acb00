package dev.kiln.passes;

import dev.kiln.ir.Graph;

/**
 * A graph rewrite: one class per pass, named as an imperative ({@code FoldBatchNorm}). A pass changes the
 * graph in place and reports whether it changed anything; where it cannot apply, it says why through
 * {@link PassContext#skip}. Instruments (printing, verification, timing) belong to {@link Pipeline}, never to passes.
 */
public interface Pass {
    /** The pass's name as {@code --print-after} spells it: the class's simple name. */
    default String name() { return getClass().getSimpleName(); }

    /** Rewrites {@code g}; returns true when it changed the graph. */
    boolean run(Graph g, PassContext cx);
}
