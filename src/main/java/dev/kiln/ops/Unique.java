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
 * The distinct slices of {@code X} along {@code axis} (distinct elements of the flattened {@code X} without
 * {@code axis}), sorted ascending ({@code sorted} = 1, default) or in order of first appearance, with the int64
 * index of each one's first appearance, the position of every input slice in the output ({@code inverse_indices})
 * and how often each appears. How many are distinct is known only at run time: the static shapes of Y, indices
 * and counts hold the bound (the axis's length, or the optional {@code bound}).
 */
public final class Unique extends OpDef {
    public Unique() {
        super("unique", Signature.builder().input("X").output("Y").optionalOutput("indices", "inverse_indices", "counts")
                .optionalAttr("axis", AttrType.INT).attr("sorted", AttrType.INT, 1L).optionalAttr("bound", AttrType.INT).build());
    }

    @Override
    public String summary() { return "distinct slices, sorted or in first-seen order, with indices and counts (a bounded shape)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape s = cx.shape(0);
        int[] d;
        int n;
        if (cx.attrs().has("axis")) {
            int a = AxisRun.check(cx, s, cx.attrs().getInt("axis"));
            d = s.dims();
            n = d[a];
            d[a] = Extents.bound(cx, n);
        } else {
            cx.check(s.numel() <= Integer.MAX_VALUE, "input %s is too large", s);
            n = (int) s.numel();
            d = new int[] {Extents.bound(cx, n)};
        }
        int b = Extents.bound(cx, n);
        List<TensorType> r = new ArrayList<>(List.of(new TensorType(cx.dtype(0), Shape.of(d)), TensorType.of(DType.I64, b),
                TensorType.of(DType.I64, n), TensorType.of(DType.I64, b)));
        return r.subList(0, cx.numOutputs());
    }

    @Override
    public int boundedAxis(Node n, int output) {
        if (output == 2) return -1;
        return output == 0 && n.attrs().has("axis") ? n.input(0).shape().axis(n.attrs().getInt("axis")) : 0;
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        Shape s = cx.attrs().has("axis") ? x.shape() : Shape.of(x.size());
        int a = cx.attrs().has("axis") ? s.axis(cx.attrs().getInt("axis")) : 0;
        int outer = s.prod(0, a), n = s.dim(a), inner = s.prod(a + 1, s.rank());
        boolean floating = x.dtype().isFloat();
        // slice i: elements (o * n + i) * inner + e for every o, e; compared lexicographically in that order
        java.util.Comparator<Integer> bySlice = (p, q) -> {
            for (int o = 0; o < outer; o++) {
                for (int e = 0; e < inner; e++) {
                    int i = (o * n + p) * inner + e, j = (o * n + q) * inner + e;
                    int c = floating ? Double.compare(x.getDouble(i) + 0.0, x.getDouble(j) + 0.0) : x.dtype().compare(x.getLong(i), x.getLong(j));
                    if (c != 0) return c;
                }
            }
            return 0;
        };
        List<Integer> firsts = new ArrayList<>();
        int[] inverseFirst = new int[n];
        java.util.TreeMap<Integer, Integer> seen = new java.util.TreeMap<>(bySlice);
        for (int i = 0; i < n; i++) {
            Integer found = seen.get(i);
            if (found == null) {
                found = firsts.size();
                firsts.add(i);
                seen.put(i, found);
            }
            inverseFirst[i] = found;
        }
        List<Integer> order = new ArrayList<>(firsts);
        if (cx.attrs().getInt("sorted") != 0) order.sort(bySlice);
        int u = order.size();
        int[] rank = new int[u];
        for (int k = 0; k < u; k++) rank[seen.get(order.get(k))] = k;
        int[] d = s.dims();
        d[a] = u;
        NdArray y = NdArray.zeros(x.dtype(), Shape.of(d));
        NdArray idx = NdArray.zeros(DType.I64, Shape.of(u)), inv = NdArray.zeros(DType.I64, Shape.of(n)), counts = NdArray.zeros(DType.I64, Shape.of(u));
        for (int k = 0; k < u; k++) {
            for (int o = 0; o < outer; o++) DataMovement.copy(x, (o * n + order.get(k)) * inner, y, (o * u + k) * inner, inner);
            idx.setLong(k, order.get(k));
        }
        for (int i = 0; i < n; i++) {
            int k = rank[inverseFirst[i]];
            inv.setLong(i, k);
            counts.setLong(k, counts.getLong(k) + 1);
        }
        return List.of(y, idx, inv, counts).subList(0, cx.numOutputs());
    }
}
