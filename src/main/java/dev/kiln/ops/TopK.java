package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code k} largest ({@code largest} = 1, default) or smallest elements along {@code axis} (default -1) and
 * their int64 indices, in sorted order (best first); equal values keep their index order (the lower index
 * first), and NaN counts as larger than every number. {@code sorted} = 0 allows any order; Kiln sorts anyway.
 */
public final class TopK extends OpDef {
    public TopK() {
        super("top_k", Signature.builder().input("X").output("Values", "Indices").requiredAttr("k", AttrType.INT)
                .attr("axis", AttrType.INT, -1L).attr("largest", AttrType.INT, 1L).attr("sorted", AttrType.INT, 1L).build());
    }

    @Override
    public String summary() { return "k largest or smallest values along an axis and their int64 indices, sorted"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.check(cx.dtype(0) != DType.BOOL, "does not take bool tensors");
        Shape s = cx.shape(0);
        long axis = cx.attrs().getInt("axis"), k = cx.attrs().getInt("k");
        int a = AxisRun.check(cx, s, axis);
        cx.check(k >= 0 && k <= s.dim(a), "k = %d must be between 0 and the axis's dimension %d", k, s.dim(a));
        int[] d = s.dims().clone();
        d[a] = (int) k;
        return List.of(new TensorType(cx.dtype(0), Shape.of(d)), new TensorType(DType.I64, Shape.of(d)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray values = cx.newOutput(0), indices = cx.newOutput(1);
        Shape s = x.shape();
        int k = (int) cx.attrs().getInt("k");
        boolean largest = cx.attrs().getInt("largest") != 0, floating = x.dtype().isFloat();
        AxisRun run = AxisRun.of(s, cx.attrs().getInt("axis"));
        int outer = run.outer(), n = run.n(), inner = run.inner();
        List<Integer> order = new ArrayList<>(n);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                order.clear();
                for (int j = 0; j < n; j++) order.add(j);
                // a stable sort keeps equal values in index order
                order.sort((p, q) -> {
                    int c = floating ? Double.compare(x.getDouble(base + p * inner), x.getDouble(base + q * inner))
                            : x.dtype().compare(x.getLong(base + p * inner), x.getLong(base + q * inner));
                    if (floating && x.getDouble(base + p * inner) == x.getDouble(base + q * inner)) c = 0;
                    return largest ? -c : c;
                });
                for (int j = 0; j < k; j++) {
                    int from = base + order.get(j) * inner, to = o * k * inner + j * inner + i;
                    if (floating) values.setDouble(to, x.getDouble(from));
                    else values.setLong(to, x.getLong(from));
                    indices.setLong(to, order.get(j));
                }
            }
        }
        return List.of(values, indices);
    }
}
