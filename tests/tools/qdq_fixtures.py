#!/usr/bin/env python3
"""Makes Kiln's int8 QDQ fixtures with ONNX Runtime (run by hand; tests never run Python).

  qdq_fixtures.py ort SRC_MODELS OUT      ORT quantize_static (QDQ, int8, per tensor and per channel) of the float
                                          models in SRC_MODELS (ONNX test folders), calibrated on 4 inputs
  qdq_fixtures.py ort-folded SRC OUT     the same after ONNX Runtime's basic graph optimizations (batch norms folded
                                          into the convolutions, shape arithmetic folded), as most authors quantize
  qdq_fixtures.py exact64 CASE...        the exact QDQ meaning in float64: each case's QDQ graph with every float
                                          tensor (weights, scales, input, constants) widened to double, evaluated by
                                          onnx's ReferenceEvaluator (convolutions through torch in double), written to
                                          CASE/exact_f64/output_0.pb (as float32: a dequantized output is a step
                                          count times a float32 scale, so nothing that matters is lost)
  qdq_fixtures.py selfcheck              checks exact64's own ops (BatchNormalization, Q/DQ) against ORT on one-node
                                          models; run it after changing exact64 or upgrading onnx
  qdq_fixtures.py bn-opset9 ONNX_NODE_DIR  writes kiln_batchnorm_opset9_momentum: a BatchNormalization-9 with
                                          momentum=0.9 and one output (inference, as PyTorch exports it) on a batch
                                          whose own statistics differ from the running ones; outputs from ORT
  qdq_fixtures.py random OUT [N] [SEED]   N random QDQ nets (conv, depthwise, gemm, add, concat, pools; per
                                          channel and per tensor; one-channel layers; scalar, [1] and absent zero
                                          points; axis on per-tensor scales)

Every case folder gets model.onnx, test_data_set_0/input_0.pb and output_0.pb: the exact QDQ meaning, ONNX Runtime
with graph optimizations off (its reference kernels). ORT's optimised int8 kernels' output (all optimizations)
goes to ort_optimized/output_0.pb, beside the case, so a comparison can put them next to each other.
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

ort.set_default_logger_severity(3)
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quantize_static)


def run(model_path, feeds, optimized):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimized else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    return s.run(None, feeds)


def save_case(case, model, feeds, names):
    os.makedirs(os.path.join(case, "test_data_set_0"), exist_ok=True)
    os.makedirs(os.path.join(case, "ort_optimized"), exist_ok=True)
    mp = os.path.join(case, "model.onnx")
    onnx.save(model, mp)
    for i, n in enumerate(names):
        t = numpy_helper.from_array(feeds[n], n)
        open(os.path.join(case, "test_data_set_0", "input_%d.pb" % i), "wb").write(t.SerializeToString())
    outs_exact = run(mp, feeds, False)
    outs_opt = run(mp, feeds, True)
    onames = [o.name for o in model.graph.output]
    for i, (a, b) in enumerate(zip(outs_exact, outs_opt)):
        open(os.path.join(case, "test_data_set_0", "output_%d.pb" % i), "wb").write(numpy_helper.from_array(a, onames[i]).SerializeToString())
        open(os.path.join(case, "ort_optimized", "output_%d.pb" % i), "wb").write(numpy_helper.from_array(b, onames[i]).SerializeToString())


class Reader(CalibrationDataReader):
    def __init__(self, samples):
        self.samples = list(samples)

    def get_next(self):
        return self.samples.pop(0) if self.samples else None


def ort_models(src, out, folded=False):
    models = ["mobilenet_v2_op13", "mobilenet_v3_small_op17", "shufflenet_v2_x0_5_op13", "squeezenet1_1_op13",
              "resnet8_cifar10_op13", "mobilenet_v1_025_vww_op13"]
    only = os.environ.get("ORTQ_ONLY")  # e.g. ORTQ_ONLY=mobilenet_v2 makes that model's cases only
    for m in models if not only else [m for m in models if m.startswith(only)]:
        d = os.path.join(src, m)
        model = onnx.load(os.path.join(d, "model.onnx"))
        inits = {i.name for i in model.graph.initializer}
        ins = [i for i in model.graph.input if i.name not in inits]
        assert len(ins) == 1, m
        name = ins[0].name
        t = onnx.TensorProto()
        t.ParseFromString(open(os.path.join(d, "test_data_set_0", "input_0.pb"), "rb").read())
        x = numpy_helper.to_array(t).astype(np.float32)
        rng = np.random.default_rng(7)
        calib = [{name: x}] + [{name: rng.standard_normal(x.shape).astype(np.float32) * float(x.std()) + float(x.mean())} for _ in range(3)]
        # the test input is another sample of the same kind (not one of the calibration set)
        test = {name: rng.standard_normal(x.shape).astype(np.float32) * float(x.std()) + float(x.mean())}
        pre = os.path.join(out, m + "_pre.onnx")
        if folded:
            so = ort.SessionOptions()
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
            so.optimized_model_filepath = pre
            ort.InferenceSession(os.path.join(d, "model.onnx"), so, providers=["CPUExecutionProvider"])
        try:
            from onnxruntime.quantization.shape_inference import quant_pre_process
            quant_pre_process(pre if folded else os.path.join(d, "model.onnx"), pre, skip_symbolic_shape=True)
        except Exception as e:  # noqa: BLE001
            print("pre-process failed for", m, e)
            onnx.save(model, pre)
        for pc in (False, True):
            case = os.path.join(out, m.rsplit("_op", 1)[0] + ("_bnfold" if folded else "") + ("_int8_ortq_pc" if pc else "_int8_ortq_pt"))
            qp = os.path.join(out, "tmp.onnx")
            quantize_static(pre, qp, Reader(calib), quant_format=QuantFormat.QDQ, per_channel=pc,
                            activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
            save_case(case, onnx.load(qp), test, [name])
            os.remove(qp)
            print("made", case, flush=True)
        os.remove(pre)


# ------------------------------------------------------------------ the exact QDQ meaning in float64

def widened(model):
    """The model with every float32 tensor, constant, cast and declared type made float64."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    for i, t in enumerate(g.initializer):
        if t.data_type == TensorProto.FLOAT:
            g.initializer[i].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float64), t.name))
    for n in g.node:
        for a in n.attribute:
            if n.op_type == "Constant" and a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.FLOAT:
                a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float64), a.t.name))
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.DOUBLE
    for v in list(g.input) + list(g.output):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            v.type.tensor_type.elem_type = TensorProto.DOUBLE
    del g.value_info[:]
    return m


