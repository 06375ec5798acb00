package dev.kiln.kernels;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The geometry of the ai.onnx.ml kernels written once in {@code templates/kernels/ml.stg}. Their tables are
 * attributes, so they are compiled into code: a tree ensemble becomes nested if/else per tree, a label encoder a
 * chain of compares, with every split, weight, key and value a literal.
 */
public final class MlKernels {
    private MlKernels() {}

    /** Generated tree nodes beyond which a tree ensemble is refused (trees that share subtrees repeat them). */
    private static final int MAX_NODES = 200_000;

    /** One node of a tree: a split on one feature, or a leaf adding {@link #weight} to {@link #target}. */
    public static final class TreeNode {
        public final boolean leaf;
        /** The split: feature, C comparison operator ({@code <=} ...) and split value, or the member values. */
        public final long feature;
        public final String op, split;
        public final List<String> members;
        /** Whether a NaN feature takes the true branch. */
        public final boolean missing;
        public final TreeNode yes, no;
        /** The leaf's target and weight (divided by the tree count when averaging). */
        public final long target;
        public final String weight;

        TreeNode(long target, String weight) {
            this.leaf = true;
            this.target = target;
            this.weight = weight;
            feature = 0;
            op = split = null;
            members = List.of();
            missing = false;
            yes = no = null;
        }

        TreeNode(long feature, String op, String split, List<String> members, boolean missing, TreeNode yes, TreeNode no) {
            this.leaf = false;
            this.feature = feature;
            this.op = op;
            this.split = split;
            this.members = members;
            this.missing = missing;
            this.yes = yes;
            this.no = no;
            target = 0;
            weight = null;
        }
    }

    /** tree_ensemble: one parallel iteration per row of X, each walking every tree. */
    public static final class Ensemble {
        public final long features, targets;
        public final List<TreeNode> trees = new ArrayList<>();
        /** The aggregate's template ({@code te_sum}, {@code te_min}, {@code te_max}), start value and value of a target no leaf hit. */
        public final String combine, start, unhit;
        public final boolean softmax, logistic;
        private final DType t;
        private final Attrs a;
        private final double[] splits, weights;
        private final long[] feat, modes, tIds, fIds, tLeaf, fLeaf, leafTargets, missing;
        private final List<List<String>> memberLists = new ArrayList<>();
        private final double divide;
        private int generated;

        Ensemble(KernelModel k, Node n) {
            a = n.attrs();
            t = k.ftype.equals("double") ? DType.F64 : DType.F32;
            features = n.input(0).shape().dim(1);
            targets = a.getInt("n_targets");
            splits = a.getFloats("nodes_splits");
            weights = a.getFloats("leaf_weights");
            feat = a.getInts("nodes_featureids");
            modes = a.getInts("nodes_modes");
            tIds = a.getInts("nodes_truenodeids");
            fIds = a.getInts("nodes_falsenodeids");
            tLeaf = a.getInts("nodes_trueleafs");
            fLeaf = a.getInts("nodes_falseleafs");
            leafTargets = a.getInts("leaf_targetids");
            missing = a.getIntsOrNull("nodes_missing_value_tracks_true");
            double[] mv = a.getFloatsOrNull("membership_values");
            int mi = 0;
            for (long mode : modes) {
                List<String> set = new ArrayList<>();
                if (mode == 6) {
                    if (mv == null) throw new Unsupported("a set-membership node needs membership_values");
                    while (mi < mv.length && !Double.isNaN(mv[mi])) set.add(ScalarTypes.literal(t, (float) mv[mi++]));
                    mi++;
                }
                memberLists.add(set);
            }
            long[] roots = a.getInts("tree_roots");
            int agg = (int) a.getInt("aggregate_function");
            divide = agg == 0 ? roots.length : 1;
            combine = agg == 2 ? "te_min" : agg == 3 ? "te_max" : "te_sum";
            start = agg == 2 ? ScalarTypes.literal(t, Double.POSITIVE_INFINITY) : agg == 3 ? ScalarTypes.literal(t, Double.NEGATIVE_INFINITY) : k.zero;
            unhit = agg == 2 ? ScalarTypes.literal(t, Float.MAX_VALUE) : agg == 3 ? ScalarTypes.literal(t, -Float.MAX_VALUE) : k.zero;
            long post = a.getInt("post_transform");
            softmax = post == 1;
            logistic = post == 2;
            for (long root : roots) {
                int r = (int) root;
                boolean leaf = tLeaf[r] != 0 && fLeaf[r] != 0 && tIds[r] == fIds[r];
                trees.add(build(r, leaf, 0));
            }
        }

        private TreeNode build(int node, boolean leaf, int depth) {
            // why: a cycle would recurse forever, and a tree sharing subtrees could blow up the code
            if (depth > splits.length || ++generated > MAX_NODES)
                throw new Unsupported("the tree ensemble has a cycle or more than " + MAX_NODES + " nodes once its shared subtrees are unfolded");
            if (leaf) return new TreeNode(leafTargets[node], ScalarTypes.literal(t, weights[node] / divide));
            int mode = (int) modes[node];
            String op = switch (mode) {
                case 0 -> "<=";
                case 1 -> "<";
                case 2 -> ">=";
                case 3 -> ">";
                case 4 -> "==";
                case 5 -> "!=";
                case 6 -> null;
                default -> throw new Unsupported("node mode " + mode + " is not 0 to 6");
            };
            boolean miss = missing != null && missing[node] != 0;
            return new TreeNode(feat[node], op, ScalarTypes.literal(t, splits[node]), Collections.unmodifiableList(memberLists.get(node)), miss,
                    build((int) tIds[node], tLeaf[node] != 0, depth + 1), build((int) fIds[node], fLeaf[node] != 0, depth + 1));
        }
    }

    /** tree_ensemble: one parallel iteration per row. */
    public static Object treeEnsemble(KernelModel k, Node n, Strategy t) {
        Ensemble m = new Ensemble(k, n);
        k.parallel = n.input(0).shape().dim(0);
        return m;
    }

    /** One key and its value as literals (key in X's type, value in Y's). */
    public static final class Entry {
        public final String key, value;

        Entry(String key, String value) {
            this.key = key;
            this.value = value;
        }
    }

    /** label_encoder: the entries in reverse order (the first of duplicate keys is applied last, so it wins) and the default. */
    public static final class Encoder {
        public final List<Entry> entries = new ArrayList<>();
        public final String dflt;

        Encoder(Node n) {
            DType in = n.input(0).dtype(), out = n.output(0).dtype();
            double[] keys = n.attrs().getFloats("keys"), values = n.attrs().getFloats("values");
            for (int i = keys.length - 1; i >= 0; i--)
                entries.add(new Entry(ScalarTypes.literal(in, keys[i]), ScalarTypes.literal(out, values[i])));
            dflt = ScalarTypes.literal(out, n.attrs().getFloat("default"));
        }
    }

    /** label_encoder: one parallel iteration per element. */
    public static Object labelEncoder(KernelModel k, Node n, Strategy t) { return new Encoder(n); }
}
