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

    /**
     * Whether the pipeline also runs this pass inside regions (If branches, Loop and Scan bodies), each region
     * as a graph of its own. True for rewrites that keep a graph's input and output types; a pass that may
     * retype values across a graph's boundary (quantization, channel pruning) says false.
     */
    default boolean entersRegions() { return true; }
}
