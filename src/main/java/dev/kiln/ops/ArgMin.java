package dev.kiln.ops;

/** Index of the smallest value along an axis (int64; first or, with select_last_index, last of ties). */
public final class ArgMin extends ArgReduce {
    public ArgMin() { super("arg_min"); }

    @Override
    public String summary() { return "int64 index of the minimum along an axis (keepdims, select_last_index)"; }

    @Override
    protected int direction() { return -1; }
}
