"""Makes the recurrent test models of tests/models with PyTorch (random weights, fixed seed) and ONNX Runtime 1.30
outputs (CPU, one thread):

- lstm_kws: keyword spotter, 49x10 MFCC frames in, 2-layer bidirectional LSTM (hidden 64), last step's features to
  12 classes (logits).
- gru_anomaly: sensor-anomaly model with its state as input and output (streaming): 8 frames of 6 sensor channels
  and h_in [1, 1, 32] in; per-frame reconstruction, an anomaly score and h_out out. stream/ holds 100 consecutive
  calls of ONNX Runtime fed its own state back (inputs x.npy [100, 1, 8, 6], outputs score.npy, recon.npy, h.npy).

Exported with the TorchScript exporter (dynamo=False), which emits ONNX LSTM/GRU nodes.
Usage: /work/venv/bin/python tests/tools/recurrent_models.py tests/models
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/models"
torch.manual_seed(17)
rng = np.random.default_rng(17)


class Kws(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(10, 64, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = torch.nn.Linear(128, 12)

    def forward(self, x):  # x [1, 49, 10]
        y, _ = self.lstm(x)
        return self.fc(y[:, -1, :])


class Anomaly(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(6, 32, batch_first=True)
        self.dec = torch.nn.Linear(32, 6)

    def forward(self, x, h_in):  # x [1, 8, 6], h_in [1, 1, 32]
        y, h_out = self.gru(x, h_in)
        recon = self.dec(y)
        score = ((recon - x) ** 2).mean(dim=(1, 2))
        return recon, score, h_out


def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def save_case(name, model, args, in_names, out_names):
    d = os.path.join(OUT, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    path = os.path.join(d, "model.onnx")
    torch.onnx.export(model.eval(), args, path, input_names=in_names, output_names=out_names, opset_version=17, dynamo=False)
    m = onnx.load(path)
    m.doc_string = "tests/tools/recurrent_models.py: random weights (seed 17)"
    onnx.save(m, path)
    sess = session(path)
    feeds = {n: a.numpy() for n, a in zip(in_names, args)}
    outs = sess.run(None, feeds)
    for i, n in enumerate(in_names):
        onnx.save_tensor(numpy_helper.from_array(feeds[n], n), os.path.join(d, "test_data_set_0", "input_%d.pb" % i))
    for i, (n, o) in enumerate(zip(out_names, outs)):
        onnx.save_tensor(numpy_helper.from_array(o, n), os.path.join(d, "test_data_set_0", "output_%d.pb" % i))
    print(name, os.path.getsize(path), "bytes", [node.op_type for node in m.graph.node])
    return sess, d


with torch.no_grad():
    kws = Kws()
    save_case("lstm_kws", kws, (torch.randn(1, 49, 10),), ["mfcc"], ["logits"])

    an = Anomaly()
    sess, d = save_case("gru_anomaly", an, (torch.randn(1, 8, 6), torch.randn(1, 1, 32) * 0.5), ["x", "h_in"],
                        ["recon", "score", "h_out"])
    # 100 consecutive calls, ONNX Runtime fed its own state back, from a zero state
    os.makedirs(os.path.join(d, "stream"), exist_ok=True)
    t = np.arange(100 * 8, dtype=np.float32).reshape(100, 1, 8, 1)
    xs = (np.sin(t * np.linspace(0.05, 0.3, 6, dtype=np.float32)) + 0.1 * rng.standard_normal((100, 1, 8, 6))).astype(np.float32)
    h = np.zeros((1, 1, 32), np.float32)
    recons, scores, hs = [], [], []
    for i in range(100):
        recon, score, h = sess.run(None, {"x": xs[i], "h_in": h})
        recons.append(recon)
        scores.append(score)
        hs.append(h)
    np.save(os.path.join(d, "stream", "x.npy"), xs)
    np.save(os.path.join(d, "stream", "recon.npy"), np.stack(recons).astype(np.float32))
    np.save(os.path.join(d, "stream", "score.npy"), np.stack(scores).astype(np.float32))
    np.save(os.path.join(d, "stream", "h.npy"), np.stack(hs).astype(np.float32))
