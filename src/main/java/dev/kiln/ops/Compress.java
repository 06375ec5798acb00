package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * The slices of {@code input} along {@code axis} whose entry in the 1-D bool {@code condition} is true (a
 * shorter condition leaves the rest out); without {@code axis} the input is flattened first. How many slices
 * is known only at run time: the static shape holds the bound (the axis's length, or the optional {@code bound}).
 */
public final class Compress extends OpDef {
    public Compress() {
        super("compress", Signature.builder().input("input", "condition").output("output")
                .optionalAttr("axis", AttrType.INT).optionalAttr("bound", AttrType.INT).build());
    }

    @Override
    public String summary() { return "slices along an axis where a bool condition holds (a bounded shape)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(1, DType.BOOL);
        cx.check(cx.shape(1).rank() == 1, "condition must be 1-D, got %s", cx.shape(1));
        Shape s = cx.shape(0);
        if (!cx.attrs().has("axis")) return List.of(new TensorType(cx.dtype(0), Shape.of(Extents.bound(cx, Math.min(s.numel(), cx.shape(1).dim(0))))));
        int a = AxisRun.check(cx, s, cx.attrs().getInt("axis"));
        int[] d = s.dims();
        d[a] = Extents.bound(cx, Math.min(d[a], cx.shape(1).dim(0)));
        return List.of(new TensorType(cx.dtype(0), Shape.of(d)));
    }

    @Override
    public int boundedAxis(Node n, int output) {
        return n.attrs().has("axis") ? n.input(0).shape().axis(n.attrs().getInt("axis")) : 0;
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), c = cx.input(1);
        Shape s = x.shape();
        boolean flat = !cx.attrs().has("axis");
        int a = flat ? 0 : s.axis(cx.attrs().getInt("axis"));
        if (flat) s = Shape.of(x.size());
        int outer = s.prod(0, a), n = s.dim(a), inner = s.prod(a + 1, s.rank()), m = Math.min(n, c.size()), kept = 0;
        for (int i = 0; i < m; i++) if (c.getLong(i) != 0) kept++;
        int[] d = s.dims();
        d[a] = kept;
        NdArray y = NdArray.zeros(x.dtype(), Shape.of(d));
        for (int o = 0; o < outer; o++) {
            int j = 0;
            for (int i = 0; i < m; i++) {
                if (c.getLong(i) == 0) continue;
                DataMovement.copy(x, (o * n + i) * inner, y, (o * kept + j) * inner, inner);
                j++;
            }
        }
        return List.of(y);
    }
}