def batch_norm_inference(x, scale, bias, mean, var, epsilon):
    """BatchNormalization's inference meaning in float64, per channel on axis 1."""
    shape = [1] * np.ndim(x)
    shape[1] = -1
    f = lambda a: np.asarray(a, dtype=np.float64).reshape(shape)
    y = f(scale) * (np.asarray(x, dtype=np.float64) - f(mean)) / np.sqrt(f(var) + float(epsilon)) + f(bias)
    return y.astype(np.asarray(x).dtype)


def exact_evaluator(model):
    """An onnx ReferenceEvaluator of the QDQ model widened to float64, with exact Conv, Q, DQ and BatchNormalization."""
    import torch
    from onnx.reference import ReferenceEvaluator
    from onnx.reference.op_run import OpRun

    class Conv(OpRun):
        # why: the reference Conv is a Python loop nest (minutes for MobileNetV2); torch's is exact enough in double
        def _run(self, x, w, b=None, auto_pad=None, dilations=None, group=None, kernel_shape=None, pads=None, strides=None):
            assert auto_pad in (None, "NOTSET", b"NOTSET"), auto_pad
            nd = w.ndim - 2
            pads = list(pads) if pads is not None else [0] * (2 * nd)
            xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))
            if any(pads[i] != pads[i + nd] for i in range(nd)):
                pad = []
                for i in reversed(range(nd)):
                    pad += [pads[i], pads[i + nd]]
                xt = torch.nn.functional.pad(xt, pad)
                pads = [0] * (2 * nd)
            f = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d, 3: torch.nn.functional.conv3d}[nd]
            y = f(xt, torch.from_numpy(np.ascontiguousarray(w, dtype=np.float64)),
                  None if b is None else torch.from_numpy(np.asarray(b, dtype=np.float64)),
                  stride=list(strides or [1] * nd), padding=pads[:nd], dilation=list(dilations or [1] * nd), groups=group or 1)
            return (y.numpy(),)

    def per_axis(p, x, axis):
        p = np.asarray(p)
        if p.size == 1:
            return p.reshape([])
        shape = [1] * x.ndim
        shape[axis % x.ndim] = p.size
        return p.reshape(shape)

    class DequantizeLinear(OpRun):
        # the ONNX meaning, (x - zero point) * scale, in double (onnx's own class starts at opset 19)
        def _run(self, x, scale, zero_point=None, axis=1, **ignored):
            d = x.astype(np.float64) - (0 if zero_point is None else per_axis(zero_point, x, axis).astype(np.float64))
            return (d * per_axis(scale, x, axis).astype(np.float64),)

    class QuantizeLinear(OpRun):
        # round half to even of x / scale, plus the zero point, saturated to the zero point's type
        def _run(self, x, scale, zero_point=None, axis=1, **ignored):
            t = np.uint8 if zero_point is None else np.asarray(zero_point).dtype
            q = np.rint(np.asarray(x, dtype=np.float64) / per_axis(scale, x, axis).astype(np.float64))
            if zero_point is not None:
                q = q + per_axis(zero_point, x, axis).astype(np.float64)
            return (np.clip(q, np.iinfo(t).min, np.iinfo(t).max).astype(t),)

    class BatchNormalization(OpRun):
        # why: onnx's reference BatchNormalization for opsets 9-13 takes a present `momentum` attribute (0.9 by its
        # schema's default, and PyTorch always writes it) for training mode and normalises with running statistics
        # blended with the batch's own (onnx/onnx#8442); the node means inference when it has one output (opsets
        # 9-13) or training_mode=0 (opset 14+). Inference only here: y = scale * (x - mean) / sqrt(var + eps) + B.
        def _run(self, x, scale, bias, mean, var, epsilon=1e-5, momentum=None, training_mode=0, **ignored):
            assert not training_mode and len(self.onnx_node.output) == 1, "exact64: BatchNormalization in training mode"
            return (batch_norm_inference(x, scale, bias, mean, var, epsilon),)

    return ReferenceEvaluator(widened(model), new_ops=[Conv, DequantizeLinear, QuantizeLinear, BatchNormalization])


