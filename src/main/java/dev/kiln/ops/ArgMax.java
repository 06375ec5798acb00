package dev.kiln.ops;

/** Index of the largest value along an axis (int64; first or, with select_last_index, last of ties). */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class ArgMax extends ArgReduce {
    public ArgMax() { super("arg_max"); }

    @Override
    public String summary() { return "int64 index of the maximum along an axis (keepdims, select_last_index)"; }

    @Override
    protected int direction() { return 1; }
}
