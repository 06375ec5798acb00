package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code k} largest ({@code largest} = 1, default) or smallest elements along {@code axis} (default -1) and
 * their int64 indices, in sorted order (best first); equal values keep their index order (the lower index
 * first), and NaN counts as larger than every number. {@code sorted} = 0 allows any order; Kiln sorts anyway.
 *
 * <p>{@code k} is either the attribute (an exact output shape) or, when the optional int64 input {@code K} is given,
 * a value known only at run time: the output's axis is then bounded (see {@link Extents}) by the input's axis length,
 * or the optional {@code bound} attribute when smaller, and its run-time extent is {@code K}'s value.
 */
public final class TopK extends OpDef {
    public TopK() {
        super("top_k", Signature.builder().input("X").optionalInput("K").output("Values", "Indices").optionalAttr("k", AttrType.INT)
                .optionalAttr("bound", AttrType.INT).attr("axis", AttrType.INT, -1L).attr("largest", AttrType.INT, 1L).attr("sorted", AttrType.INT, 1L).build());
    }

    @Override
    public String summary() { return "k largest or smallest values along an axis and their int64 indices, sorted"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.check(cx.dtype(0) != DType.BOOL, "does not take bool tensors");
        Shape s = cx.shape(0);
        int a = AxisRun.check(cx, s, cx.attrs().getInt("axis"));
        int[] d = s.dims().clone();
        if (runTimeK(cx)) {
            cx.check(!cx.attrs().has("k"), "takes k either as the attribute or as input K, not both");
            cx.check(cx.dtype(1) == DType.I64 && cx.shape(1).numel() == 1, "K must be one int64 value, got %s", cx.input(1));
            d[a] = Extents.bound(cx, s.dim(a));
        } else {
            cx.check(cx.attrs().has("k"), "needs k: the attribute, or input K");
            long k = cx.attrs().getInt("k");
            cx.check(k >= 0 && k <= s.dim(a), "k = %d must be between 0 and the axis's dimension %d", k, s.dim(a));
            d[a] = (int) k;
        }
        return List.of(new TensorType(cx.dtype(0), Shape.of(d)), new TensorType(DType.I64, Shape.of(d)));
    }

    private static boolean runTimeK(InferContext cx) { return cx.has(1); }

    /** With input K, the outputs' axis is bounded: its extent is K's value, known at run time. */
    @Override
    public int boundedAxis(Node n, int output) {
        return n.numInputs() > 1 && n.input(1) != null ? n.input(0).shape().axis(n.attrs().getInt("axis")) : -1;
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        Shape s = x.shape();
        int k;
        if (cx.has(1)) {
            long kk = cx.input(1).getLong(0);
            int len = s.dim(s.axis(cx.attrs().getInt("axis")));
            if (kk < 0 || kk > len)
                throw new IllegalArgumentException("K = " + kk + " must be between 0 and the axis's dimension " + len);
            k = (int) kk;
        } else k = (int) cx.attrs().getInt("k");
        int[] od = s.dims().clone();
        od[s.axis(cx.attrs().getInt("axis"))] = k;
        NdArray values = NdArray.zeros(x.dtype(), Shape.of(od)), indices = NdArray.zeros(DType.I64, Shape.of(od));
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
