package dev.kiln.ops;

/** Index of the smallest value along an axis (int64; first or, with select_last_index, last of ties). */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class ArgMin extends ArgReduce {
    public ArgMin() { super("arg_min"); }

    @Override
    public String summary() { return "int64 index of the minimum along an axis (keepdims, select_last_index)"; }

    @Override
    protected int direction() { return -1; }
}
