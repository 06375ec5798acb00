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

    /**
     * Where each input of {@code n} lies whole and contiguous inside output 0 (a byte offset; -1 for an input that
     * does not), or null: the planner may then place such an input directly at its offset in output 0's buffer, and
     * the kernel copies only the inputs it finds elsewhere (a Concat of one outer row).
     */
    default long[] joinedAt(Node n) { return null; }

    /**
     * Where each output of {@code n} lies whole and contiguous inside input 0 (a byte offset; -1 for an output that
     * does not), or null: the planner may then place such an output as a view of input 0's buffer at its offset,
     * and the kernel copies only the outputs it finds elsewhere (a Split or Slice of one contiguous run).
     */
    default long[] viewAt(Node n) { return null; }

    /** Bytes of temporary storage the node's kernel needs while it runs (0 for none). */
    long scratchBytes(Node n);
}
