"""Makes tests/models/bounded/range_runtime: Range nodes whose operands are graph inputs (run-time operands, so
their length is a run-time extent bounded with --bound), one int64 range gathering rows of a table and one float
ramp, with ONNX Runtime's outputs for two data sets (the second gives empty ranges).
Run: /work/venv/bin/python tests/tools/bounded_fixtures.py

With the argument `two_heads` it makes tests/models/bounded/two_heads instead: two small detection heads exported
with PyTorch, each ending in TopK with k a graph input (added with onnx.helper, as exporters emit them), whose best
boxes are gathered and concatenated along the run-time sized axis (as before NonMaxSuppression), then read by the
usual export patterns: Range(0, Gather(Shape(boxes), 0), 1), a Reshape merging [N, 4] into [4N] and one splitting
it into [2N, 2], a Slice [1:-1] that shortens the boxes, and NonMaxSuppression over the concatenated boxes and
scores (at most 4 kept); ONNX Runtime's outputs for three pairs of k."""
import os
import sys
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from detection_fixtures import record

try:
    import torch
except ImportError:  # why: only two_heads needs PyTorch
    torch = None

OUT = os.path.join(os.path.dirname(__file__), "..", "models", "bounded", "range_runtime")


def main():
    rng = np.random.default_rng(19)
    table = rng.standard_normal((64, 4)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Range", ["zero", "n", "one"], ["steps_out"], name="steps"),
         helper.make_node("Gather", ["table", "steps_out"], ["rows"], name="rows_gather", axis=0),
         helper.make_node("Range", ["start", "limit", "half"], ["ramp_out"], name="ramp")],
        "range_runtime",
        [helper.make_tensor_value_info("n", TensorProto.INT64, []),
         helper.make_tensor_value_info("start", TensorProto.FLOAT, []),
         helper.make_tensor_value_info("limit", TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("steps_out", TensorProto.INT64, [None]),
         helper.make_tensor_value_info("rows", TensorProto.FLOAT, [None, 4]),
         helper.make_tensor_value_info("ramp_out", TensorProto.FLOAT, [None])],
        [numpy_helper.from_array(np.array(0, np.int64), "zero"), numpy_helper.from_array(np.array(1, np.int64), "one"),
         numpy_helper.from_array(np.array(0.5, np.float32), "half"), numpy_helper.from_array(table, "table")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="kiln-bounded-fixture", ir_version=8)
    onnx.checker.check_model(m, full_check=True)
    os.makedirs(OUT, exist_ok=True)
    onnx.save(m, os.path.join(OUT, "model.onnx"))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(os.path.join(OUT, "model.onnx"), so, providers=["CPUExecutionProvider"])
    for d, (n, start, limit) in enumerate([(10, -1.0, 2.2), (0, 3.0, 1.0)]):
        ins = [("n", np.array(n, np.int64)), ("start", np.array(start, np.float32)), ("limit", np.array(limit, np.float32))]
        outs = sess.run(None, dict(ins))
        print(d, [o.shape for o in outs])
        ds = os.path.join(OUT, "test_data_set_%d" % d)
        os.makedirs(ds, exist_ok=True)
        for i, (name, a) in enumerate(ins):
            with open(os.path.join(ds, "input_%d.pb" % i), "wb") as f:
                f.write(numpy_helper.from_array(a, name).SerializeToString())
        for i, (name, o) in enumerate(zip(["steps_out", "rows", "ramp_out"], outs)):
            with open(os.path.join(ds, "output_%d.pb" % i), "wb") as f:
                f.write(numpy_helper.from_array(o, name).SerializeToString())


class Heads(torch.nn.Module if torch else object):
    """16x16 image -> head A: 32 boxes and scores (4x4 grid, 2 anchors), head B: 16 (2x2 grid, 4 anchors)."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.ReLU(),
                                        torch.nn.Conv2d(8, 8, 3, stride=2, padding=1), torch.nn.ReLU())
        self.down = torch.nn.Sequential(torch.nn.Conv2d(8, 8, 3, stride=2, padding=1), torch.nn.ReLU())
        self.loc_a, self.conf_a = torch.nn.Conv2d(8, 2 * 4, 1), torch.nn.Conv2d(8, 2, 1)
        self.loc_b, self.conf_b = torch.nn.Conv2d(8, 4 * 4, 1), torch.nn.Conv2d(8, 4, 1)

    def forward(self, x):
        f = self.body(x)
        g = self.down(f)
        boxes_a = torch.sigmoid(self.loc_a(f).permute(0, 2, 3, 1).reshape(32, 4))
        scores_a = torch.sigmoid(self.conf_a(f).permute(0, 2, 3, 1).reshape(1, 32))
        boxes_b = torch.sigmoid(self.loc_b(g).permute(0, 2, 3, 1).reshape(16, 4))
        scores_b = torch.sigmoid(self.conf_b(g).permute(0, 2, 3, 1).reshape(1, 16))
        return boxes_a, scores_a, boxes_b, scores_b


def two_heads():
    out = os.path.join(os.path.dirname(__file__), "..", "models", "bounded", "two_heads")
    torch.manual_seed(19)
    heads = Heads().eval()
    x = torch.rand(1, 3, 16, 16)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "heads.onnx")
    torch.onnx.export(heads, (x,), path, input_names=["image"], output_names=["boxes_a", "scores_a", "boxes_b", "scores_b"],
                      opset_version=13, dynamo=False)
    m = onnx.load(path)
    os.remove(path)
    g = m.graph
    del g.output[:]
    g.input.extend([helper.make_tensor_value_info("k_a", TensorProto.INT64, [1]),
                    helper.make_tensor_value_info("k_b", TensorProto.INT64, [1]),
                    helper.make_tensor_value_info("from", TensorProto.INT64, [1])])
    g.initializer.extend([numpy_helper.from_array(np.array([-1, 4], np.int64), "rows_of_4"),
                          numpy_helper.from_array(np.array(0, np.int64), "first"),
                          numpy_helper.from_array(np.array(0, np.int64), "zero"),
                          numpy_helper.from_array(np.array(1, np.int64), "one"),
                          numpy_helper.from_array(np.array([-1], np.int64), "flat_shape"),
                          numpy_helper.from_array(np.array([-1, 2], np.int64), "pair_shape"),
                          numpy_helper.from_array(np.array([1], np.int64), "inner_start"),
                          numpy_helper.from_array(np.array([-1], np.int64), "inner_end"),
                          numpy_helper.from_array(np.array([0], np.int64), "inner_axis"),
                          numpy_helper.from_array(np.array([1, -1, 4], np.int64), "batch_boxes"),
                          numpy_helper.from_array(np.array([1, 1, -1], np.int64), "batch_scores"),
                          numpy_helper.from_array(np.array([4], np.int64), "keep_most"),
                          numpy_helper.from_array(np.array([0.3], np.float32), "keep_iou"),
                          numpy_helper.from_array(np.array([0], np.int64), "lead_axis"),
                          numpy_helper.from_array(np.array([1], np.int64), "one_1d"),
                          numpy_helper.from_array(np.array([2, -1], np.int64), "two_rows"),
                          numpy_helper.from_array(np.array([2, -1, 2], np.int64), "two_rows_pairs"),
                          numpy_helper.from_array(np.array(3, np.int64), "three"),
                          numpy_helper.from_array(np.array(2, np.int64), "two"),
                          numpy_helper.from_array(np.array([-1], np.int64), "rest"),
                          numpy_helper.from_array(np.array([2], np.int64), "two_1d"),
                          numpy_helper.from_array(np.array([2, 2], np.int64), "two_by_two"),
                          numpy_helper.from_array(np.array([0.25], np.float32), "quarter"),
                          numpy_helper.from_array(np.array([0.5], np.float32), "half")])
    g.node.extend([
        helper.make_node("TopK", ["scores_a", "k_a"], ["top_a", "index_a"], name="best_a", axis=1),
        helper.make_node("TopK", ["scores_b", "k_b"], ["top_b", "index_b"], name="best_b", axis=1),
        helper.make_node("Gather", ["boxes_a", "index_a"], ["picked_a"], name="pick_a", axis=0),
        helper.make_node("Gather", ["boxes_b", "index_b"], ["picked_b"], name="pick_b", axis=0),
        helper.make_node("Reshape", ["picked_a", "rows_of_4"], ["rows_a"], name="rows_a"),
        helper.make_node("Reshape", ["picked_b", "rows_of_4"], ["rows_b"], name="rows_b"),
        helper.make_node("Concat", ["rows_a", "rows_b"], ["boxes"], name="boxes_cat", axis=0),
        helper.make_node("Concat", ["top_a", "top_b"], ["scores"], name="scores_cat", axis=1),
        helper.make_node("Shape", ["boxes"], ["boxes_shape"], name="boxes_shape"),
        helper.make_node("Gather", ["boxes_shape", "first"], ["count"], name="count", axis=0),
        helper.make_node("Range", ["zero", "count", "one"], ["order"], name="order"),
        helper.make_node("Reshape", ["boxes", "flat_shape"], ["flat"], name="flat"),
        helper.make_node("Reshape", ["flat", "pair_shape"], ["pairs"], name="pairs"),
        helper.make_node("Slice", ["boxes", "inner_start", "inner_end", "inner_axis"], ["inner"], name="inner"),
        helper.make_node("Reshape", ["boxes", "batch_boxes"], ["nms_boxes"], name="nms_boxes"),
        helper.make_node("Reshape", ["scores", "batch_scores"], ["nms_scores"], name="nms_scores"),
        helper.make_node("NonMaxSuppression", ["nms_boxes", "nms_scores", "keep_most", "keep_iou"], ["selected"], name="nms"),
        # [N, 4] stacked twice into [2, N, 4]: the run-time sized axis is not the leading one when merged and split
        helper.make_node("Unsqueeze", ["boxes", "lead_axis"], ["boxes_1"], name="boxes_1"),
        helper.make_node("Concat", ["boxes_1", "boxes_1"], ["stacked"], name="stacked", axis=0),
        helper.make_node("Reshape", ["stacked", "two_rows"], ["wide"], name="wide"),
        helper.make_node("Reshape", ["wide", "two_rows_pairs"], ["wide_pairs"], name="wide_pairs"),
        # boxes[from : N - 1] with `from` a graph input and the end computed from the run-time Shape
        helper.make_node("Slice", ["boxes_shape", "inner_axis", "one_1d"], ["count_1d"], name="count_1d"),
        helper.make_node("Sub", ["count_1d", "one_1d"], ["but_last"], name="but_last"),
        helper.make_node("Slice", ["boxes", "from", "but_last", "inner_axis"], ["tail"], name="tail"),
        # Range(0, (3N + 1) / 2 - 1, 1): its bound (71) derived through Mul, Add, Div and Sub
        helper.make_node("Mul", ["count", "three"], ["count_3"], name="count_3"),
        helper.make_node("Add", ["count_3", "one"], ["count_3_1"], name="count_3_1"),
        helper.make_node("Div", ["count_3_1", "two"], ["half_up"], name="half_up"),
        helper.make_node("Sub", ["half_up", "one"], ["ramp_limit"], name="ramp_limit"),
        helper.make_node("Range", ["zero", "ramp_limit", "one"], ["ramp3"], name="ramp3"),
        # Reshapes to shapes computed from the run-time Shape: x.view(x.size(0), -1) and [2, N, 4] -> [*shape[:2], 2, 2]
        helper.make_node("Unsqueeze", ["count", "lead_axis"], ["count_lead"], name="count_lead"),
        helper.make_node("Concat", ["count_lead", "rest"], ["view_shape"], name="view_shape", axis=0),
        helper.make_node("Reshape", ["boxes", "view_shape"], ["view"], name="view"),
        helper.make_node("Shape", ["stacked"], ["stacked_shape"], name="stacked_shape"),
        helper.make_node("Slice", ["stacked_shape", "inner_axis", "two_1d"], ["stacked_lead"], name="stacked_lead"),
        helper.make_node("Concat", ["stacked_lead", "two_by_two"], ["grid_shape"], name="grid_shape", axis=0),
        helper.make_node("Reshape", ["stacked", "grid_shape"], ["grid"], name="grid"),
        # NonZero of each head's scores above 0.5 + from / 4 (none, some, all), concatenated along the run-time sized axis 1
        helper.make_node("Cast", ["from"], ["from_f"], name="from_f", to=TensorProto.FLOAT),
        helper.make_node("Mul", ["from_f", "quarter"], ["from_q"], name="from_q"),
        helper.make_node("Add", ["from_q", "half"], ["threshold"], name="threshold"),
        helper.make_node("Greater", ["scores_a", "threshold"], ["high_a"], name="high_a"),
        helper.make_node("Greater", ["scores_b", "threshold"], ["high_b"], name="high_b"),
        helper.make_node("NonZero", ["high_a"], ["where_a"], name="where_a"),
        helper.make_node("NonZero", ["high_b"], ["where_b"], name="where_b"),
        helper.make_node("Concat", ["where_a", "where_b"], ["above"], name="above", axis=1),
        # head B's k_b highest and k_b lowest scores stacked along axis 0: extents of two TopK nodes, equal at run time
        helper.make_node("TopK", ["scores_b", "k_b"], ["low_b", "low_index_b"], name="worst_b", axis=1, largest=0),
        helper.make_node("Concat", ["top_b", "low_b"], ["extremes"], name="extremes", axis=0),
    ])
    g.output.extend([helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, None]),
                     helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [None, 4]),
                     helper.make_tensor_value_info("order", TensorProto.INT64, [None]),
                     helper.make_tensor_value_info("flat", TensorProto.FLOAT, [None]),
                     helper.make_tensor_value_info("pairs", TensorProto.FLOAT, [None, 2]),
                     helper.make_tensor_value_info("inner", TensorProto.FLOAT, [None, 4]),
                     helper.make_tensor_value_info("selected", TensorProto.INT64, [None, 3]),
                     helper.make_tensor_value_info("wide", TensorProto.FLOAT, [2, None]),
                     helper.make_tensor_value_info("wide_pairs", TensorProto.FLOAT, [2, None, 2]),
                     helper.make_tensor_value_info("tail", TensorProto.FLOAT, [None, 4]),
                     helper.make_tensor_value_info("ramp3", TensorProto.INT64, [None]),
                     helper.make_tensor_value_info("view", TensorProto.FLOAT, [None, 4]),
                     helper.make_tensor_value_info("grid", TensorProto.FLOAT, [2, None, 2, 2]),
                     helper.make_tensor_value_info("above", TensorProto.INT64, [2, None]),
                     helper.make_tensor_value_info("extremes", TensorProto.FLOAT, [2, None])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="kiln-bounded-fixture", ir_version=8)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(out, "model.onnx"))
    xs = x.numpy()
    record(out, [[("image", xs), ("k_a", np.array([ka], np.int64)), ("k_b", np.array([kb], np.int64)), ("from", np.array([f], np.int64))]
                 for ka, kb, f in [(5, 3, 2), (0, 1, 0), (32, 16, -5)]],
           ["scores", "boxes", "order", "flat", "pairs", "inner", "selected", "wide", "wide_pairs", "tail", "ramp3", "view", "grid", "above", "extremes"])

if __name__ == "__main__":
    if sys.argv[1:] == ["two_heads"]:
        two_heads()
    else:
        main()
