package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * The Indices output of ONNX's MaxPool: for each window of a {@code max_pool} with the same attributes, the
 * flat int64 position in X (over all of N, C and the spatial axes) of its first maximum; with
 * {@code storage_order} 1 the spatial part of the position counts column-major.
 */
public final class MaxPoolIndices extends OpDef {
    public MaxPoolIndices() {
        super("max_pool_indices", Pooling.poolAttrs(Signature.builder().input("X").output("Indices"))
                .attr("storage_order", AttrType.INT, 0L).build());
    }

    @Override
    public String summary() { return "positions of max_pool's maxima (MaxPool's Indices output)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, DType.F32, DType.F16, DType.F64, DType.I8, DType.U8);
        long so = cx.attrs().getInt("storage_order");
        cx.check(so == 0 || so == 1, "storage_order must be 0 or 1, got %d", so);
        return List.of(Pooling.infer(cx).get(0).withDType(DType.I64));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray xa = cx.input(0);
        ConvGeometry g = Pooling.geometry(cx.attrs(), xa.shape());
        Pooling p = new Pooling(g);
        boolean colMajor = cx.attrs().getInt("storage_order") == 1;
        double[] x = xa.toDoubleArray();
        NdArray y = cx.newOutput(0);
        int planes = xa.shape().dim(0) * xa.shape().dim(1), inSize = g.inSize(), outSize = g.outSize(), r = g.rank();
        for (int c = 0; c < planes; c++) {
            int base = c * inSize;
            for (int j = 0; j < outSize; j++) {
                double m = Double.NEGATIVE_INFINITY;
                int at = -1;
                for (int q = p.start[j]; q < p.start[j + 1]; q++) {
                    double v = x[base + p.offsets[q]];
                    if (at < 0 || v > m) {
                        m = v;
                        at = p.offsets[q];
                    }
                }
                if (colMajor && at >= 0) {
                    int cm = 0, rem = at, mul = 1;
                    int[] coord = new int[r];
                    for (int i = r - 1; i >= 0; i--) { coord[i] = rem % g.in[i]; rem /= g.in[i]; }
                    for (int i = 0; i < r; i++) { cm += coord[i] * mul; mul *= g.in[i]; }
                    at = cm;
                }
                y.setLong(c * outSize + j, at < 0 ? -1 : base + at);
            }
        }
        return List.of(y);
    }
}
