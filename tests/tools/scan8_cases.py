"""Makes tests/onnx-node/test_kiln_scan8_* : ONNX Scan opset 8 (batch axis, sequence_lens, directions) beyond the one
upstream case (test_scan_sum: batch 1, no sequence_lens). sequence_lens is an initializer (Kiln needs it at compile
time). Outputs are ONNX Runtime 1.30's (CPU, one thread).

Usage: /work/venv/bin/python tests/tools/scan8_cases.py tests/onnx-node
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/onnx-node"
rng = np.random.default_rng(8)


def body():
    # state s[2]; slices a[2], b[2]: s' = s + a * b, scanned out: s' * 2 and a - b
    nodes = [helper.make_node("Mul", ["a", "b"], ["ab"]), helper.make_node("Add", ["s", "ab"], ["s2"]),
             helper.make_node("Add", ["s2", "s2"], ["y"]), helper.make_node("Sub", ["a", "b"], ["d"])]
    f = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, (2,))
    return helper.make_graph(nodes, "body", [f("s"), f("a"), f("b")], [f("s2"), f("y"), f("d")])


def case(name, batch, seq, lens, directions):
    feeds = {"s0": rng.standard_normal((batch, 2)).astype(np.float32),
             "xa": rng.standard_normal((batch, seq, 2)).astype(np.float32),
             "xb": rng.standard_normal((batch, seq, 2)).astype(np.float32)}
    inits = []
    first = ""
    if lens is not None:
        inits.append(numpy_helper.from_array(np.array(lens, dtype=np.int64), "lens"))
        first = "lens"
    node = helper.make_node("Scan", [first, "s0", "xa", "xb"], ["s", "y", "d"], body=body(), num_scan_inputs=2, directions=directions)
    vi = lambda n, s: helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
    g = helper.make_graph([node], name, [vi("s0", (batch, 2)), vi("xa", (batch, seq, 2)), vi("xb", (batch, seq, 2))],
                          [vi("s", (batch, 2)), vi("y", (batch, seq, 2)), vi("d", (batch, seq, 2))], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 8)], producer_name="kiln tests/tools/scan8_cases.py")
    m.ir_version = 7
    onnx.checker.check_model(m)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    res = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"]).run(None, feeds)
    m.doc_string = "outputs from onnxruntime " + ort.__version__
    d = os.path.join(OUT, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, k in enumerate(["s0", "xa", "xb"]):
        onnx.save_tensor(numpy_helper.from_array(feeds[k], k), os.path.join(d, "test_data_set_0", "input_%d.pb" % i))
    for i, (k, v) in enumerate(zip(["s", "y", "d"], res)):
        onnx.save_tensor(numpy_helper.from_array(v, k), os.path.join(d, "test_data_set_0", "output_%d.pb" % i))
    print(name, [r.shape for r in res])
    return res


case("test_kiln_scan8_batch_lens", 2, 4, [3, 1], [0, 1])
case("test_kiln_scan8_batch3_reverse", 3, 3, None, [1, 1])
