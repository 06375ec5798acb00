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
 * Greedy non-maximum suppression per batch and class: boxes {@code [B, N, 4]} ({@code [y1, x1, y2, x2]} corners
 * in either order, or {@code [xc, yc, w, h]} with {@code center_point_box} = 1), scores {@code [B, C, N]}. Boxes
 * scoring above {@code score_threshold} are taken best first (equal scores by lower index) unless their IoU with
 * a box already taken exceeds {@code iou_threshold}, at most {@code max_output_boxes_per_class} per class (0 or
 * absent: none). Output: {@code [count, 3]} int64 rows (batch, class, box). The count is known only at run time:
 * the static shape holds the bound B × C × min(N, max_output_boxes_per_class when constant), or {@code bound}.
 * Boxes and scores may themselves have a run-time count of candidates N (attribute {@code bounded}: boxes, scores
 * 1 when so, written by the importer): only that many are candidates.
 */
public final class NonMaxSuppression extends OpDef {
    public NonMaxSuppression() {
        super("non_max_suppression", Signature.builder().input("boxes", "scores")
                .optionalInput("max_output_boxes_per_class", "iou_threshold", "score_threshold").output("selected_indices")
                .attr("center_point_box", AttrType.INT, 0L).optionalAttr("bound", AttrType.INT).optionalAttr("bounded", AttrType.INTS).build());
    }

    @Override
    public String summary() { return "greedy non-maximum suppression of boxes per batch and class (a bounded shape)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape b = cx.shape(0), s = cx.shape(1);
        cx.checkFloat(0);
        cx.check(b.rank() == 3 && b.dim(2) == 4, "boxes must be [batches, boxes, 4], got %s", b);
        cx.check(s.rank() == 3 && s.dim(0) == b.dim(0) && s.dim(2) == b.dim(1), "scores must be [%d, classes, %d], got %s", b.dim(0), b.dim(1), s);
        long per = b.dim(1);
        NdArray m = cx.constant(2);
        if (m != null) {
            cx.check(m.size() == 1, "max_output_boxes_per_class must hold one value");
            per = Math.max(0, Math.min(per, m.getLong(0)));
        } else if (!cx.has(2)) per = 0;
        return List.of(TensorType.of(DType.I64, Extents.bound(cx, per * s.dim(0) * s.dim(1)), 3));
    }

    @Override
    public int boundedAxis(Node n, int output) { return 0; }

    /** Boxes bounded on their box axis 1, scores on theirs (2): the candidates are the first extent ones. */
    @Override
    public int[] carriesExtent(Node n, int input, int axis) { return (input == 0 && axis == 1) || (input == 1 && axis == 2) ? new int[] {-1} : null; }

    @Override
    public boolean readsExtent(Node n, int input) { return input < 2; }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray boxes = cx.input(0), scores = cx.input(1);
        long most = cx.has(2) ? cx.input(2).getLong(0) : 0;
        double iou = cx.has(3) ? cx.input(3).getFloat(0) : 0, least = cx.has(4) ? cx.input(4).getFloat(0) : Double.NEGATIVE_INFINITY;
        boolean center = cx.attrs().getInt("center_point_box") != 0;
        int batches = boxes.shape().dim(0), n = boxes.shape().dim(1), classes = scores.shape().dim(1);
        if (scores.shape().dim(2) != n)
            throw new IllegalArgumentException("boxes hold " + n + " candidates but scores " + scores.shape().dim(2));
        List<long[]> picked = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            for (int c = 0; c < classes; c++) {
                int sb = (b * classes + c) * n;
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < n; i++) if (scores.getFloat(sb + i) > least) order.add(i);
                // a stable sort keeps equal scores in index order
                order.sort((p, q) -> Float.compare(scores.getFloat(sb + q), scores.getFloat(sb + p)));
                List<Integer> kept = new ArrayList<>();
                for (int i : order) {
                    if (kept.size() >= most) break;
                    boolean suppressed = false;
                    for (int k : kept) if (overlaps(boxes, (b * n + i) * 4, (b * n + k) * 4, center, iou)) suppressed = true;
                    if (suppressed) continue;
                    kept.add(i);
                    picked.add(new long[] {b, c, i});
                }
            }
        }
        NdArray y = NdArray.zeros(DType.I64, Shape.of(picked.size(), 3));
        for (int r = 0; r < picked.size(); r++) for (int k = 0; k < 3; k++) y.setLong(r * 3 + k, picked.get(r)[k]);
        return List.of(y);
    }

    /** True when the boxes at {@code p} and {@code q} overlap with an IoU above {@code threshold}. */
    private static boolean overlaps(NdArray a, int p, int q, boolean center, double threshold) {
        float[] u = corners(a, p, center), v = corners(a, q, center);
        float areaU = (u[2] - u[0]) * (u[3] - u[1]), areaV = (v[2] - v[0]) * (v[3] - v[1]);
        if (areaU <= 0 || areaV <= 0) return false;
        float ih = Math.min(u[2], v[2]) - Math.max(u[0], v[0]), iw = Math.min(u[3], v[3]) - Math.max(u[1], v[1]);
        if (ih <= 0 || iw <= 0) return false;
        float inter = ih * iw;
        return inter / (areaU + areaV - inter) > threshold;
    }

    /** A box as {@code [ymin, xmin, ymax, xmax]}. */
    private static float[] corners(NdArray a, int at, boolean center) {
        float p = a.getFloat(at), q = a.getFloat(at + 1), r = a.getFloat(at + 2), s = a.getFloat(at + 3);
        if (center) return new float[] {q - s / 2, p - r / 2, q + s / 2, p + r / 2};
        return new float[] {Math.min(p, r), Math.min(q, s), Math.max(p, r), Math.max(q, s)};
    }
}