def exact64(case):
    model = onnx.load(os.path.join(case, "model.onnx"))
    ev = exact_evaluator(model)
    feeds = {}
    for i, v in enumerate(v for v in model.graph.input if v.name not in {t.name for t in model.graph.initializer}):
        t = onnx.TensorProto()
        t.ParseFromString(open(os.path.join(case, "test_data_set_0", "input_%d.pb" % i), "rb").read())
        a = numpy_helper.to_array(t)
        feeds[v.name] = a.astype(np.float64) if a.dtype == np.float32 else a
    outs = ev.run(None, feeds)
    os.makedirs(os.path.join(case, "exact_f64"), exist_ok=True)
    for i, (o, v) in enumerate(zip(outs, model.graph.output)):
        o = np.asarray(o)
        o = o.astype(np.float32) if o.dtype == np.float64 else o
        open(os.path.join(case, "exact_f64", "output_%d.pb" % i), "wb").write(numpy_helper.from_array(o, v.name).SerializeToString())
    # the float64 meaning and ORT's float32 reference kernels differ by float32 rounding only: a few output steps at
    # most where an exact .5 tips the other way. More means one of them evaluates an op differently (as onnx's own
    # BatchNormalization-9 did, see exact_evaluator), so say so
    ref = os.path.join(case, "test_data_set_0", "output_0.pb")
    if os.path.exists(ref) and outs and np.asarray(outs[0]).dtype == np.float64:
        t = onnx.TensorProto()
        t.ParseFromString(open(ref, "rb").read())
        d = np.abs(numpy_helper.to_array(t).astype(np.float64) - np.asarray(outs[0]).astype(np.float32)).max()
        s = output_step(model)
        print("exact64", case, "max %.0f output steps from ORT exact%s" % (d / s, " (CHECK: more than 8)" if d / s > 8 else "")
              if s else "max |difference| %.3g from ORT exact" % d, flush=True)
    else:
        print("exact64", case, flush=True)


def write_set(case, x, y):
    """Writes test_data_set_0 of a one-input, one-output conformance case: input x as 'x', output y as 'y'."""
    open(os.path.join(case, "test_data_set_0", "input_0.pb"), "wb").write(numpy_helper.from_array(x, "x").SerializeToString())
    open(os.path.join(case, "test_data_set_0", "output_0.pb"), "wb").write(numpy_helper.from_array(y, "y").SerializeToString())


