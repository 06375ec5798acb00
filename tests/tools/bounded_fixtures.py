"""Makes tests/models/bounded/range_runtime: Range nodes whose operands are graph inputs (run-time operands, so
their length is a run-time extent bounded with --bound), one int64 range gathering rows of a table and one float
ramp, with ONNX Runtime's outputs for two data sets (the second gives empty ranges).
Run: /work/venv/bin/python tests/tools/bounded_fixtures.py"""
import os
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

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


if __name__ == "__main__":
    main()
