package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * The int64 coordinates of the non-zero elements of {@code X}, one column per element in row-major order:
 * shape {@code [rank, count]}. The count is known only at run time; the static shape holds the bound
 * (the element count of {@code X}, or the optional {@code bound} attribute when smaller).
 */
public final class NonZero extends OpDef {
    public NonZero() {
        super("non_zero", Signature.builder().input("X").output("Y").optionalAttr("bound", AttrType.INT).build());
    }

    @Override
    public String summary() { return "coordinates of the non-zero elements (a bounded shape: count known at run time)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape s = cx.shape(0);
        return List.of(TensorType.of(DType.I64, s.rank(), Extents.bound(cx, s.numel())));
    }

    @Override
    public int boundedAxis(Node n, int output) { return 1; }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        Shape s = x.shape();
        int n = x.size(), r = s.rank(), count = 0;
        for (int i = 0; i < n; i++) if (x.getDouble(i) != 0) count++;
        NdArray y = NdArray.zeros(DType.I64, Shape.of(r, count));
        int[] st = s.strides();
        int c = 0;
        for (int i = 0; i < n; i++) {
            if (x.getDouble(i) == 0) continue;
            for (int k = 0; k < r; k++) y.setLong(k * count + c, (i / st[k]) % s.dim(k));
            c++;
        }
        return List.of(y);
    }
}
