package dev.kiln.ops;

/** Index of the largest value along an axis (int64; first or, with select_last_index, last of ties). */
public final class ArgMax extends ArgReduce {
    public ArgMax() { super("arg_max"); }

    @Override
    public String summary() { return "int64 index of the maximum along an axis (keepdims, select_last_index)"; }

    @Override
    protected int direction() { return 1; }
}
