"""Writes tests/data/mbv2_micro: a MobileNetV2-shaped MCU model (inverted residual blocks: 1x1 expand, 3x3
depthwise, 1x1 project, residual adds) at 64x64, random weights (seed 0), opset 13, with one input and its output.
Run: /work/venv/bin/python tests/tools/bottleneck_fixture.py"""
import os
import numpy as np
import onnx
import torch
from torch import nn
from onnx import numpy_helper

OUT = os.path.join(os.path.dirname(__file__), "..", "data", "mbv2_micro")


def cbr(i, o, k, s, g=1):
    return [nn.Conv2d(i, o, k, s, k // 2, groups=g, bias=False), nn.BatchNorm2d(o), nn.ReLU6()]


class Block(nn.Module):
    def __init__(self, i, o, s, t):
        super().__init__()
        e = i * t
        layers = (cbr(i, e, 1, 1) if t != 1 else []) + cbr(e, e, 3, s, e) + [nn.Conv2d(e, o, 1, bias=False), nn.BatchNorm2d(o)]
        self.body = nn.Sequential(*layers)
        self.res = s == 1 and i == o

    def forward(self, x):
        y = self.body(x)
        return x + y if self.res else y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(*cbr(3, 16, 3, 2), Block(16, 8, 1, 1), Block(8, 16, 2, 6), Block(16, 16, 1, 6),
                                      Block(16, 24, 2, 6), Block(24, 24, 1, 6), *cbr(24, 96, 1, 1))
        self.fc = nn.Linear(96, 10)

    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))


def main():
    torch.manual_seed(0)
    net = Net().eval()
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
    x = torch.rand(1, 3, 64, 64)
    os.makedirs(os.path.join(OUT, "test_data_set_0"), exist_ok=True)
    path = os.path.join(OUT, "model.onnx")
    torch.onnx.export(net, x, path, opset_version=13, input_names=["input"], output_names=["output"], dynamo=False)
    y = net(x).detach().numpy()
    for name, a in (("input_0", x.numpy()), ("output_0", y)):
        t = numpy_helper.from_array(a.astype(np.float32), "input" if name == "input_0" else "output")
        with open(os.path.join(OUT, "test_data_set_0", name + ".pb"), "wb") as f:
            f.write(t.SerializeToString())
    onnx.checker.check_model(onnx.load(path))


if __name__ == "__main__":
    main()
