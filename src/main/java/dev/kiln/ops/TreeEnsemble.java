package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A tree ensemble (ai.onnx.ml TreeEnsemble, opset 5): each row of X [N, F] walks every tree from its root in
 * {@code tree_roots}; an interior node compares feature {@code nodes_featureids} with {@code nodes_splits} by
 * {@code nodes_modes} (0 <=, 1 <, 2 >=, 3 >, 4 ==, 5 !=, 6 member of the node's NaN-terminated run of
 * {@code membership_values}; NaN goes the true way where {@code nodes_missing_value_tracks_true}) and goes to the
 * true or false child, a node or (per {@code nodes_trueleafs} / {@code nodes_falseleafs}) a leaf. Leaf weights are
 * combined per target by {@code aggregate_function} (0 average, 1 sum, 2 min, 3 max), then {@code post_transform}
 * (0 none, 1 softmax, 2 logistic).
 */
public final class TreeEnsemble extends OpDef {
    public TreeEnsemble() {
        super("tree_ensemble", Signature.builder().input("X").output("Y")
                .requiredAttr("nodes_splits", AttrType.FLOATS).requiredAttr("nodes_featureids", AttrType.INTS).requiredAttr("nodes_modes", AttrType.INTS)
                .requiredAttr("nodes_truenodeids", AttrType.INTS).requiredAttr("nodes_falsenodeids", AttrType.INTS)
                .requiredAttr("nodes_trueleafs", AttrType.INTS).requiredAttr("nodes_falseleafs", AttrType.INTS)
                .requiredAttr("leaf_targetids", AttrType.INTS).requiredAttr("leaf_weights", AttrType.FLOATS).requiredAttr("tree_roots", AttrType.INTS)
                .requiredAttr("n_targets", AttrType.INT).attr("aggregate_function", AttrType.INT, 1L).attr("post_transform", AttrType.INT, 0L)
                .optionalAttr("nodes_missing_value_tracks_true", AttrType.INTS).optionalAttr("membership_values", AttrType.FLOATS).build());
    }

    @Override
    public String summary() { return "tree ensemble regression/classification scores (ai.onnx.ml)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        Shape x = cx.shape(0);
        Attrs a = cx.attrs();
        cx.check(x.rank() == 2, "X %s must be [N, features]", x);
        int nodes = a.getFloats("nodes_splits").length, leaves = a.getFloats("leaf_weights").length;
        for (String s : new String[] {"nodes_featureids", "nodes_modes", "nodes_truenodeids", "nodes_falsenodeids", "nodes_trueleafs", "nodes_falseleafs"})
            cx.check(a.getInts(s).length == nodes, "%s has %d entries, nodes_splits %d", s, a.getInts(s).length, nodes);
        cx.check(a.getInts("leaf_targetids").length == leaves, "leaf_targetids and leaf_weights differ in length");
        long targets = a.getInt("n_targets");
        cx.check(targets >= 1 && targets <= Integer.MAX_VALUE, "n_targets %d must be positive", targets);
        for (long t : a.getInts("leaf_targetids")) cx.check(t >= 0 && t < targets, "leaf target %d is outside 0..%d", t, targets - 1);
        long agg = a.getInt("aggregate_function"), post = a.getInt("post_transform");
        cx.check(agg >= 0 && agg <= 3, "aggregate_function %d is not 0 to 3", agg);
        cx.check(post >= 0 && post <= 2, "post_transform %d is not supported (0 none, 1 softmax, 2 logistic)", post);
        for (long f : a.getInts("nodes_featureids")) cx.check(f >= 0 && f < x.dim(1), "feature id %d is outside X's %d features", f, x.dim(1));
        return List.of(new TensorType(cx.dtype(0), Shape.of(x.dim(0), (int) targets)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        Attrs a = cx.attrs();
        double[] splits = a.getFloats("nodes_splits"), weights = a.getFloats("leaf_weights");
        long[] feat = a.getInts("nodes_featureids"), modes = a.getInts("nodes_modes"), tIds = a.getInts("nodes_truenodeids"), fIds = a.getInts("nodes_falsenodeids");
        long[] tLeaf = a.getInts("nodes_trueleafs"), fLeaf = a.getInts("nodes_falseleafs"), targets = a.getInts("leaf_targetids"), roots = a.getInts("tree_roots");
        long[] missing = a.getIntsOrNull("nodes_missing_value_tracks_true");
        List<Set<Double>> members = new ArrayList<>();
        double[] mv = a.getFloatsOrNull("membership_values");
        int mi = 0;
        for (long m : modes) {
            Set<Double> set = new HashSet<>();
            if (m == 6) {
                if (mv == null) throw new IllegalArgumentException("a set-membership node needs membership_values");
                while (mi < mv.length && !Double.isNaN(mv[mi])) set.add((double) (float) mv[mi++]);
                mi++;
            }
            members.add(set);
        }
        int n = x.shape().dim(0), f = x.shape().dim(1), nt = (int) a.getInt("n_targets");
        int agg = (int) a.getInt("aggregate_function");
        NdArray y = cx.newOutput(0);
        double[] acc = new double[nt];
        for (int r = 0; r < n; r++) {
            java.util.Arrays.fill(acc, agg == 2 ? Double.POSITIVE_INFINITY : agg == 3 ? Double.NEGATIVE_INFINITY : 0);
            boolean[] hit = new boolean[nt];
            for (long root : roots) {
                int node = (int) root;
                boolean leaf = tLeaf[node] != 0 && fLeaf[node] != 0 && tIds[node] == fIds[node];
                for (int steps = 0; !leaf; steps++) {
                    if (steps > splits.length) throw new IllegalArgumentException("tree from root " + root + " has a cycle");
                    double v = x.getDouble(r * f + (int) feat[node]);
                    double s = splits[node];
                    boolean go = switch ((int) modes[node]) {
                        case 0 -> v <= s;
                        case 1 -> v < s;
                        case 2 -> v >= s;
                        case 3 -> v > s;
                        case 4 -> v == s;
                        case 5 -> v != s;
                        case 6 -> members.get(node).contains(v);
                        default -> throw new IllegalArgumentException("node mode " + modes[node] + " is not 0 to 6");
                    };
                    if (!go && Double.isNaN(v) && missing != null && missing[node] != 0) go = true;
                    leaf = go ? tLeaf[node] != 0 : fLeaf[node] != 0;
                    node = (int) (go ? tIds[node] : fIds[node]);
                }
                int t = (int) targets[node];
                double w = weights[node];
                hit[t] = true;
                acc[t] = switch (agg) {
                    case 0 -> acc[t] + w / roots.length;
                    case 2 -> Math.min(acc[t], w);
                    case 3 -> Math.max(acc[t], w);
                    default -> acc[t] + w;
                };
            }
            for (int t = 0; t < nt; t++) if (!hit[t]) acc[t] = agg == 2 ? Float.MAX_VALUE : agg == 3 ? -Float.MAX_VALUE : 0;
            long post = a.getInt("post_transform");
            if (post == 1) {
                double mx = Double.NEGATIVE_INFINITY, sum = 0;
                for (double v : acc) mx = Math.max(mx, v);
                for (int t = 0; t < nt; t++) sum += acc[t] = Math.exp(acc[t] - mx);
                for (int t = 0; t < nt; t++) acc[t] /= sum;
            } else if (post == 2) {
                for (int t = 0; t < nt; t++) acc[t] = 1 / (1 + Math.exp(-acc[t]));
            }
            for (int t = 0; t < nt; t++) y.setDouble(r * nt + t, acc[t]);
        }
        return List.of(y);
    }
}