def bn_opset9_case(out):
    """The one-node conformance case of BatchNormalization-9 in inference mode with a momentum attribute."""
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((2, 3, 4, 5)) * 2 + 1).astype(np.float32)
    c = lambda a, n: numpy_helper.from_array(np.asarray(a, dtype=np.float32), n)
    inits = [c([0.5, 1.5, -0.7], "s"), c([0.1, -0.2, 0.3], "b"), c([-0.3, 0.4, 1.0], "m"), c([0.2, 1.7, 0.6], "v")]
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3, momentum=0.9)
    g = helper.make_graph([node], "kiln_batchnorm_opset9_momentum", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, x.shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 9)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    case = os.path.join(out, "kiln_batchnorm_opset9_momentum")
    os.makedirs(os.path.join(case, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(case, "model.onnx"))
    y = run(os.path.join(case, "model.onnx"), {"x": x}, False)[0]
    sv, bv, mv, vv = [numpy_helper.to_array(i) for i in inits]
    assert np.abs(y - batch_norm_inference(x, sv, bv, mv, vv, 1e-3)).max() < 1e-5
    # why: the case guards against reading momentum as training mode, so the two meanings must differ here
    blend = batch_norm_inference(x, sv, bv, 0.9 * mv + 0.1 * x.mean(axis=(0, 2, 3)), 0.9 * vv + 0.1 * x.var(axis=(0, 2, 3)), 1e-3)
    assert np.abs(y - blend).max() > 0.05, np.abs(y - blend).max()
    write_set(case, x, y)
    print("made", case)


def bn_int8_case(out):
    """DQ -> BatchNormalization -> Q on int8 (Kiln's qaffine): every int8 value in each of 5 channels, gains of up to
    ~24 output steps per input step, a negative and a zero scale, and one whose offset (4,000 input steps) leaves fewer
    fraction bits; expected outputs in float64 (exact64), which here
    equal ORT exact's and lie at least 1e-3 of a step from a rounding tie, so every backend must match them exactly."""
    rng = np.random.default_rng(20)
    x = np.stack([rng.permutation(np.arange(-128, 128)) for _ in range(5)]).reshape(1, 5, 8, 32).astype(np.int8)
    c = lambda a, n, t=np.float32: numpy_helper.from_array(np.asarray(a, dtype=t), n)
    inits = [c(0.05, "sx"), c(3, "zx", np.int8), c(0.02, "sy"), c(-5, "zy", np.int8),
             c([3.1, -1.7, 0.4, 0.0, 0.003], "s"), c([0.313, -0.195, 1.1, 0.9, 1.2], "b"), c([0.2, -0.4, 1.5, 0.1, 0.3], "m"),
             c([0.11, 0.9, 0.05, 0.3, 0.3], "v")]
    # float in and out, as ORT's quantize_static leaves a model: the input lies on its grid, so quantizing it is exact
    xq = x
    x = ((xq.astype(np.float32) - 3) * np.float32(0.05)).astype(np.float32)
    nodes = [helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "sx", "zx"], ["xf"]),
             helper.make_node("BatchNormalization", ["xf", "s", "b", "m", "v"], ["yf"], epsilon=1e-5, momentum=0.9),
             helper.make_node("QuantizeLinear", ["yf", "sy", "zy"], ["yq"]),
             helper.make_node("DequantizeLinear", ["yq", "sy", "zy"], ["y"])]
    g = helper.make_graph(nodes, "kiln_qdq_batchnorm_int8", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, x.shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    case = os.path.join(out, "kiln_qdq_batchnorm_int8")
    os.makedirs(os.path.join(case, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(case, "model.onnx"))
    y = np.asarray(exact_evaluator(m).run(None, {"x": x})[0]).astype(np.float32)
    o = run(os.path.join(case, "model.onnx"), {"x": x}, False)[0]
    assert np.abs(y.astype(np.float64) - o).max() < 0.01, np.abs(y.astype(np.float64) - o).max()  # ORT exact: the same steps
    sv, bv, mv, vv = [numpy_helper.to_array(i).astype(np.float64) for i in inits[4:]]
    v = batch_norm_inference((xq.astype(np.float64) - 3) * np.float64(np.float32(0.05)), sv, bv, mv, vv, np.float64(np.float32(1e-5))) / np.float64(np.float32(0.02))
    gap = np.abs(v - np.floor(v) - 0.5).min()
    assert gap > 1e-3, gap
    print("gains", np.abs(sv / np.sqrt(vv + 1e-5)) * 0.05 / 0.02, "closest tie", gap)
    write_set(case, x, y)
    print("made", case)


def output_step(model):
    """The scale of the DequantizeLinear that makes the model's first output, or None when another op makes it."""
    inits = {i.name: i for i in model.graph.initializer}
    for n in model.graph.node:
        if model.graph.output[0].name in n.output and n.op_type == "DequantizeLinear" and n.input[1] in inits:
            return float(numpy_helper.to_array(inits[n.input[1]]).reshape(-1)[0])
    return None


def selfcheck():
    """Checks exact_evaluator's ops against ONNX Runtime on one-node models (BatchNormalization-9 as PyTorch writes
    it, with momentum; BatchNormalization-15; a per-channel Q/DQ pair): exits 1 on a difference beyond float32 rounding."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 4, 5, 5)).astype(np.float32)
    c = lambda a, n: numpy_helper.from_array(np.asarray(a, dtype=np.float32), n)
    bn = [c(rng.random(4) + 0.5, "s"), c(rng.standard_normal(4), "b"), c(rng.standard_normal(4), "m"), c(rng.random(4) + 0.1, "v")]
    cases = {
        "BatchNormalization-9 with momentum": (9, [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3, momentum=0.9)], bn),
        "BatchNormalization-15": (15, [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3)], bn),
        "QuantizeLinear/DequantizeLinear per channel": (13, [
            helper.make_node("QuantizeLinear", ["x", "qs", "qz"], ["q"], axis=1),
            helper.make_node("DequantizeLinear", ["q", "qs", "qz"], ["y"], axis=1)],
            [c([0.01, 0.02, 0.05, 0.1], "qs"), numpy_helper.from_array(np.array([0, 3, -5, 1], np.int8), "qz")]),
    }
    bad = 0
    for what, (opset, nodes, inits) in cases.items():
        g = helper.make_graph(nodes, "selfcheck", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, x.shape)], inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        got = np.asarray(exact_evaluator(m).run(None, {"x": x.astype(np.float64)})[0])
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        want = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
        d = float(np.abs(got - want).max())
        ok = d <= 1e-5 * max(1.0, float(np.abs(want).max()))
        bad += not ok
        print("%s %s: max |exact64 - ORT| %.3g" % ("ok  " if ok else "FAIL", what, d))
    sys.exit(1 if bad else 0)


# ------------------------------------------------------------------ random QDQ nets

class Net:
    """A random float net in NCHW, built node by node; quantized afterwards with ORT's quantize_static."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes, self.inits = [], []
        self.k = 0

    def name(self, p):
        self.k += 1
        return "%s%d" % (p, self.k)

    def const(self, a):
        n = self.name("c")
        self.inits.append(numpy_helper.from_array(a.astype(np.float32), n))
        return n

    def node(self, op, ins, **attrs):
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    def conv(self, x, cin, cout, k, stride, group, relu):
        w = self.rng.standard_normal((cout, cin // group, k, k)) * (1.5 / np.sqrt(cin // group * k * k))
        b = self.rng.standard_normal(cout) * 0.3
        y = self.node("Conv", [x, self.const(w), self.const(b)], kernel_shape=[k, k], strides=[stride, stride],
                      pads=[k // 2] * 4, group=group)
        return self.node("Relu", [y]) if relu else y


def random_net(rng, idx):
    net = Net(rng)
    c = int(rng.choice([1, 3, 4]))
    h = int(rng.choice([8, 10, 12]))
    x = "input"
    cur, ch, hw = x, c, h
    for layer in range(int(rng.integers(3, 7))):
        kind = rng.choice(["conv", "dw", "add", "concat", "maxpool", "avgpool"])
        if kind == "conv":
            cout = int(rng.choice([1, 2, 4, 8, 16]))
            k = int(rng.choice([1, 3]))
            stride = int(rng.choice([1, 1, 2])) if hw > 4 else 1
            cur = net.conv(cur, ch, cout, k, stride, 1, bool(rng.random() < 0.6))
            hw = (hw + 2 * (k // 2) - k) // stride + 1
            ch = cout
        elif kind == "dw":
            cur = net.conv(cur, ch, ch, 3, 1, ch, bool(rng.random() < 0.5))
        elif kind == "add":
            other = net.conv(cur, ch, ch, 1, 1, 1, False)
            cur = net.node("Add", [cur, other])
        elif kind == "concat":
            cout = int(rng.choice([1, 2, 4]))
            other = net.conv(cur, ch, cout, 3, 1, 1, bool(rng.random() < 0.5))
            cur = net.node("Concat", [cur, other], axis=1)
            ch += cout
        elif kind == "maxpool" and hw >= 4:
            cur = net.node("MaxPool", [cur], kernel_shape=[2, 2], strides=[2, 2])
            hw //= 2
        elif kind == "avgpool" and hw >= 4:
            cur = net.node("AveragePool", [cur], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=0)
    if rng.random() < 0.5:
        cur = net.node("GlobalAveragePool", [cur])
        cur = net.node("Flatten", [cur])
        feat = ch
    else:
        cur = net.node("Flatten", [cur])
        feat = ch * hw * hw
    nout = int(rng.choice([1, 5, 10]))
    w = rng.standard_normal((nout, feat)) * (1.0 / np.sqrt(feat))
    b = rng.standard_normal(nout) * 0.2
    out = net.node("Gemm", [cur, net.const(w), net.const(b)], transB=1)
    g = helper.make_graph(net.nodes, "qdq_random_%02d" % idx,
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, c, h, h])],
                          [helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, nout])], net.inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m, (1, c, h, h)


def vary_params(model, rng):
    """Rewrites scale/zero-point initializers into the other forms ORT accepts: [1] vs scalar, absent zero point."""
    inits = {i.name: i for i in model.graph.initializer}
    users = {}
    for n in model.graph.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    done = set()
    for n in model.graph.node:
        if n.op_type not in ("QuantizeLinear", "DequantizeLinear") or len(n.input) < 2:
            continue
        s = inits.get(n.input[1])
        z = inits.get(n.input[2]) if len(n.input) > 2 else None
        if s is None or s.name in done:
            continue
        sv = numpy_helper.to_array(s)
        if sv.size != 1:
            continue
        r = rng.random()
        if r < 0.3:
            # scale [1], zero point scalar (the form the K0201 refused)
            s.CopyFrom(numpy_helper.from_array(sv.reshape([1]), s.name))
        elif r < 0.5 and z is not None:
            # zero point [1], scale scalar
            if all(u.input[2] == z.name for u in users.get(z.name, []) if len(u.input) > 2):
                z.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(z).reshape([1]), z.name))
        elif r < 0.65:
            # axis given on a per-tensor scale (ignored by ONNX)
            n.attribute.append(helper.make_attribute("axis", 1))
        done.add(s.name)
    # an absent zero point where it is 0 on a weight's DequantizeLinear
    for n in model.graph.node:
        if n.op_type == "DequantizeLinear" and len(n.input) == 3 and n.input[2] in inits and n.input[0] in inits:
            if not numpy_helper.to_array(inits[n.input[2]]).any() and rng.random() < 0.5:
                del n.input[2]
    return model


def random_nets(out, count, seed):
    rng = np.random.default_rng(seed)
    made = 0
    while made < count:
        m, shape = random_net(rng, made)
        fp = os.path.join(out, "float_tmp.onnx")
        onnx.save(m, fp)
        calib = [{"input": rng.standard_normal(shape).astype(np.float32)} for _ in range(4)]
        test = {"input": rng.standard_normal(shape).astype(np.float32)}
        qp = os.path.join(out, "q_tmp.onnx")
        pc = bool(made % 2)
        quantize_static(fp, qp, Reader(calib), quant_format=QuantFormat.QDQ, per_channel=pc,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
        case = os.path.join(out, "qdq_random_%02d" % made)
        for attempt in range(8):
            # why: ORT's optimised fusions refuse some forms its reference kernels accept (QLinearAveragePool wants
            # scalars); keep only variations that both run
            q = vary_params(onnx.load(qp), rng) if attempt < 7 else onnx.load(qp)
            try:
                save_case(case, q, test, ["input"])
                break
            except Exception as e:  # noqa: BLE001
                print("variation refused by ORT, retrying:", str(e)[:120])
        os.remove(fp)
        os.remove(qp)
        made += 1
        print("made", case, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "selfcheck":
        selfcheck()
    elif sys.argv[1] == "bn-opset9":
        bn_opset9_case(sys.argv[2])
    elif sys.argv[1] == "bn-int8":
        bn_int8_case(sys.argv[2])
    elif sys.argv[1] == "exact64":
        for c in sys.argv[2:]:
            exact64(c)
    elif sys.argv[1] in ("ort", "ort-folded"):
        os.makedirs(sys.argv[3], exist_ok=True)
        ort_models(sys.argv[2], sys.argv[3], sys.argv[1] == "ort-folded")
    else:
        os.makedirs(sys.argv[2], exist_ok=True)
        random_nets(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 20, int(sys.argv[4]) if len(sys.argv) > 4 else 20)
