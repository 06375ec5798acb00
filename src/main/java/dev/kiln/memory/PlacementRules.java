package dev.kiln.memory;

import dev.kiln.ir.Node;

/** What a backend allows the planner to do with a node's buffers. */
public interface PlacementRules {
    /** Whether output 0 of {@code n} is the same bytes as its input 0 (reshape, flatten, identity...). */
    boolean isAlias(Node n);

    /**
     * The index of an input whose buffer the node may overwrite with output 0 (same byte size, read before
     * written at each element), or -1.
     */
    int inPlaceInput(Node n);

    /**
     * Whether output 0 of {@code n} may also be larger than its {@link #inPlaceInput} buffer, the input's bytes then
     * lying at the end of the output's (the kernel writes no byte of the output over input it has still to read).
     */
    default boolean inPlaceAtTail(Node n) { return false; }

    /** Bytes of temporary storage the node's kernel needs while it runs (0 for none). */
    long scratchBytes(Node n);
}
