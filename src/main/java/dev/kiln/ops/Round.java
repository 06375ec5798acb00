package dev.kiln.ops;

import dev.kiln.ir.Attrs;

/** {@code y = round(x)} to the nearest integer, halves to even (as ONNX and IEEE's roundeven). */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class Round extends UnaryFloatOp {
    public Round() { super("round"); }

    @Override
    public String summary() { return "nearest integer, halves to even"; }

    @Override
    protected double apply(double x, Attrs a) { return Math.rint(x); }
}
