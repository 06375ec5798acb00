package dev.kiln.frontend.onnx;

import static dev.kiln.frontend.onnx.IndexMappings.in;
import static dev.kiln.frontend.onnx.IndexMappings.scalar;
import static dev.kiln.frontend.onnx.IndexMappings.step;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;

/**
 * ONNX mappings of the classic machine-learning ops of domain {@code ai.onnx.ml} (scikit-learn exports): one
 * method per op. Binarizer and ArrayFeatureExtractor are decomposed into registered ops; TreeEnsemble maps
 * to Kiln's tree_ensemble with its tensor attributes read as lists.
 */
public final class MlMappings {
    private MlMappings() {}

    /** The ONNX domain these mappings serve. */
    public static final String DOMAIN = "ai.onnx.ml";

    /** Binarizer: 1 where x > threshold, else 0, as ceil(clip(x - threshold, 0, 1)) (x - t is 0 only when x equals t). */
    public static void Binarizer(OnnxNode n) {
        Value x = in(n, 0, "X");
        if (!x.dtype().isFloat()) throw n.error("X must be a float tensor, got %s", x.dtype());
        Value d = step(n, Ops.SUB, List.of(x, scalar(n, x.dtype(), n.attrFloat("threshold", 0.0), "threshold")), Attrs.EMPTY, "excess");
        Value c = step(n, Ops.CLIP, List.of(d), Attrs.of("min", 0.0, "max", 1.0), "clipped");
        n.emit(Ops.CEIL, List.of(c), Attrs.EMPTY);
    }

    /** ArrayFeatureExtractor: a gather along the last axis with the indices flattened; 1-D data gives one row. */
    public static void ArrayFeatureExtractor(OnnxNode n) {
        Value x = in(n, 0, "X"), idx = in(n, 1, "Y");
        long count = idx.shape().numel();
        Value flat = idx.shape().rank() == 1 ? idx : step(n, Ops.RESHAPE, List.of(idx), Attrs.of("shape", new long[] {count}), "flat_indices");
        if (x.shape().rank() == 1) {
            Value g = step(n, Ops.GATHER, List.of(x, flat), Attrs.of("axis", -1L), "gathered");
            n.emit(Ops.RESHAPE, List.of(g), Attrs.of("shape", new long[] {1, count}));
        } else {
            n.emit(Ops.GATHER, List.of(x, flat), Attrs.of("axis", -1L));
        }
    }

    /** A list attribute given as a tensor (opset 5 of ai.onnx.ml) or as a FLOATS/INTS list: long[] or double[], null when absent. */
    private static Object tensorOrList(OnnxNode n, String name, boolean integer) {
        if (!n.hasAttr(name)) return null;
        double[] f = n.attrFloats(name);
        long[] l = n.attrInts(name);
        if ((f == null || f.length == 0) && (l == null || l.length == 0)) {
            NdArray t = n.attrTensor(name);
            if (t == null) return null;
            return integer ? t.toLongArray() : t.toDoubleArray();
        }
        if (integer) return l;
        return f;
    }

    /** TreeEnsemble (ai.onnx.ml opset 5): attributes one to one, tensor-valued ones read as lists. */
    public static void TreeEnsemble(OnnxNode n) {
        Attrs a = n.attrs("nodes_featureids", "nodes_truenodeids", "nodes_falsenodeids", "nodes_trueleafs", "nodes_falseleafs",
                "leaf_targetids", "tree_roots", "n_targets", "aggregate_function", "post_transform");
        a = a.with("nodes_splits", tensorOrList(n, "nodes_splits", false)).with("leaf_weights", tensorOrList(n, "leaf_weights", false))
                .with("nodes_modes", tensorOrList(n, "nodes_modes", true))
                .with("nodes_missing_value_tracks_true", tensorOrList(n, "nodes_missing_value_tracks_true", true))
                .with("membership_values", tensorOrList(n, "membership_values", false));
        n.emit(Ops.TREE_ENSEMBLE, List.of(in(n, 0, "X")), a);
    }

    /** LabelEncoder on numbers (opsets 2 to 4): keys and values from the *_floats, *_int64s or *_tensor attributes. */
    public static void LabelEncoder(OnnxNode n) {
        if (n.hasAttr("keys_strings") || n.hasAttr("values_strings") || n.hasAttr("default_string"))
            throw n.error("string keys or values are not supported: Kiln has no string tensors (numbers only)");
        double[] keys = n.hasAttr("keys_floats") ? n.attrFloats("keys_floats") : n.hasAttr("keys_int64s") ? toDoubles(n.attrInts("keys_int64s"))
                : n.hasAttr("keys_tensor") ? n.attrTensor("keys_tensor").toDoubleArray() : null;
        double[] values;
        String dtype;
        double dflt;
        if (n.hasAttr("values_floats")) {
            values = n.attrFloats("values_floats");
            dtype = "f32";
            dflt = n.attrFloat("default_float", -0.0);
        } else if (n.hasAttr("values_int64s")) {
            values = toDoubles(n.attrInts("values_int64s"));
            dtype = "i64";
            dflt = n.attrInt("default_int64", -1);
        } else if (n.hasAttr("values_tensor")) {
            NdArray v = n.attrTensor("values_tensor");
            values = v.toDoubleArray();
            dtype = v.dtype().shortName();
            NdArray d = n.attrTensor("default_tensor");
            dflt = d == null ? (v.dtype().isFloat() ? -0.0 : -1) : d.getDouble(0);
        } else {
            throw n.error("no values_floats, values_int64s or values_tensor");
        }
        if (keys == null) throw n.error("no keys_floats, keys_int64s or keys_tensor");
        n.emit(Ops.LABEL_ENCODER, List.of(in(n, 0, "X")), Attrs.of("keys", keys, "values", values, "default", dflt, "dtype", dtype));
    }

    private static double[] toDoubles(long[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = v[i];
        return r;
    }
}
