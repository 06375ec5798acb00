package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Base of CumSum and CumProd: running combination along {@code axis}. With {@code exclusive} = 1 element i
 * leaves itself out (the first gets the identity); with {@code reverse} = 1 the run goes from the end. Floats
 * accumulate in double precision, integers in 64 bits wrapped into the type.
 */
public abstract class Cumulative extends OpDef {
    protected Cumulative(String name) {
        super(name, Signature.builder().input("x").output("y").requiredAttr("axis", AttrType.INT)
                .attr("exclusive", AttrType.INT, 0L).attr("reverse", AttrType.INT, 0L).build());
    }

    /** The identity of the combination (0 for a sum, 1 for a product). */
    protected abstract long identity();

    protected abstract double combine(double acc, double x);

    protected abstract long combine(long acc, long x);

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.check(cx.dtype(0) != DType.BOOL, "does not take bool tensors");
        Shape s = cx.shape(0);
        long axis = cx.attrs().getInt("axis");
        AxisRun.check(cx, s, axis);
        return List.of(cx.input(0).withQuant(null));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        Shape s = x.shape();
        boolean exclusive = cx.attrs().getInt("exclusive") != 0, reverse = cx.attrs().getInt("reverse") != 0;
        boolean floating = x.dtype().isFloat();
        AxisRun run = AxisRun.of(s, cx.attrs().getInt("axis"));
        int outer = run.outer(), n = run.n(), inner = run.inner();
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                double accF = identity();
                long accI = identity();
                for (int j = 0; j < n; j++) {
                    int at = o * n * inner + (reverse ? n - 1 - j : j) * inner + i;
                    if (exclusive) {
                        if (floating) y.setDouble(at, accF);
                        else y.setLong(at, accI);
                    }
                    if (floating) accF = combine(accF, x.getDouble(at));
                    else accI = combine(accI, x.getLong(at));
                    if (!exclusive) {
                        if (floating) y.setDouble(at, accF);
                        else y.setLong(at, accI);
                    }
                }
            }
        }
        return List.of(y);
    }
}
