"""Makes tests/models/detection/ssd_head_nms: a small SSD/BlazeFace-style detection head exported with PyTorch, ending
in TopK (pre-NMS candidates) and NonMaxSuppression (added with onnx.helper, as exporters emit them), with ONNX
Runtime's outputs on a fixed input. Run: /work/venv/bin/python tests/tools/detection_fixtures.py

With the argument `topk_k` it makes tests/models/detection/ssd_head_topk_k instead: the same head whose TopK takes
k from a graph input (a run-time k), the best k boxes gathered and their top-left corners sliced, with ORT's
outputs for two values of k."""
import os
import sys
import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), "..", "models", "detection", "ssd_head_nms")
torch.manual_seed(7)
np.random.seed(7)


class Head(torch.nn.Module):
    """32x32 image -> 8x8 grid, 2 anchors per cell: 128 boxes (cx, cy, w, h decoded to corners) and 128 scores."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.ReLU(),
            torch.nn.Conv2d(8, 16, 3, stride=2, padding=1), torch.nn.ReLU())
        self.loc = torch.nn.Conv2d(16, 2 * 4, 1)
        self.conf = torch.nn.Conv2d(16, 2, 1)
        ys, xs = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij")
        centers = torch.stack([(xs + 0.5) / 8, (ys + 0.5) / 8], -1).reshape(64, 1, 2).expand(64, 2, 2).reshape(128, 2)
        sizes = torch.tensor([[0.2, 0.2], [0.35, 0.35]]).repeat(64, 1)
        self.register_buffer("anchors", torch.cat([centers, sizes], 1))

    def forward(self, x):
        f = self.body(x)
        loc = self.loc(f).permute(0, 2, 3, 1).reshape(1, 128, 4)
        conf = torch.sigmoid(self.conf(f).permute(0, 2, 3, 1).reshape(1, 128))
        cxcy = self.anchors[:, :2] + 0.1 * loc[..., :2] * self.anchors[:, 2:]
        wh = self.anchors[:, 2:] * torch.exp(0.2 * loc[..., 2:])
        boxes = torch.cat([cxcy[..., 1:2] - wh[..., 1:2] / 2, cxcy[..., 0:1] - wh[..., 0:1] / 2,
                           cxcy[..., 1:2] + wh[..., 1:2] / 2, cxcy[..., 0:1] + wh[..., 0:1] / 2], -1)
        return boxes, conf


def main():
    os.makedirs(os.path.join(OUT, "test_data_set_0"), exist_ok=True)
    head = Head().eval()
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        scores = head(x)[1].numpy().ravel()
    # a score threshold that keeps about half of the 32 candidates, so NMS has work and a non-empty answer
    min_score = float(np.sort(scores)[::-1][16])
    path = os.path.join(OUT, "head.onnx")
    torch.onnx.export(head, (x,), path, input_names=["image"], output_names=["boxes", "scores"], opset_version=13, dynamo=False)
    m = onnx.load(path)
    os.remove(path)
    g = m.graph
    del g.output[:]
    init = [numpy_helper.from_array(np.array([32], np.int64), "k"),
            numpy_helper.from_array(np.array([16], np.int64), "max_per_class"),
            numpy_helper.from_array(np.array([0.45], np.float32), "iou"),
            numpy_helper.from_array(np.array([min_score], np.float32), "min_score"),
            numpy_helper.from_array(np.array([2], np.int64), "box_column"),
            numpy_helper.from_array(np.array([32, 4], np.int64), "shape_boxes"),
            numpy_helper.from_array(np.array([0], np.int64), "axis_0"),
            numpy_helper.from_array(np.array([1], np.int64), "axis_1")]
    g.initializer.extend(init)
    g.node.extend([
        helper.make_node("TopK", ["scores", "k"], ["top_scores", "top_index"], name="pre_nms_topk", axis=1),
        helper.make_node("Squeeze", ["top_index", "axis_0"], ["top_index_1d"], name="top_squeeze"),
        helper.make_node("Gather", ["boxes", "top_index_1d"], ["top_boxes"], name="top_boxes_gather", axis=1),
        helper.make_node("Unsqueeze", ["top_scores", "axis_1"], ["top_scores_3d"], name="scores_unsqueeze"),
        helper.make_node("NonMaxSuppression", ["top_boxes", "top_scores_3d", "max_per_class", "iou", "min_score"],
                         ["selected"], name="nms"),
        helper.make_node("Gather", ["selected", "box_column"], ["kept"], name="kept_column", axis=1),
        helper.make_node("Reshape", ["top_boxes", "shape_boxes"], ["top_boxes_2d"], name="boxes_2d"),
        helper.make_node("Gather", ["top_boxes_2d", "kept"], ["detections"], name="detections_gather", axis=0),
    ])
    g.output.extend([helper.make_tensor_value_info("selected", TensorProto.INT64, [None, 3]),
                     helper.make_tensor_value_info("detections", TensorProto.FLOAT, [None, 1, 4])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="kiln-detection-fixture", ir_version=8)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(OUT, "model.onnx"))
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    xs = x.numpy()
    outs = ort.InferenceSession(os.path.join(OUT, "model.onnx"), so, providers=["CPUExecutionProvider"]).run(None, {"image": xs})
    print("selected", outs[0].shape, "detections", outs[1].shape)
    with open(os.path.join(OUT, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(xs, "image").SerializeToString())
    for i, (name, o) in enumerate(zip(["selected", "detections"], outs)):
        with open(os.path.join(OUT, "test_data_set_0", "output_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(o, name).SerializeToString())


def run_time_k():
    out = os.path.join(os.path.dirname(__file__), "..", "models", "detection", "ssd_head_topk_k")
    torch.manual_seed(11)
    head = Head().eval()
    x = torch.rand(1, 3, 32, 32)
    path = os.path.join(out, "head.onnx")
    os.makedirs(out, exist_ok=True)
    torch.onnx.export(head, (x,), path, input_names=["image"], output_names=["boxes", "scores"], opset_version=13, dynamo=False)
    m = onnx.load(path)
    os.remove(path)
    g = m.graph
    del g.output[:]
    g.input.append(helper.make_tensor_value_info("k", TensorProto.INT64, [1]))
    g.initializer.extend([numpy_helper.from_array(np.array([128, 4], np.int64), "shape_boxes"),
                          numpy_helper.from_array(np.array([0], np.int64), "corner_start"),
                          numpy_helper.from_array(np.array([2], np.int64), "corner_end"),
                          numpy_helper.from_array(np.array([2], np.int64), "corner_axis")])
    g.node.extend([
        helper.make_node("TopK", ["scores", "k"], ["top_scores", "top_index"], name="best_k", axis=1),
        helper.make_node("Reshape", ["boxes", "shape_boxes"], ["boxes_2d"], name="boxes_2d"),
        helper.make_node("Gather", ["boxes_2d", "top_index"], ["detections"], name="detections_gather", axis=0),
        helper.make_node("Slice", ["detections", "corner_start", "corner_end", "corner_axis"], ["corners"], name="corners"),
    ])
    g.output.extend([helper.make_tensor_value_info("top_scores", TensorProto.FLOAT, [1, None]),
                     helper.make_tensor_value_info("detections", TensorProto.FLOAT, [1, None, 4]),
                     helper.make_tensor_value_info("corners", TensorProto.FLOAT, [1, None, 2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="kiln-detection-fixture", ir_version=8)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(out, "model.onnx"))
    ks = [np.array([k], np.int64) for k in (5, 12)]
    record(out, [[("image", x.numpy()), ("k", k)] for k in ks], ["top_scores", "detections", "corners"])

def record(out, data_sets, output_names):
    """Runs out/model.onnx in ONNX Runtime (one thread) on each data set, a list of (input name, array), and writes
    out/test_data_set_<d>/input_<i>.pb and output_<i>.pb (outputs named by output_names)."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(os.path.join(out, "model.onnx"), so, providers=["CPUExecutionProvider"])
    for d, ins in enumerate(data_sets):
        outs = sess.run(None, dict(ins))
        print([int(a[0]) for name, a in ins[1:]], [o.shape for o in outs])
        ds = os.path.join(out, "test_data_set_%d" % d)
        os.makedirs(ds, exist_ok=True)
        for i, (name, a) in enumerate(ins):
            with open(os.path.join(ds, "input_%d.pb" % i), "wb") as f:
                f.write(numpy_helper.from_array(a, name).SerializeToString())
        for i, (name, o) in enumerate(zip(output_names, outs)):
            with open(os.path.join(ds, "output_%d.pb" % i), "wb") as f:
                f.write(numpy_helper.from_array(o, name).SerializeToString())


if __name__ == "__main__":
    if sys.argv[1:] == ["topk_k"]:
        run_time_k()
    else:
        main()
