package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;

/** {@code y = x > alpha ? x : 0} (alpha defaults to 1). */
@NoKernel(backend = "c", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
@NoKernel(backend = "opencl", why = "not written yet: issue 18 writes it once on the shared kernel layer (templates/kernels/)")
public final class ThresholdedRelu extends UnaryFloatOp {
    public ThresholdedRelu() {
        super("thresholded_relu", Signature.builder().input("X").output("Y").attr("alpha", AttrType.FLOAT, 1.0).build());
    }

    @Override
    public String summary() { return "x > alpha ? x : 0"; }

    @Override
    protected double apply(double x, Attrs a) { return x > a.getFloat("alpha") ? x : 0; }
}
