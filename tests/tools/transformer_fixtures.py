#!/usr/bin/env python3
"""Makes Kiln's transformer test models with PyTorch and ONNX Runtime (run by hand; tests never run Python).

  transformer_fixtures.py OUT              writes the models below into OUT (tests/models)
  transformer_fixtures.py einsum OUT       writes float32 Einsum cases kiln_einsum_<name> into OUT (tests/onnx-node;
                                           ONNX's own Einsum cases are float64, which OpenCL lacks)


  kws_transformer_op17     keyword-spotting transformer (KWT-style): a 1x1x49x10 MFCC map, each of the 49 frames a
                           patch embedded by a linear layer to d_model 64, a class token and learned positions, 4
                           pre-norm encoder layers (LayerNormalization, 4-head self-attention, GELU MLP 64-128-64),
                           a final LayerNorm and a 12-way classifier on the class token. Opset 17 (LayerNormalization
                           is one op, GELU is Erf arithmetic).
  vit_tiny_op18            small vision transformer: a 1x3x32x32 image, 4x4 patches by a strided Conv to d_model 64,
                           class token, positions, 3 pre-norm encoder layers (4 heads, tanh-approximated GELU MLP
                           64-128-64), final LayerNorm, 10-way classifier. Opset 18.
  kws_transformer_attn_op23  kws_transformer_op17 with each layer's scaled-dot-product core (reshape to heads,
                           Q K^T, scale, softmax, times V, heads back) replaced by one ONNX Attention node (opset 23,
                           3-D Q/K/V with q_num_heads = kv_num_heads = 4); same weights.

Weights are PyTorch's default random initialisation (seeded); inputs are seeded normal noise. Each folder is in
ONNX's backend-test layout (model.onnx, test_data_set_0/input_0.pb, output_0.pb) with the outputs of ONNX Runtime
(CPU, one thread, all graph optimizations).
"""
import math
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
from onnx import helper, numpy_helper


class Core(nn.Module):
    """Scaled dot-product attention over [B, S, heads * D] Q, K, V; the part the Attention op replaces."""

    def __init__(self, heads):
        super().__init__()
        self.heads = heads

    def forward(self, q, k, v):
        b, s, e = q.shape
        d = e // self.heads
        q = q.reshape(b, s, self.heads, d).transpose(1, 2)
        k = k.reshape(b, s, self.heads, d).transpose(1, 2)
        v = v.reshape(b, s, self.heads, d).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-2, -1) * (1.0 / math.sqrt(d)), dim=-1)
        return (a @ v).transpose(1, 2).reshape(b, s, e)


class Attn(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.core = Core(heads)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        return self.proj(self.core(self.q(x), self.k(x), self.v(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden, gelu):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = Attn(dim, heads)
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.act = nn.GELU(approximate=gelu)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(self.act(self.fc1(self.ln2(x))))


class Encoder(nn.Module):
    """Class token, positions, pre-norm blocks, final norm, classifier on the class token."""

    def __init__(self, tokens, dim, heads, hidden, layers, classes, gelu):
        super().__init__()
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, tokens + 1, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, hidden, gelu) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def encode(self, t):
        x = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], dim=1) + self.pos
        for b in self.blocks:
            x = b(x)
        return self.head(self.norm(x)[:, 0])


