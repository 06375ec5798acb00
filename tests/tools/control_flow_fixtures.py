"""Builds the control-flow test models of issue 17 under tests/models/control_flow/ with ONNX Runtime's outputs.

Run: /work/venv/bin/python tests/tools/control_flow_fixtures.py  (onnx 1.23.1, onnxruntime 1.30, numpy; torch for
vad_lstm_if's weights). One model alone: python -c "import control_flow_fixtures as f; f.vad_lstm_if()" in tests/tools.
Each model is hand-built with onnx.helper (fixed seeds, so the files are reproducible) and written in ONNX's
backend-test layout: model.onnx and test_data_set_0/input_<i>.pb, output_<i>.pb.
"""
import os
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "control_flow")
F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def init(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def save(name, graph, inputs, opset=17):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="kiln-fixtures")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    d = os.path.join(ROOT, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    feed = {i.name: v for i, v in zip(s.get_inputs(), inputs)}
    outs = s.run(None, feed)
    for i, (vi, v) in enumerate(zip(graph.input, inputs)):
        onnx.save_tensor(numpy_helper.from_array(v, vi.name), os.path.join(d, "test_data_set_0", "input_%d.pb" % i))
    for i, (vo, v) in enumerate(zip(graph.output, outs)):
        onnx.save_tensor(numpy_helper.from_array(v, vo.name), os.path.join(d, "test_data_set_0", "output_%d.pb" % i))


def loop_time_steps(rng):
    """A tanh RNN cell run by a Loop over 8 time steps: final state and every step's state (a scan output)."""
    T, N, H = 8, 4, 6
    body = helper.make_graph([
        helper.make_node("Identity", ["cond_in"], ["cond_out"], name="keep_going"),
        helper.make_node("Gather", ["x", "t"], ["x_t"], name="step_input", axis=0),
        helper.make_node("MatMul", ["x_t", "W"], ["xw"], name="input_proj"),
        helper.make_node("MatMul", ["h_in", "U"], ["hu"], name="state_proj"),
        helper.make_node("Add", ["xw", "hu"], ["pre0"], name="add_proj"),
        helper.make_node("Add", ["pre0", "b"], ["pre"], name="add_bias"),
        helper.make_node("Tanh", ["pre"], ["h_out"], name="cell"),
        helper.make_node("Identity", ["h_out"], ["h_scan"], name="record"),
    ], "step", [helper.make_tensor_value_info("t", I64, []), helper.make_tensor_value_info("cond_in", B, []),
                helper.make_tensor_value_info("h_in", F, [1, H])],
        [helper.make_tensor_value_info("cond_out", B, []), helper.make_tensor_value_info("h_out", F, [1, H]),
         helper.make_tensor_value_info("h_scan", F, [1, H])])
    g = helper.make_graph([
        helper.make_node("Loop", ["steps", "", "h0"], ["h_last", "h_all"], name="over_time", body=body),
    ], "loop_time_steps", [helper.make_tensor_value_info("x", F, [T, 1, N]), helper.make_tensor_value_info("h0", F, [1, H])],
        [helper.make_tensor_value_info("h_last", F, [1, H]), helper.make_tensor_value_info("h_all", F, [T, 1, H])],
        [init("steps", np.array(T, np.int64)), init("W", rng.standard_normal((N, H)).astype(np.float32) * 0.5),
         init("U", rng.standard_normal((H, H)).astype(np.float32) * 0.5), init("b", rng.standard_normal((H,)).astype(np.float32) * 0.1)])
    save("loop_time_steps", g, [rng.standard_normal((T, 1, N)).astype(np.float32), rng.standard_normal((1, H)).astype(np.float32) * 0.1])


def scan_smoothing(rng):
    """A Scan with two scan inputs (one walked backwards along axis 1): an exponential moving average and a gated output."""
    L, C = 10, 3
    body = helper.make_graph([
        helper.make_node("Mul", ["s_in", "decay"], ["kept"], name="decay_state"),
        helper.make_node("Mul", ["x_t", "gain"], ["fresh"], name="scale_input"),
        helper.make_node("Add", ["kept", "fresh"], ["s_out"], name="update"),
        helper.make_node("Mul", ["s_out", "g_t"], ["gated"], name="gate"),
        helper.make_node("Relu", ["gated"], ["y_t"], name="rectify"),
    ], "ema", [helper.make_tensor_value_info("s_in", F, [C]), helper.make_tensor_value_info("x_t", F, [C]),
               helper.make_tensor_value_info("g_t", F, [C])],
        [helper.make_tensor_value_info("s_out", F, [C]), helper.make_tensor_value_info("y_t", F, [C])])
    g = helper.make_graph([
        helper.make_node("Scan", ["s0", "x", "g"], ["s_last", "y"], name="smooth", body=body, num_scan_inputs=2,
                         scan_input_axes=[0, 1], scan_input_directions=[0, 1], scan_output_axes=[0], scan_output_directions=[0]),
    ], "scan_smoothing", [helper.make_tensor_value_info("s0", F, [C]), helper.make_tensor_value_info("x", F, [L, C]),
                          helper.make_tensor_value_info("g", F, [C, L])],
        [helper.make_tensor_value_info("s_last", F, [C]), helper.make_tensor_value_info("y", F, [L, C])],
        [init("decay", np.full((C,), 0.8, np.float32)), init("gain", np.full((C,), 0.2, np.float32))])
    save("scan_smoothing", g, [np.zeros((C,), np.float32), rng.standard_normal((L, C)).astype(np.float32),
                               rng.standard_normal((C, L)).astype(np.float32)], opset=16)


def if_runtime(rng):
    """An If on a run-time flag: a two-layer MLP in one branch, a single small product in the other (branches of very different sizes)."""
    N, Hd, O = 8, 64, 4
    big = helper.make_graph([
        helper.make_node("MatMul", ["x", "W1"], ["h1"], name="fc1"),
        helper.make_node("Relu", ["h1"], ["a1"], name="act1"),
        helper.make_node("MatMul", ["a1", "W2"], ["y_big"], name="fc2"),
    ], "mlp", [], [helper.make_tensor_value_info("y_big", F, [1, O])])
    small = helper.make_graph([
        helper.make_node("MatMul", ["x", "W3"], ["y_small"], name="linear"),
    ], "linear", [], [helper.make_tensor_value_info("y_small", F, [1, O])])
    g = helper.make_graph([
        helper.make_node("If", ["use_mlp"], ["y"], name="choose", then_branch=big, else_branch=small),
    ], "if_runtime", [helper.make_tensor_value_info("use_mlp", B, []), helper.make_tensor_value_info("x", F, [1, N])],
        [helper.make_tensor_value_info("y", F, [1, O])],
        [init("W1", rng.standard_normal((N, Hd)).astype(np.float32) * 0.3), init("W2", rng.standard_normal((Hd, O)).astype(np.float32) * 0.3),
         init("W3", rng.standard_normal((N, O)).astype(np.float32) * 0.3)])
    x = rng.standard_normal((1, N)).astype(np.float32)
    save("if_runtime", g, [np.array(True), x])
    save("if_runtime_else", g, [np.array(False), x])


def vad_if_state(rng):
    """A streaming VAD-like model: state in, state out, and a recurrent cell chosen by an If on the sample rate (16 kHz or 8 kHz weights).

    The real model's cell is an LSTM (issue 17's LSTM work); this one uses a tanh cell built from ops Kiln has, so the
    If / state machinery is tested on its own.
    """
    N, H = 16, 8

    def branch(name, tag):
        return helper.make_graph([
            helper.make_node("MatMul", ["x", "Wx_" + tag], ["xw_" + tag], name="in_" + tag),
            helper.make_node("MatMul", ["state", "Wh_" + tag], ["hw_" + tag], name="rec_" + tag),
            helper.make_node("Add", ["xw_" + tag, "hw_" + tag], ["pre_" + tag], name="sum_" + tag),
            helper.make_node("Tanh", ["pre_" + tag], ["state_" + tag], name="cell_" + tag),
            helper.make_node("MatMul", ["state_" + tag, "V_" + tag], ["logit_" + tag], name="head_" + tag),
            helper.make_node("Sigmoid", ["logit_" + tag], ["prob_" + tag], name="prob_" + tag),
        ], name, [], [helper.make_tensor_value_info("prob_" + tag, F, [1, 1]), helper.make_tensor_value_info("state_" + tag, F, [1, H])])

    inits = [init("sr16k", np.array([16000], np.int64))]
    for tag in ("16k", "8k"):
        inits += [init("Wx_" + tag, rng.standard_normal((N, H)).astype(np.float32) * 0.4),
                  init("Wh_" + tag, rng.standard_normal((H, H)).astype(np.float32) * 0.4),
                  init("V_" + tag, rng.standard_normal((H, 1)).astype(np.float32) * 0.4)]
    g = helper.make_graph([
        helper.make_node("Equal", ["sr", "sr16k"], ["is16k_1"], name="is_16k"),
        helper.make_node("Squeeze", ["is16k_1"], ["is16k"], name="scalar_flag"),
        helper.make_node("If", ["is16k"], ["prob", "state_out"], name="by_rate", then_branch=branch("rate16k", "16k"),
                         else_branch=branch("rate8k", "8k")),
    ], "vad_if_state", [helper.make_tensor_value_info("x", F, [1, N]), helper.make_tensor_value_info("sr", I64, [1]),
                        helper.make_tensor_value_info("state", F, [1, H])],
        [helper.make_tensor_value_info("prob", F, [1, 1]), helper.make_tensor_value_info("state_out", F, [1, H])], inits)
    save("vad_if_state", g, [rng.standard_normal((1, N)).astype(np.float32), np.array([8000], np.int64),
                             rng.standard_normal((1, H)).astype(np.float32) * 0.2])


def vad_lstm_if():
    """Issue 17's motivating case: a streaming VAD whose LSTM runs inside an If on the sample rate, state in and out.

    Each branch (16 kHz, 8 kHz) holds its own torch.nn.LSTM (weights from PyTorch's initialisation, seed 17,
    re-ordered from PyTorch's gates i, f, g, o to ONNX's i, o, f, c) and a linear + sigmoid head over the last h;
    the branches read x, h and c from the outer graph. Two test sets: 16 kHz and 8 kHz.
    """
    import torch
    torch.manual_seed(17)
    T, NF, H = 8, 10, 16

    def onnx_gates(w):
        i, f, g, o = np.split(w, 4, axis=0)
        return np.concatenate([i, o, f, g], axis=0)

    inits_by = {}
    for tag in ("16k", "8k"):
        lstm, head = torch.nn.LSTM(NF, H), torch.nn.Linear(H, 1)
        sd = {k: v.detach().numpy().astype(np.float32) for k, v in lstm.state_dict().items()}
        inits_by[tag] = [init("W_" + tag, onnx_gates(sd["weight_ih_l0"])[None]), init("R_" + tag, onnx_gates(sd["weight_hh_l0"])[None]),
                         init("B_" + tag, np.concatenate([onnx_gates(sd["bias_ih_l0"]), onnx_gates(sd["bias_hh_l0"])])[None]),
                         init("V_" + tag, head.weight.detach().numpy().T.copy()), init("v_" + tag, head.bias.detach().numpy().copy()),
                         init("perm_" + tag, np.array([1], np.int64))]

    def branch(tag):
        return helper.make_graph([
            helper.make_node("Transpose", ["x"], ["xt_" + tag], name="time_major_" + tag, perm=[1, 0, 2]),
            helper.make_node("LSTM", ["xt_" + tag, "W_" + tag, "R_" + tag, "B_" + tag, "", "h", "c"], ["y_" + tag, "h_" + tag, "c_" + tag],
                             name="lstm_" + tag, hidden_size=H),
            helper.make_node("Squeeze", ["h_" + tag, "perm_" + tag], ["last_" + tag], name="last_" + tag),
            helper.make_node("MatMul", ["last_" + tag, "V_" + tag], ["logit0_" + tag], name="head_" + tag),
            helper.make_node("Add", ["logit0_" + tag, "v_" + tag], ["logit_" + tag], name="head_bias_" + tag),
            helper.make_node("Sigmoid", ["logit_" + tag], ["prob_" + tag], name="prob_" + tag),
        ], "rate" + tag, [], [helper.make_tensor_value_info("prob_" + tag, F, [1, 1]), helper.make_tensor_value_info("h_" + tag, F, [1, 1, H]),
                              helper.make_tensor_value_info("c_" + tag, F, [1, 1, H])], inits_by[tag])

    g = helper.make_graph([
        helper.make_node("Equal", ["sr", "sr16k"], ["is16k_1"], name="is_16k"),
        helper.make_node("Squeeze", ["is16k_1"], ["is16k"], name="scalar_flag"),
        helper.make_node("If", ["is16k"], ["prob", "h_out", "c_out"], name="by_rate", then_branch=branch("16k"), else_branch=branch("8k")),
    ], "vad_lstm_if", [helper.make_tensor_value_info("x", F, [1, T, NF]), helper.make_tensor_value_info("sr", I64, [1]),
                       helper.make_tensor_value_info("h", F, [1, 1, H]), helper.make_tensor_value_info("c", F, [1, 1, H])],
        [helper.make_tensor_value_info("prob", F, [1, 1]), helper.make_tensor_value_info("h_out", F, [1, 1, H]),
         helper.make_tensor_value_info("c_out", F, [1, 1, H])], [init("sr16k", np.array([16000], np.int64))])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="kiln-fixtures")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    d = os.path.join(ROOT, "vad_lstm_if")
    os.makedirs(d, exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(17)
    for k, rate in enumerate((16000, 8000)):
        feeds = [rng.standard_normal((1, T, NF)).astype(np.float32), np.array([rate], np.int64),
                 (rng.standard_normal((1, 1, H)) * 0.3).astype(np.float32), (rng.standard_normal((1, 1, H)) * 0.3).astype(np.float32)]
        outs = s.run(None, {i.name: v for i, v in zip(s.get_inputs(), feeds)})
        sd = os.path.join(d, "test_data_set_%d" % k)
        os.makedirs(sd, exist_ok=True)
        for i, (vi, v) in enumerate(zip(g.input, feeds)):
            onnx.save_tensor(numpy_helper.from_array(v, vi.name), os.path.join(sd, "input_%d.pb" % i))
        for i, (vo, v) in enumerate(zip(g.output, outs)):
            onnx.save_tensor(numpy_helper.from_array(v, vo.name), os.path.join(sd, "output_%d.pb" % i))


if __name__ == "__main__":
    rng = np.random.default_rng(17)
    loop_time_steps(rng)
    scan_smoothing(rng)
    if_runtime(rng)
    vad_if_state(rng)
    vad_lstm_if()
