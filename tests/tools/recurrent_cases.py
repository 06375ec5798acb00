"""Makes tests/onnx-node/test_kiln_{lstm,gru,rnn}_* : ONNX RNN/GRU/LSTM nodes covering the attributes the upstream
node cases leave out (clip, input_forget, parametrised activations, linear_before_reset, layout 1 with states,
sequence_lens in both directions, every optional output). W, R, B and P are initializers (constants), so the C
backend's packed weights are exercised. Outputs are ONNX Runtime 1.30's (CPU, one thread); ONNX Runtime refuses
layout 1, so those cases run its layout-0 twin on transposed data (each model's doc string says which).

Usage: /work/venv/bin/python tests/tools/recurrent_cases.py tests/onnx-node
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/onnx-node"
rng = np.random.default_rng(17)


def case(name, op, attrs, seq, batch, inp, hidden, dirs, inputs, outputs, scale=0.5):
    """inputs: subset of B, sequence_lens, initial_h, initial_c, P; outputs: names or '' for unused."""
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}[op]
    layout = attrs.get("layout", 0)
    xs = (seq, batch, inp) if layout == 0 else (batch, seq, inp)
    st = (dirs, batch, hidden) if layout == 0 else (batch, dirs, hidden)
    feeds = {"X": rng.standard_normal(xs).astype(np.float32)}
    inits = [numpy_helper.from_array((rng.standard_normal((dirs, gates * hidden, inp)) * scale).astype(np.float32), "W"),
             numpy_helper.from_array((rng.standard_normal((dirs, gates * hidden, hidden)) * scale).astype(np.float32), "R")]
    names = ["X", "W", "R"]
    graph_inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, xs)]
    order = ["B", "sequence_lens", "initial_h", "initial_c", "P"]
    for k in order:
        if k not in inputs:
            names.append("")
            continue
        names.append(k)
        if k == "B":
            inits.append(numpy_helper.from_array((rng.standard_normal((dirs, 2 * gates * hidden)) * scale).astype(np.float32), "B"))
        elif k == "P":
            inits.append(numpy_helper.from_array((rng.standard_normal((dirs, 3 * hidden)) * scale).astype(np.float32), "P"))
        elif k == "sequence_lens":
            feeds[k] = inputs[k].astype(np.int32)
            graph_inputs.append(helper.make_tensor_value_info(k, TensorProto.INT32, (batch,)))
        else:
            feeds[k] = rng.standard_normal(st).astype(np.float32)
            graph_inputs.append(helper.make_tensor_value_info(k, TensorProto.FLOAT, st))
    while names and names[-1] == "":
        names.pop()
    ys = (seq, dirs, batch, hidden) if layout == 0 else (batch, seq, dirs, hidden)
    shapes = {"Y": ys, "Y_h": st, "Y_c": st}
    node = helper.make_node(op, names, outputs, hidden_size=hidden, **attrs)
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, shapes[o]) for o in outputs if o]
    g = helper.make_graph([node], name, graph_inputs, outs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 22)], producer_name="kiln tests/tools/recurrent_cases.py")
    m.ir_version = 10  # ONNX Runtime 1.30 reads IR versions up to 13
    onnx.checker.check_model(m)
    res = run_ort(m, feeds, layout, outputs)
    src = "onnxruntime" if layout == 0 else "onnxruntime on the layout-0 twin (inputs and outputs transposed): ORT has no layout 1"
    m.doc_string = "outputs from " + src
    d = os.path.join(OUT, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, gi in enumerate(graph_inputs):
        onnx.save_tensor(numpy_helper.from_array(feeds[gi.name], gi.name), os.path.join(d, "test_data_set_0", "input_%d.pb" % i))
    for i, (o, r) in enumerate(zip([o for o in outputs if o], res)):
        onnx.save_tensor(numpy_helper.from_array(np.asarray(r, dtype=np.float32), o), os.path.join(d, "test_data_set_0", "output_%d.pb" % i))
    print(name, src)


def run_ort(m, feeds, layout, outputs):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    if layout == 1:  # the same node with layout 0 on transposed data
        m = onnx.ModelProto.FromString(m.SerializeToString())
        node = m.graph.node[0]
        for a in node.attribute:
            if a.name == "layout":
                a.i = 0
        for vi in list(m.graph.input) + list(m.graph.output):
            dims = vi.type.tensor_type.shape.dim
            if len(dims) == 3:
                dims[0].dim_value, dims[1].dim_value = dims[1].dim_value, dims[0].dim_value
            elif len(dims) == 4:  # [b, s, d, h] -> [s, d, b, h]
                b, s_, d, h = [x.dim_value for x in dims]
                for x, v in zip(dims, (s_, d, b, h)):
                    x.dim_value = v
        feeds = {k: (v.transpose(1, 0, 2) if v.ndim == 3 else v) for k, v in feeds.items()}
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    res = sess.run(None, feeds)
    if layout == 1:
        res = [r.transpose(2, 0, 1, 3) if r.ndim == 4 else r.transpose(1, 0, 2) for r in res]
    return res


lens2 = np.array([5, 2, 0 + 3])
case("test_kiln_lstm_bidirectional_all", "LSTM", dict(direction="bidirectional", clip=1.5), 5, 3, 4, 3, 2,
     {"B": 1, "sequence_lens": lens2, "initial_h": 1, "initial_c": 1, "P": 1}, ["Y", "Y_h", "Y_c"], scale=1.0)
case("test_kiln_lstm_input_forget_activations", "LSTM",
     dict(input_forget=1, activations=["HardSigmoid", "ScaledTanh", "Affine", "HardSigmoid", "Softsign", "Elu"],
          activation_alpha=[0.3, 0.8, 0.9, 0.25, 0.7], activation_beta=[0.45, 1.2, 0.1, 0.55], direction="bidirectional"),
     4, 2, 3, 5, 2, {"B": 1, "initial_h": 1, "initial_c": 1, "P": 1}, ["Y", "Y_h", "Y_c"])
case("test_kiln_lstm_layout1_states", "LSTM", dict(layout=1, direction="reverse"), 4, 2, 3, 4, 1,
     {"B": 1, "sequence_lens": np.array([2, 4]), "initial_h": 1, "initial_c": 1}, ["Y", "Y_h", "Y_c"])
case("test_kiln_gru_linear_before_reset", "GRU", dict(linear_before_reset=1, direction="bidirectional", clip=2.0), 5, 3, 3, 4, 2,
     {"B": 1, "sequence_lens": np.array([5, 1, 3]), "initial_h": 1}, ["Y", "Y_h"], scale=1.0)
case("test_kiln_gru_activations", "GRU",
     dict(activations=["HardSigmoid", "Softsign"], activation_alpha=[0.3], activation_beta=[0.6], direction="reverse"),
     4, 2, 3, 4, 1, {"B": 1, "initial_h": 1}, ["Y", "Y_h"])
case("test_kiln_gru_layout1", "GRU", dict(layout=1), 3, 2, 3, 4, 1, {"B": 1, "initial_h": 1}, ["Y", "Y_h"])
case("test_kiln_rnn_activations", "RNN",
     dict(activations=["Relu", "LeakyRelu"], activation_alpha=[0.2], direction="bidirectional", clip=2.5), 4, 3, 3, 4, 2,
     {"B": 1, "sequence_lens": np.array([4, 3, 1]), "initial_h": 1}, ["Y", "Y_h"])
case("test_kiln_rnn_thresholded_softplus", "RNN",
     dict(activations=["ThresholdedRelu", "Softplus"], activation_alpha=[0.1], direction="bidirectional"), 3, 2, 3, 4, 2,
     {"B": 1}, ["Y", "Y_h"])
case("test_kiln_rnn_layout1_sigmoid", "RNN", dict(layout=1, activations=["Sigmoid"]), 3, 2, 3, 4, 1,
     {"B": 1, "sequence_lens": np.array([3, 2]), "initial_h": 1}, ["Y", "Y_h"])