class Kwt(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(10, 64)
        self.enc = Encoder(49, 64, 4, 128, 4, 12, "none")

    def forward(self, x):
        return self.enc.encode(self.embed(x.reshape(x.shape[0], 49, 10)))


class Vit(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, 64, 4, stride=4)
        self.enc = Encoder(64, 64, 4, 128, 3, 10, "tanh")

    def forward(self, x):
        return self.enc.encode(self.patch(x).flatten(2).transpose(1, 2))


def ort_run(path, feeds):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return s.run(None, feeds)


def save(out, name, model, x):
    case = os.path.join(out, name)
    os.makedirs(os.path.join(case, "test_data_set_0"), exist_ok=True)
    path = os.path.join(case, "model.onnx")
    onnx.checker.check_model(model)
    onnx.save(model, path)
    iname = model.graph.input[0].name
    open(os.path.join(case, "test_data_set_0", "input_0.pb"), "wb").write(numpy_helper.from_array(x, iname).SerializeToString())
    y = ort_run(path, {iname: x})
    for i, (o, v) in enumerate(zip(model.graph.output, y)):
        open(os.path.join(case, "test_data_set_0", "output_%d.pb" % i), "wb").write(numpy_helper.from_array(v, o.name).SerializeToString())
    print(name, [n.op_type for n in model.graph.node].__len__(), "nodes", os.path.getsize(path), "bytes")
    return y


def export(module, x, opset, path):
    torch.onnx.export(module, (torch.from_numpy(x),), path, opset_version=opset, input_names=["input"], output_names=["logits"],
                      dynamo=False, do_constant_folding=True)
    return onnx.load(path)


def with_attention_op(m):
    """Replaces each '/enc/blocks.i/attn/core/' subgraph by one Attention node (opset 23) over the same Q, K, V."""
    g = m.graph
    prefixes = sorted({n.name[:n.name.index("/core/") + 6] for n in g.node if "/core/" in n.name})
    producer = {o: n for n in g.node for o in n.output}
    nodes = list(g.node)
    for p in prefixes:
        core = [n for n in nodes if n.name.startswith(p)]
        made = {o for n in core for o in n.output}
        ins = []
        for n in core:
            for i in n.input:
                if i and i not in made and i in producer and i not in ins:
                    ins.append(i)
        order = {"q": 0, "k": 1, "v": 2}
        ins.sort(key=lambda i: order[producer[i].name.split("/")[-2]])
        assert len(ins) == 3, (p, ins)
        used_outside = {i for n in nodes if not n.name.startswith(p) for i in n.input} | {o.name for o in g.output}
        outs = [o for o in made if o in used_outside]
        assert len(outs) == 1, (p, outs)
        first = nodes.index(core[0])
        att = helper.make_node("Attention", ins, outs, name=p + "Attention", q_num_heads=4, kv_num_heads=4)
        nodes = [n for n in nodes if not n.name.startswith(p)]
        nodes.insert(first, att)
    del g.node[:]
    g.node.extend(nodes)
    del m.opset_import[:]
    m.opset_import.extend([helper.make_opsetid("", 23)])
    m.ir_version = 10
    del g.value_info[:]
    return m


EINSUMS = [
    ("matmul", "ij,jk->ik", [(3, 4), (4, 5)]),
    ("batch_matmul", "bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("attention_scores", "bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),
    ("ellipsis_batch", "...ij,...jk->...ik", [(2, 3, 3, 4), (2, 3, 4, 2)]),
    ("inner", "i,i->", [(7,), (7,)]),
    ("outer", "i,j->ij", [(3,), (4,)]),
    ("diagonal", "ii->i", [(4, 4)]),
    ("transpose_implicit", "ji", [(3, 5)]),
    ("sum_axis", "bij->bj", [(2, 3, 4)]),
    ("three_operands", "ij,jk,k->i", [(3, 4), (4, 5), (5,)]),
]


def einsum_cases(out):
    rng = np.random.default_rng(23)
    for name, eq, shapes in EINSUMS:
        names = ["x%d" % i for i in range(len(shapes))]
        xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        node = helper.make_node("Einsum", names, ["y"], equation=eq)
        y = np.einsum(eq, *xs).astype(np.float32)
        g = helper.make_graph([node], "kiln_einsum_" + name,
                              [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, x.shape) for n, x in zip(names, xs)],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, y.shape)])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 12)])
        m.ir_version = 8
        case = os.path.join(out, "kiln_einsum_" + name)
        os.makedirs(os.path.join(case, "test_data_set_0"), exist_ok=True)
        onnx.checker.check_model(m)
        onnx.save(m, os.path.join(case, "model.onnx"))
        for i, (n, x) in enumerate(zip(names, xs)):
            open(os.path.join(case, "test_data_set_0", "input_%d.pb" % i), "wb").write(numpy_helper.from_array(x, n).SerializeToString())
        r = ort_run(os.path.join(case, "model.onnx"), dict(zip(names, xs)))[0]
        assert np.allclose(r, y, rtol=1e-4, atol=1e-5), name
        open(os.path.join(case, "test_data_set_0", "output_0.pb"), "wb").write(numpy_helper.from_array(r, "y").SerializeToString())


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "einsum":
        einsum_cases(sys.argv[2])
        return
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/models"
    torch.manual_seed(18)
    rng = np.random.default_rng(18)
    kwt = Kwt().eval()
    x = rng.standard_normal((1, 1, 49, 10)).astype(np.float32)
    tmp = os.path.join(out, ".export.onnx")
    m = export(kwt, x, 17, tmp)
    y = save(out, "kws_transformer_op17", m, x)
    with torch.no_grad():
        print("  torch vs ORT max abs diff", float(np.abs(kwt(torch.from_numpy(x)).numpy() - y[0]).max()))
    y2 = save(out, "kws_transformer_attn_op23", with_attention_op(onnx.load(tmp)), x)
    print("  Attention variant vs op17 max abs diff", float(np.abs(y2[0] - y[0]).max()))
    torch.manual_seed(19)
    vit = Vit().eval()
    xi = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    m = export(vit, xi, 18, tmp)
    y = save(out, "vit_tiny_op18", m, xi)
    with torch.no_grad():
        print("  torch vs ORT max abs diff", float(np.abs(vit(torch.from_numpy(xi)).numpy() - y[0]).max()))
    os.remove(tmp)


if __name__ == "__main__":
    main()
