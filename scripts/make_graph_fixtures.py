#!/usr/bin/python3
"""Reference fixtures for BRANCHING graphs (residual Add, channel Concat, grouped/depthwise conv, ReLU6).

Run with Debian's Python (python3-torch, python3-onnx):

    /usr/bin/python3 scripts/make_graph_fixtures.py

Everything under src/test/resources/fixtures/graph/ is regenerated (deterministically: fixed seeds, one
thread; a rerun on the same machine gives identical files):

    models/<model>.onnx               trained models (opset 13, BatchNormalization kept as nodes)
    reference/<model>/input.npy       N x 1 x 28 x 28 preprocessed input (float32)
    reference/<model>/logits.npy      N x 10 logits of the PyTorch model in float64
    reference/<model>/gradxinput.npy  gradient of the target logit wrt the input, times the input
    reference/<model>/<case>.npy      LRP input relevance for each case (see manifest.json)
    manifest.json                     layer tables, cases, rule specs, resolved presets, sums
    README.md                         the semantics in words

Models (trained like the `cnn` fixture of make_fixtures.py, Fashion-MNIST, mean 0.2860, std 0.3530):

    resnet     stem conv3x3+BN+ReLU, BasicBlock(16->16, identity shortcut), BasicBlock(16->32, stride 2,
               shortcut conv1x1/s2+BN), global average pool, flatten, dense
    mobilenet  stem conv3x3+BN+ReLU6, depthwise conv3x3/s2+BN+ReLU6, pointwise conv1x1+BN+ReLU,
               Concat(pointwise, depthwise) -> conv1x1+ReLU, depthwise conv3x3/s2+BN+ReLU6,
               pointwise conv1x1+BN+ReLU, global average pool, flatten, dense

The reference works generically on the exported ONNX graph (`OnnxGraph`, float64, the four steps of
lrp_reference.py for every parametric layer); an independent walk over the PyTorch module structure
(`module_walk_lrp`) recomputes every case. Self-checks (printed): graph forward vs PyTorch,
conservation, LRP-0 = gradient x input, module walk vs graph, batch independence, float32 deviation.
"""
import collections
import copy
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lrp_reference as ref  # noqa: E402
import make_fixtures as mf  # noqa: E402

OUT = os.path.join(mf.ROOT, "src", "test", "resources", "fixtures", "graph")
N_TEST_IMAGES = 8                       # the first images of t10k
OPSET = 13
ADD_EPS = 1e-6                          # absolute stabiliser of the residual Add split

MODELS = {
    "resnet": dict(mean=mf.FMNIST_MEAN, std=mf.FMNIST_STD, epochs=2, lr=3e-3, seed=11),
    "mobilenet": dict(mean=mf.FMNIST_MEAN, std=mf.FMNIST_STD, epochs=3, lr=3e-3, seed=12),
}

SPEC_CASES = [
    ("zero", "0-:zero"),
    ("epsilon", "0-:epsilon=0.25"),
    ("gamma", "0-:gamma=0.25"),
    ("alpha1beta0", "0-:alpha1beta0"),
]
LAYER_SUMS_CASE = "tutorial"


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------

class BasicBlock(nn.Module):
    """ResNet basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(OrderedDict(conv=nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                      bn=nn.BatchNorm2d(cout)))
        else:
            self.shortcut = nn.Identity()
        self.relu2 = nn.ReLU()

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(out + self.shortcut(x))


class ConcatBlock(nn.Module):
    """d = relu6(bn(depthwise conv/s2 (x))); p = relu(bn(pointwise conv(d))); y = cat([p, d], channels)."""

    def __init__(self):
        super().__init__()
        self.dw_conv = nn.Conv2d(16, 16, 3, 2, 1, groups=16, bias=False)
        self.dw_bn = nn.BatchNorm2d(16)
        self.dw_relu6 = nn.ReLU6()
        self.pw_conv = nn.Conv2d(16, 32, 1, bias=False)
        self.pw_bn = nn.BatchNorm2d(32)
        self.pw_relu = nn.ReLU()

    def forward(self, x):
        d = self.dw_relu6(self.dw_bn(self.dw_conv(x)))
        p = self.pw_relu(self.pw_bn(self.pw_conv(d)))
        return torch.cat([p, d], dim=1)


def build(name):
    if name == "resnet":
        return nn.Sequential(OrderedDict(
            stem_conv=nn.Conv2d(1, 16, 3, padding=1, bias=False), stem_bn=nn.BatchNorm2d(16), stem_relu=nn.ReLU(),
            block1=BasicBlock(16, 16, 1),                                        # 28x28, identity shortcut
            block2=BasicBlock(16, 32, 2),                                        # 14x14, conv1x1/s2 shortcut
            pool=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(), fc=nn.Linear(32, 10)))
    if name == "mobilenet":
        # The concat stage alone (stem, depthwise/s2, pointwise, concat, fuse) reaches only ~77% test accuracy
        # after 3 epochs (receptive field 5x5 before the global pool); one more depthwise-separable stage
        # (dw2/pw2) lifts it above 85%.
        return nn.Sequential(OrderedDict(
            stem_conv=nn.Conv2d(1, 16, 3, padding=1, bias=False), stem_bn=nn.BatchNorm2d(16),
            stem_relu6=nn.ReLU6(),
            branch=ConcatBlock(),                                                # 48 x 14 x 14
            fuse_conv=nn.Conv2d(48, 32, 1), fuse_relu=nn.ReLU(),
            dw2_conv=nn.Conv2d(32, 32, 3, 2, 1, groups=32, bias=False), dw2_bn=nn.BatchNorm2d(32),
            dw2_relu6=nn.ReLU6(),                                                # 32 x 7 x 7
            pw2_conv=nn.Conv2d(32, 64, 1, bias=False), pw2_bn=nn.BatchNorm2d(64), pw2_relu=nn.ReLU(),
            pool=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(), fc=nn.Linear(64, 10)))
    raise ValueError(name)


def export_default_eval(model):
    """Op types of torch.onnx's default export (TrainingMode.EVAL) -- informative only, not stored."""
    with tempfile.TemporaryDirectory() as d, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = os.path.join(d, "m.onnx")
        torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, opset_version=OPSET,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)
        return collections.Counter(n.op_type for n in onnx.load(path).graph.node)


# --------------------------------------------------------------------------------------------
# Graph layers and the ONNX layer table
# --------------------------------------------------------------------------------------------

@dataclass
class GLayer(ref.Layer):
    """A canonical layer of a graph: lrp_reference.Layer plus wiring, grouped convs and Clip/Add/Concat.

    type: conv|dense|relu|clip|maxpool|avgpool|globalavgpool|flatten|add|concat
    """
    op: str = ""                           # ONNX op type
    name: str = ""                         # ONNX node name (the Conv's for a Conv+BN layer)
    inputs: Tuple[str, ...] = ()           # activation tensors consumed (ONNX names after aliasing)
    output: str = ""                       # activation tensor produced (the BN's output for Conv+BN)
    groups: int = 1                        # conv only
    axis: int = 1                          # concat / flatten
    clip: Optional[Tuple[float, float]] = None
    folded_bn: str = ""                    # name of the BatchNormalization node folded into this conv
    param: str = ""                        # initializer name of the weight (conv/dense)

    def linear(self, a, weight, bias=None):
        if self.type == "conv":
            return F.conv2d(a, weight, bias, self.stride, self.padding, self.dilation, self.groups)
        return F.linear(a, weight, bias)

    def forward_graph(self, args):
        if self.type == "clip":
            return args[0].clamp(min=self.clip[0], max=self.clip[1])
        if self.type == "add":
            return args[0] + args[1]
        if self.type == "concat":
            return torch.cat(args, dim=self.axis)
        if self.type == "flatten":
            assert self.axis == 1
        return self.forward(args[0])


REMOVED = ("Identity", "Dropout", "Constant")
OP_TYPES = {"Conv": "conv", "Gemm": "dense", "Relu": "relu", "Clip": "clip", "MaxPool": "maxpool",
            "AveragePool": "avgpool", "GlobalAveragePool": "globalavgpool", "Flatten": "flatten",
            "Add": "add", "Concat": "concat"}


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _sym(pads):
    pads = list(pads) if pads else [0, 0, 0, 0]
    assert pads[:2] == pads[2:], f"asymmetric padding {pads}"
    return tuple(pads[:2])


class OnnxGraph:
    """The layer table of an ONNX graph, float64 parameters (BN folded into the preceding Conv).

    Layer order = ONNX node order after removing Identity, Dropout and Constant nodes, BatchNormalization
    nodes directly after a Conv (folded) and a trailing Softmax/LogSoftmax.
    """

    def __init__(self, path, dtype=torch.float64):
        g = onnx.load(path).graph
        consts = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
        alias = {}

        def res(name):
            while name in alias:
                name = alias[name]
            return name

        consumers = collections.Counter(res(i) for n in g.node for i in n.input if i)
        self.input_name = next(i.name for i in g.input if i.name not in consts)
        self.output_name = g.output[0].name
        self.layers = []
        producer = {}                                     # tensor -> index of the layer producing it
        nodes = list(g.node)
        for k, node in enumerate(nodes):
            op, at = node.op_type, _attrs(node)
            ins = [res(i) for i in node.input]
            if op == "Constant":
                consts[node.output[0]] = torch.from_numpy(numpy_helper.to_array(at["value"]).copy())
                continue
            if op in ("Identity", "Dropout"):
                if ins[0] in consts:                      # de-duplicated initializer: Identity(init)
                    consts[node.output[0]] = consts[ins[0]]
                else:
                    alias[node.output[0]] = ins[0]
                continue
            if op in ("Softmax", "LogSoftmax"):
                assert node.output[0] == self.output_name, "Softmax only at the end"
                alias[node.output[0]] = ins[0]
                self.output_name = ins[0]
                continue
            if op == "BatchNormalization":
                j = producer.get(ins[0])
                prev = self.layers[j] if j is not None else None
                assert prev is not None and prev.type == "conv" and prev.output == ins[0], \
                    f"{node.name}: BatchNormalization must directly follow a Conv"
                assert consumers[ins[0]] == 1, f"{node.name}: the Conv output has other consumers"
                scale, beta, mean, var = [consts[i].to(dtype) for i in ins[1:5]]
                s = scale / torch.sqrt(var + float(at.get("epsilon", 1e-5)))
                prev.weight = prev.weight * s.reshape(-1, 1, 1, 1)
                prev.bias = (prev.bias - mean) * s + beta
                prev.folded_bn = node.name
                del producer[prev.output]
                prev.output = node.output[0]
                producer[prev.output] = j
                continue
            assert op in OP_TYPES, f"{node.name}: unsupported op {op}"
            layer = GLayer(OP_TYPES[op], op=op, name=node.name, output=node.output[0])
            if op == "Conv":
                assert at.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
                w = consts[ins[1]].to(dtype)
                b = consts[ins[2]].to(dtype) if len(ins) > 2 and ins[2] else torch.zeros(w.shape[0], dtype=dtype)
                layer.weight, layer.bias, layer.param = w, b, ins[1]
                layer.stride = tuple(at.get("strides", (1, 1)))
                layer.padding = _sym(at.get("pads"))
                layer.dilation = tuple(at.get("dilations", (1, 1)))
                layer.groups = at.get("group", 1)
                layer.inputs = (ins[0],)
            elif op == "Gemm":
                assert not at.get("transA", 0)
                w = consts[ins[1]].to(dtype)
                w = w if at.get("transB", 0) else w.t().contiguous()
                b = consts[ins[2]].to(dtype) if len(ins) > 2 and ins[2] else torch.zeros(w.shape[0], dtype=dtype)
                layer.weight = at.get("alpha", 1.0) * w
                layer.bias = at.get("beta", 1.0) * b.reshape(-1)
                layer.param = ins[1]
                layer.inputs = (ins[0],)
            elif op == "Clip":
                lo = float(consts[ins[1]]) if len(ins) > 1 and ins[1] else float("-inf")
                hi = float(consts[ins[2]]) if len(ins) > 2 and ins[2] else float("inf")
                layer.clip, layer.inputs = (lo, hi), (ins[0],)
            elif op in ("MaxPool", "AveragePool"):
                assert not at.get("ceil_mode", 0)
                if op == "AveragePool":
                    assert not at.get("count_include_pad", 0)
                layer.kernel = tuple(at["kernel_shape"])
                layer.stride = tuple(at.get("strides", (1, 1)))
                layer.padding = _sym(at.get("pads"))
                layer.inputs = (ins[0],)
            elif op == "Add":
                assert len(ins) == 2 and all(i not in consts for i in ins), f"{node.name}: Add of two activations only"
                layer.inputs = tuple(ins)
            elif op == "Concat":
                assert at["axis"] == 1, f"{node.name}: Concat along channels only"
                layer.axis, layer.inputs = 1, tuple(ins)
            elif op == "Flatten":
                layer.axis, layer.inputs = at.get("axis", 1), (ins[0],)
            else:
                layer.inputs = (ins[0],)
            assert all(i == self.input_name or i in producer for i in layer.inputs), node.name
            producer[layer.output] = len(self.layers)
            self.layers.append(layer)
        self.output_name = res(self.output_name)
        assert self.layers[-1].output == self.output_name, "the last layer must produce the graph output"
        self.producer = producer

    def input_indices(self, layer):
        """Producer layer index of each input tensor (-1 = the graph input)."""
        return [-1 if t == self.input_name else self.producer[t] for t in layer.inputs]

    def cast(self, dtype):
        out = copy.copy(self)
        out.layers = [dataclasses.replace(l, weight=None if l.weight is None else l.weight.to(dtype),
                                          bias=None if l.bias is None else l.bias.to(dtype)) for l in self.layers]
        return out

    def zero_biases(self):
        out = self.cast(self.layers[0].weight.dtype)
        for l in out.layers:
            if l.parametric:
                l.bias = torch.zeros_like(l.bias)
        return out

    def forward(self, x):
        """All activations by tensor name."""
        env = {self.input_name: x}
        for layer in self.layers:
            env[layer.output] = layer.forward_graph([env[t] for t in layer.inputs])
        return env

    def logits(self, x):
        return self.forward(x)[self.output_name]

    def table(self, x):
        shapes = {k: list(v.shape[1:]) for k, v in self.forward(x[:1]).items()}
        rows = []
        for i, l in enumerate(self.layers):
            row = {"index": i, "op": l.op, "type": l.type, "name": l.name, "inputs": self.input_indices(l),
                   "output_shape": shapes[l.output]}
            if l.folded_bn:
                row["folded_bn"] = l.folded_bn
            if l.type == "conv":
                row.update(kernel=list(l.weight.shape[2:]), stride=list(l.stride), padding=list(l.padding),
                           groups=l.groups)
            if l.clip is not None:
                row["clip"] = list(l.clip)
            rows.append(row)
        return rows


# --------------------------------------------------------------------------------------------
# LRP on the graph
# --------------------------------------------------------------------------------------------

def lrp_add(inputs, R, eps=None):
    """Residual sum z = x1 + x2: R_i = x_i * R / (z + eps*sign+(z)); s = 0 where z == 0 exactly."""
    s = ref.stabilised_div(R, sum(inputs), ADD_EPS if eps is None else eps)
    return [x * s for x in inputs]


def lrp_concat(layer, inputs, R):
    """Each input gets the relevance of its own channel slice."""
    sizes = [t.shape[layer.axis] for t in inputs]
    return list(torch.split(R, sizes, dim=layer.axis))


def zb_bounds(x, mean, std):
    shape = (1, -1, 1, 1)
    mean_t = torch.tensor(mean, dtype=x.dtype).reshape(shape)
    std_t = torch.tensor(std, dtype=x.dtype).reshape(shape)
    return ((0 - mean_t) / std_t).expand_as(x), ((1 - mean_t) / std_t).expand_as(x)


def graph_lrp(graph, x, targets, rules, mean=(0.0,), std=(1.0,), maxpool_mode="avg", layer_sums=False):
    """Input relevance for the target classes; optionally per image Σ of what each layer passes down.

    sums[n][l] = Σ of the relevance layer l sends to its input tensor(s) (before tensors with several
    consumers add up their contributions); sums[n][L] = the target logit.
    """
    env = graph.forward(x)
    logits = env[graph.output_name]
    idx = torch.arange(len(targets))
    R_top = torch.zeros_like(logits)
    R_top[idx, targets] = logits[idx, targets]
    rel = {graph.output_name: R_top}
    sums = [None] * len(graph.layers) + [R_top.flatten(1).sum(1)]
    for i in reversed(range(len(graph.layers))):
        layer = graph.layers[i]
        R = rel.pop(layer.output, None)
        ins = [env[t] for t in layer.inputs]
        if R is None:                                     # output unused: nothing flows back
            R = torch.zeros_like(env[layer.output])
        if layer.parametric:
            rule = rules.get(i, "zero")
            bounds = None
            if rule == "zb":
                assert layer.inputs[0] == graph.input_name, "zb needs the pixel layer"
                bounds = zb_bounds(ins[0], mean, std)
            out = [ref.lrp_parametric(layer, rule, ins[0], R, bounds)]
        elif layer.type in ("maxpool", "avgpool", "globalavgpool"):
            out = [ref.lrp_pool(layer, ins[0], R, maxpool_mode)]
        elif layer.type in ("relu", "clip"):
            out = [R]                                     # passes unchanged (Clip(0,6) = ReLU6 too)
        elif layer.type == "flatten":
            out = [R.reshape(ins[0].shape)]
        elif layer.type == "add":
            out = lrp_add(ins, R)
        elif layer.type == "concat":
            out = lrp_concat(layer, ins, R)
        else:
            raise ValueError(layer.type)
        sums[i] = sum(o.flatten(1).sum(1) for o in out)
        for t, r in zip(layer.inputs, out):               # tensors with several consumers: sum
            rel[t] = rel[t] + r if t in rel else r
    R_in = rel.pop(graph.input_name).detach()
    assert not rel, f"relevance left on {list(rel)}"
    if layer_sums:
        return R_in, torch.stack(sums, 1)
    return R_in


# --------------------------------------------------------------------------------------------
# Independent check: LRP by walking the PyTorch module structure
# --------------------------------------------------------------------------------------------

def walk_layers(modules, prefix):
    """Canonical GLayers (BN folded, float64) of a list of (name, module); `param` = module path."""
    out = []
    for name, m in modules:
        path = f"{prefix}{name}"
        if isinstance(m, nn.Conv2d):
            w = m.weight.detach().double().clone()
            b = m.bias.detach().double().clone() if m.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
            out.append(GLayer("conv", w, b, m.stride, m.padding, m.dilation, groups=m.groups, param=path))
        elif isinstance(m, nn.Linear):
            out.append(GLayer("dense", m.weight.detach().double().clone(), m.bias.detach().double().clone(),
                              param=path))
        elif isinstance(m, nn.BatchNorm2d):
            bn = copy.copy(m)
            bn.eps = float(np.float32(m.eps))             # ONNX stores epsilon as a float32 attribute
            out[-1].weight, out[-1].bias = ref._fold_bn(out[-1].weight, out[-1].bias, bn)
        elif isinstance(m, nn.ReLU6):
            out.append(GLayer("clip", clip=(0.0, 6.0)))
        elif isinstance(m, nn.ReLU):
            out.append(GLayer("relu"))
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            out.append(GLayer("globalavgpool"))
        elif isinstance(m, nn.Flatten):
            out.append(GLayer("flatten"))
        elif isinstance(m, nn.Identity):
            continue
        else:
            raise ValueError(m)
    return out


def chain_forward(layers, a):
    acts = [a]
    for l in layers:
        acts.append(l.forward_graph([acts[-1]]))
    return acts


def chain_backward(layers, acts, R, rule_of, bounds=None):
    for i in reversed(range(len(layers))):
        layer, a = layers[i], acts[i]
        if layer.parametric:
            rule = rule_of(layer.param)
            R = ref.lrp_parametric(layer, rule, a, R, bounds if rule == "zb" else None)
        elif layer.type == "globalavgpool":
            R = ref.lrp_pool(layer, a, R, "avg")
        elif layer.type == "flatten":
            R = R.reshape(a.shape)
        # relu, clip: unchanged
    return R


def module_walk_lrp(name, model, x, targets, rule_of, mean, std):
    """The same LRP, written by hand for the two architectures on the PyTorch modules.

    rule_of(module path of a conv/linear) -> rule.
    """
    ch = dict(model.named_children())
    bounds = zb_bounds(x, mean, std)
    if name == "resnet":
        stem = walk_layers([(n, ch[n]) for n in ("stem_conv", "stem_bn", "stem_relu")], "")
        head = walk_layers([(n, ch[n]) for n in ("pool", "flatten", "fc")], "")
        blocks = []
        for bname in ("block1", "block2"):
            b = ch[bname]
            main = walk_layers([("conv1", b.conv1), ("bn1", b.bn1), ("relu1", b.relu1), ("conv2", b.conv2),
                                ("bn2", b.bn2)], f"{bname}.")
            sc = walk_layers(list(b.shortcut.named_children()), f"{bname}.shortcut.") \
                if isinstance(b.shortcut, nn.Sequential) else []
            blocks.append((main, sc))
        # forward
        a_stem = chain_forward(stem, x)
        h, saved = a_stem[-1], []
        for main, sc in blocks:
            am, asc = chain_forward(main, h), chain_forward(sc, h)
            z = am[-1] + asc[-1]
            saved.append((am, asc, z))
            h = z.clamp(min=0)
        a_head = chain_forward(head, h)
        logits = a_head[-1]
        R = torch.zeros_like(logits)
        idx = torch.arange(len(targets))
        R[idx, targets] = logits[idx, targets]
        # backward
        R = chain_backward(head, a_head, R, rule_of)
        for (main, sc), (am, asc, z) in zip(reversed(blocks), reversed(saved)):
            # relu2 passes R; the add splits it in proportion to the two summands
            s = ref.stabilised_div(R, z, ADD_EPS)
            R_main, R_sc = am[-1] * s, asc[-1] * s
            R = chain_backward(main, am, R_main, rule_of) + chain_backward(sc, asc, R_sc, rule_of)
        return chain_backward(stem, a_stem, R, rule_of, bounds).detach(), logits

    if name == "mobilenet":
        br = ch["branch"]
        stem = walk_layers([(n, ch[n]) for n in ("stem_conv", "stem_bn", "stem_relu6")], "")
        dw = walk_layers([(n, getattr(br, n)) for n in ("dw_conv", "dw_bn", "dw_relu6")], "branch.")
        pw = walk_layers([(n, getattr(br, n)) for n in ("pw_conv", "pw_bn", "pw_relu")], "branch.")
        tail = walk_layers([(n, ch[n]) for n in ("fuse_conv", "fuse_relu", "dw2_conv", "dw2_bn", "dw2_relu6",
                                                 "pw2_conv", "pw2_bn", "pw2_relu", "pool", "flatten", "fc")], "")
        a_stem = chain_forward(stem, x)
        a_dw = chain_forward(dw, a_stem[-1])
        a_pw = chain_forward(pw, a_dw[-1])
        cat = torch.cat([a_pw[-1], a_dw[-1]], 1)
        a_tail = chain_forward(tail, cat)
        logits = a_tail[-1]
        R = torch.zeros_like(logits)
        idx = torch.arange(len(targets))
        R[idx, targets] = logits[idx, targets]
        R = chain_backward(tail, a_tail, R, rule_of)
        n_pw = a_pw[-1].shape[1]
        R_p, R_d = R[:, :n_pw], R[:, n_pw:]
        R_d = R_d + chain_backward(pw, a_pw, R_p, rule_of)       # d feeds both the concat and pw
        R = chain_backward(dw, a_dw, R_d, rule_of)
        return chain_backward(stem, a_stem, R, rule_of, bounds).detach(), logits
    raise ValueError(name)


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------

def range_spec(rules, layers):
    """{0: 'zb', 3: 'gamma=0.25', 6: 'gamma=0.25', ...} -> '0:zb;3-6:gamma=0.25;...;20-:zero'.

    Runs of consecutive parametric layers with the same rule become one range (spanning the layers
    without weights between them); the last range is open-ended. Checked against parse_spec.
    """
    runs = []
    for i, r in sorted(rules.items()):
        if runs and runs[-1][2] == r:
            runs[-1][1] = i
        else:
            runs.append([i, i, r])
    parts = []
    for k, (lo, hi, r) in enumerate(runs):
        rng = f"{lo}-" if k == len(runs) - 1 else (f"{lo}" if lo == hi else f"{lo}-{hi}")
        parts.append(f"{rng}:{r}")
    spec = ";".join(parts)
    assert ref.parse_spec(spec, layers) == dict(sorted(rules.items())), spec
    return spec


def case_list(layers):
    """(name, kind, spec-or-preset, rules); tutorial_spec = the tutorial preset as an index-range spec."""
    cases = [(name, "spec", spec, ref.parse_spec(spec, layers)) for name, spec in SPEC_CASES]
    tut = ref.resolve_preset("tutorial", layers)
    cases.append(("tutorial", "preset", "tutorial", tut))
    cases.append(("tutorial_spec", "spec", range_spec(tut, layers), tut))
    return cases


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------

def save_npy(rel_path, arr):
    return mf.save_npy(rel_path, arr, OUT)


def clip_saturated_images(graph, x):
    """Images with at least one unit above a Clip's upper bound (there LRP-0 != gradient x input)."""
    env = graph.forward(x)
    sat = torch.zeros(len(x), dtype=torch.bool)
    for l in graph.layers:
        if l.type == "clip":
            sat |= (env[l.inputs[0]] > l.clip[1]).flatten(1).any(1)
    return torch.nonzero(sat).flatten().tolist()


def relu6_to_relu(model):
    """Copy of a PyTorch model with every ReLU6 replaced by ReLU."""
    model = copy.deepcopy(model)
    for m in list(model.modules()):
        for n, child in m.named_children():
            if isinstance(child, nn.ReLU6):
                setattr(m, n, nn.ReLU())
    return model


def make_references(name, model, cfg, accuracy, pixels, labels):
    mean, std = [cfg["mean"]], [cfg["std"]]
    d = f"reference/{name}"
    onnx_rel = f"models/{name}.onnx"
    graph = OnnxGraph(os.path.join(OUT, onnx_rel))
    x32 = mf.preprocess(pixels, cfg["mean"], cfg["std"])
    x64 = x32.to(torch.float64)
    model64 = copy.deepcopy(model).to(torch.float64).eval()
    with torch.no_grad():
        logits = model64(x64)
    targets = logits.argmax(1)
    table = graph.table(x64)

    entry = {
        "onnx": onnx_rel, "opset": OPSET, "mean": mean, "std": std, "input_shape": [1, 28, 28],
        "test_accuracy": round(accuracy, 4),
        "onnx_nodes": [{"op": n.op_type, "name": n.name} for n in onnx.load(os.path.join(OUT, onnx_rel)).graph.node],
        "layers": table,
        "labels": labels, "targets": targets.tolist(),
        "clip_saturated_images": clip_saturated_images(graph, x64),
        "input": save_npy(f"{d}/input.npy", x32),
        "logits": save_npy(f"{d}/logits.npy", logits),
        "gradxinput": save_npy(f"{d}/gradxinput.npy", mf.gradient_x_input(model64, x64, targets)),
        "cases": [], "resolved_rules": {},
    }
    results, files = {}, {}
    graph32 = graph.cast(torch.float32)
    for case, kind, what, rules in case_list(graph.layers):
        if case == "tutorial_spec":                       # same rules as the preset: same reference file
            R = results["tutorial"]
            tut = next(e for e in entry["cases"] if e["name"] == "tutorial")
            c = {"name": case, "spec": what, "maxpool": "avg", "file": files["tutorial"], "same_as": "tutorial",
                 "sums": tut["sums"], "float32_deviation": tut["float32_deviation"],
                 "float32_deviation_per_image": tut["float32_deviation_per_image"]}
            entry["cases"].append(c)
            results[case] = R
            continue
        R, sums = graph_lrp(graph, x64, targets, rules, mean, std, layer_sums=True)
        results[case] = R
        R32 = graph_lrp(graph32, x32, targets, rules, mean, std).to(torch.float64)
        dev = (R32 - R).flatten(1).abs().max(1).values / R.flatten(1).abs().max(1).values.clamp(min=1e-300)
        files[case] = save_npy(f"{d}/{case}.npy", R)
        c = {"name": case, kind: what, "maxpool": "avg", "file": files[case],
             "sums": R.flatten(1).sum(1).tolist(),
             "float32_deviation": float(f"{dev.max().item():.2g}"),
             "float32_deviation_per_image": [float(f"{v:.2g}") for v in dev.tolist()]}
        if case == LAYER_SUMS_CASE:
            c["layer_sums"] = sums.tolist()
        entry["cases"].append(c)
        if kind == "preset":
            entry["resolved_rules"][what] = {str(i): r for i, r in rules.items()}
    return entry, dict(graph=graph, x64=x64, x32=x32, logits=logits, targets=targets, model64=model64,
                       results=results, mean=mean, std=std)


# --------------------------------------------------------------------------------------------
# Self-checks
# --------------------------------------------------------------------------------------------

def fmt(values):
    return "[" + ", ".join(f"{v:.1e}" for v in values) + "]"


def check_model(name, entry, dd, worst):
    graph, x64, targets, results = dd["graph"], dd["x64"], dd["targets"], dd["results"]
    mean, std, model64 = dd["mean"], dd["std"], dd["model64"]
    global ADD_EPS
    idx = torch.arange(len(x64))
    print(f"\n[{name}]")

    # the ONNX layer table (BN folded, float64) vs the PyTorch model
    env = graph.forward(x64)
    diff = (env[graph.output_name] - dd["logits"]).abs().max().item()
    print(f"  ONNX graph (BN folded, float64) vs PyTorch logits: max abs diff {diff:.2e}")
    worst.add("onnx graph vs pytorch logits", diff)
    xr = torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    with torch.no_grad():
        diff = (graph.logits(xr) - model64(xr)).abs().max().item()
    print(f"  same on random input: max abs diff {diff:.2e}")
    worst.add("onnx graph vs pytorch logits", diff)
    for l in graph.layers:
        if l.type == "clip":
            a = env[l.inputs[0]]
            print(f"  (info) {l.name}: units clipped at {l.clip[1]:g}: {(a > l.clip[1]).sum().item()} of {a.numel()}")

    # (a) conservation: LRP-0 everywhere on a copy with all (folded) biases zeroed
    nb = graph.zero_biases()
    nb_logit = nb.logits(x64)[idx, targets]
    rules0 = ref.parse_spec("0-:zero", graph.layers)

    def conservation():
        R = graph_lrp(nb, x64, targets, rules0, mean, std)
        return ((R.flatten(1).sum(1) - nb_logit).abs() / nb_logit.abs()).tolist()

    err = conservation()
    print(f"  (a) conservation (zero, biases=0; stabilisers 1e-9 conv, 1e-6 add): rel err {fmt(err)}")
    worst.add("(a) conservation rel err (stabilisers on)", max(err))
    saved = (ref.TINY, ADD_EPS)
    ref.TINY, ADD_EPS = 0.0, 0.0
    try:
        err = conservation()
    finally:
        ref.TINY, ADD_EPS = saved
    print(f"      the same with both stabilisers 0: rel err {fmt(err)}")
    worst.add("(a) conservation rel err (stabilisers 0)", max(err))
    print(f"      target logits of the bias-free copy {fmt(nb_logit.tolist())}")

    # (b) LRP-0 = gradient x input of the float64 PyTorch model (BN in eval mode = folded)
    gxi = mf.gradient_x_input(model64, x64, targets)
    scale = gxi.flatten(1).abs().max(1).values
    diff = ((results["zero"] - gxi).flatten(1).abs().max(1).values / scale).tolist()
    print(f"  (b) zero vs gradient x input: max|dR|/max|gxi| per image {fmt(diff)}")
    worst.add("(b) lrp-0 vs gradxinput (stabilisers on)", max(diff))
    ref.TINY, ADD_EPS = 0.0, 0.0
    try:
        R0 = graph_lrp(graph, x64, targets, rules0, mean, std)
    finally:
        ref.TINY, ADD_EPS = saved
    adiff = (R0 - gxi).flatten(1).abs().max(1).values
    print(f"      with stabilisers 0: max abs diff per image {fmt(adiff.tolist())}, "
          f"relative {fmt((adiff / scale).tolist())} (max |gxi| {gxi.abs().max():.2e})")
    sat = entry["clip_saturated_images"]
    ok = [n for n in range(len(x64)) if n not in sat]
    worst.add("(b) lrp-0 vs gradxinput (stabilisers 0, abs)", adiff[ok].max())
    if sat:
        print(f"      images {sat} have Clip units above 6 (gradient 0 there, LRP passes relevance): "
              f"excluded; the others: max abs diff {adiff[ok].max():.2e}")
        # the same model with ReLU6 -> ReLU (graph: Clip upper bound removed), all images
        g_relu = graph.cast(torch.float64)
        g_relu.layers = [dataclasses.replace(l, clip=(l.clip[0], float("inf"))) if l.type == "clip" else l
                         for l in g_relu.layers]
        m_relu = relu6_to_relu(model64)
        with torch.no_grad():
            t_relu = m_relu(x64).argmax(1)
        gxi_relu = mf.gradient_x_input(m_relu, x64, t_relu)
        ref.TINY, ADD_EPS = 0.0, 0.0
        try:
            R0 = graph_lrp(g_relu, x64, t_relu, rules0, mean, std)
        finally:
            ref.TINY, ADD_EPS = saved
        adiff = (R0 - gxi_relu).flatten(1).abs().max(1).values
        print(f"      ReLU6 -> ReLU copy, all images, stabilisers 0: max abs diff per image {fmt(adiff.tolist())}")
        worst.add("(b) lrp-0 vs gradxinput (stabilisers 0, abs)", adiff.max())

    # (c) the module walk (hand-written backward on the PyTorch modules) vs the ONNX-graph reference
    dmax, worst_case = 0.0, ""
    for case, _, _, rules in case_list(graph.layers):
        by_param = {}
        for i, l in enumerate(graph.layers):
            if l.parametric:
                by_param[l.param.rsplit(".", 1)[0]] = rules[i]
        Rw, lw = module_walk_lrp(name, dd["model64"], x64, targets, by_param.__getitem__, mean, std)
        R = results[case]
        dd_ = ((Rw - R).abs().max() / R.abs().max()).item()
        if dd_ >= dmax:
            dmax, worst_case = dd_, case
    print(f"  (c) module walk vs ONNX-graph reference: max|dR|/max|R| over cases {dmax:.2e} ({worst_case})")
    worst.add("(c) module walk vs graph reference", dmax)

    # batch independence
    diff = 0.0
    for case, _, _, rules in case_list(graph.layers):
        for n in range(len(x64)):
            R1 = graph_lrp(graph, x64[n:n + 1], targets[n:n + 1], rules, mean, std)
            diff = max(diff, (R1[0] - results[case][n]).abs().max().item())
    print(f"  batch independence (each image alone vs batch of {len(x64)}): max abs diff {diff:.2e}")
    worst.add("batch independence", diff)

    # layer sums of the tutorial case: the last entry is the target logit
    c = next(c for c in entry["cases"] if c["name"] == LAYER_SUMS_CASE)
    top = [s[-1] for s in c["layer_sums"]]
    assert np.allclose(top, dd["logits"][idx, targets].tolist(), rtol=1e-12)
    print("    (info) float32_deviation: " + ", ".join(f"{c['name']} {c['float32_deviation']:.1e}"
                                                    for c in entry["cases"]))
    if any(l.type == "add" for l in graph.layers):
        for name_ in ("zero", "tutorial"):
            c = next(c for c in entry["cases"] if c["name"] == name_)
            print(f"    (info) {name_} float32_deviation per image {fmt(c['float32_deviation_per_image'])}")
        rules = ref.parse_spec("0-:zero", graph.layers)
        ADD_EPS = 0.0
        try:
            R = graph_lrp(graph, x64, targets, rules, mean, std)
            R32 = graph_lrp(graph.cast(torch.float32), dd["x32"], targets, rules, mean, std).double()
        finally:
            ADD_EPS = saved[1]
        dev = (R32 - R).flatten(1).abs().max(1).values / R.flatten(1).abs().max(1).values
        print(f"    (info) zero float32_deviation if the Add stabiliser were 0 (not the fixture): {fmt(dev.tolist())}")


class Worst(dict):
    def add(self, key, value):
        self[key] = max(self.get(key, 0.0), float(value))


# --------------------------------------------------------------------------------------------

def write_readme(manifest):
    lines = [
        "# Branching-graph LRP fixtures",
        "",
        "Made by `scripts/make_graph_fixtures.py` (run `/usr/bin/python3 scripts/make_graph_fixtures.py`;",
        "deterministic). Two small models trained on Fashion-MNIST (input (pixel/255 - 0.2860)/0.3530,",
        "N x 1 x 28 x 28), exported with torch.onnx (opset 13, BatchNormalization kept as nodes), and LRP",
        "reference relevance computed in float64 on the ONNX graph. Layout, file formats and case fields",
        "as in ../manifest.json (paths in `manifest.json` here are relative to this folder).",
        "",
        "| model | test accuracy | graph features |",
        "|---|---|---|",
    ]
    feats = {"resnet": "Conv+BN, residual Add (identity and conv1x1/s2+BN shortcuts), GlobalAveragePool, "
                       "Flatten, Gemm; one Identity(initializer) node (torch de-duplicated two equal BN biases)",
             "mobilenet": "Conv+BN, depthwise (grouped) Conv, Clip(0,6) = ReLU6, Concat along channels, "
                          "GlobalAveragePool, Flatten, Gemm"}
    for n, e in manifest["models"].items():
        lines.append(f"| {n} | {e['test_accuracy']:.4f} | {feats[n]} |")
    lines += [
        "",
        "## Layer table",
        "Layer indices = ONNX node order after removing Identity, Dropout and Constant nodes, BatchNormalization",
        "nodes that directly follow a Conv (folded: W' = W*g/sqrt(var+eps), b' = (b-mean)*g/sqrt(var+eps)+beta;",
        "the layer keeps the Conv's node name and produces the BN's output tensor) and a trailing Softmax.",
        "`manifest.json` lists it per model (`layers`: index, op, type, name, inputs = producer layer",
        "indices with -1 for the graph input, output_shape without the batch axis).",
        "",
        "## Semantics",
        "- Conv (grouped/depthwise too) and Gemm: the rule of the layer, exactly as `scripts/lrp_reference.py`",
        "  (four steps; epsilon = K * per-image RMS of z; gamma also on the bias; zb bounds (0-mean)/std,",
        "  (1-mean)/std). A grouped conv applies rho to its weights; the transposed pass is per group.",
        "- Relu and Clip: relevance passes unchanged (also where Clip saturates at 6).",
        "- GlobalAveragePool: z-rule through the average (stabiliser 1e-9), as AveragePool in lrp_reference.py.",
        "- Flatten: reshape.",
        "- Add (two activations): R_i = x_i * R / (z + 1e-6*sign(z)), sign(0) = +1, and 0 where z == 0 exactly.",
        "- Concat: each input gets the relevance of its channel slice.",
        "- A tensor consumed by several layers receives the sum of their relevance.",
        "- Start: the logit of the target class (target = predicted class), one-hot.",
        "",
        "## Cases",
        "zero, epsilon (=0.25), gamma (=0.25), alpha1beta0, tutorial (preset), tutorial_spec (the same",
        "rules as an index-range spec; same file). `layer_sums` (tutorial case only): per image, for each layer",
        "l the sum of the relevance layer l passes to its input(s), last entry the target logit.",
        "`float32_deviation` (max over images) and `float32_deviation_per_image`: max|R32 - R|/max|R| of the",
        "same reference run in float32 -- a floor for test tolerances. Besides gamma on the signed pixel layer",
        "(as in the sequential fixtures), branching adds two ill-conditioned spots (resnet, ~1e-3):",
        "- gamma on a conv whose output feeds an Add directly (no ReLU in between, here block1/conv2 in the",
        "  tutorial preset): its output relevance x_i*R/z is non-zero where the conv output is negative, so",
        "  the gamma denominator can come near 0 where relevance arrives (in a chain ReLU prevents that);",
        "- the Add's absolute 1e-6 stabiliser on units where x1 + x2 is ~1e-6 with |x_i| ~ 1 (float32 noise",
        "  of z is of the order of the stabiliser): resnet image 6 in the zero/epsilon cases.",
        "- mobilenet: `clip_saturated_images` lists images with a ReLU6 unit above 6; there LRP-0 (relevance",
        "  passes Clip unchanged) differs from gradient x input (gradient 0), so `zero.npy` != `gradxinput.npy`",
        "  on those images by design.",
        "- resnet.onnx begins with `Identity(block2.bn2.bias) -> block2.shortcut.bn.bias`: torch.onnx",
        "  de-duplicated two bit-identical initializers (the two BN biases before an Add get identical",
        "  gradients, so they stay equal). An importer must treat it as an alias of an initializer.",
        "",
        "| model | tutorial spec |",
        "|---|---|",
    ]
    for n, e in manifest["models"].items():
        spec = next(c["spec"] for c in e["cases"] if c["name"] == "tutorial_spec")
        lines.append(f"| {n} | `{spec}` |")
    lines.append("")
    with open(os.path.join(OUT, "README.md"), "w") as fh:
        fh.write("\n".join(lines))


def main():
    t0 = time.time()
    torch.set_num_threads(1)            # fixed, so that reruns on this machine are bit-identical
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(os.path.join(OUT, "models"))
    train_set, test_set = mf.load_fashion_mnist()
    pixels = test_set[0][:N_TEST_IMAGES]
    labels = test_set[1][:N_TEST_IMAGES].tolist()

    manifest = {
        "images": {"source": "fashion-mnist t10k", "indices": list(range(N_TEST_IMAGES))},
        "notes": [
            "paths are relative to this folder (fixtures/graph/)",
            "targets = argmax of logits (the predicted class); logits are pre-softmax",
            "layers: the layer table (see README.md); inputs are producer layer indices, -1 = graph input",
            "add: R_i = x_i * R / (z + 1e-6*sign(z)), sign(0)=+1, s = 0 where z == 0; concat: channel slices; "
            "relu and clip: unchanged; several consumers: relevance summed",
            "tutorial_spec: the tutorial preset written as an index-range spec; same reference file",
            "layer_sums (tutorial only): per image, per layer l: sum of the relevance layer l passes to its "
            "input(s); last entry the target logit",
            "float32_deviation: max over images of max|R32 - R|/max|R| when the same reference runs in float32",
        ],
        "models": {},
    }
    data, torch_models = {}, {}
    for name, cfg in MODELS.items():
        t = time.time()
        torch.manual_seed(cfg["seed"])
        model = build(name)
        acc = mf.train(model, train_set, test_set, cfg["mean"], cfg["std"], cfg["epochs"], cfg["lr"], cfg["seed"])
        print(f"{name}: test accuracy {acc:.4f} ({time.time() - t:.0f} s)")
        path = os.path.join(OUT, "models", f"{name}.onnx")
        mf.export_onnx(model, path, OPSET)                # TrainingMode.PRESERVE: BatchNormalization kept
        nodes = onnx.load(path).graph.node
        print(f"  exported op types: {dict(sorted(collections.Counter(n.op_type for n in nodes).items()))}")
        print("  node order: " + ", ".join(f"{n.name}({n.op_type})" for n in nodes))
        print(f"  (info) torch.onnx default TrainingMode.EVAL export would give: "
              f"{dict(sorted(export_default_eval(model).items()))}")
        manifest["models"][name], data[name] = make_references(name, model, cfg, acc, pixels, labels)
        torch_models[name] = model

    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")
    write_readme(manifest)

    print("\n=== layer tables ===")
    for name, e in manifest["models"].items():
        print(f"[{name}]")
        for row in e["layers"]:
            extra = f" + {row['folded_bn']}" if "folded_bn" in row else ""
            print(f"  {row['index']:3d}  {row['op']:18s} {row['name'] + extra:70s} in {str(row['inputs']):9s} "
                  f"out {'x'.join(map(str, row['output_shape']))}")
        for c in e["cases"]:
            if c["name"] == "tutorial_spec":
                print(f"  tutorial spec: {c['spec']}")

    print("\n=== self-checks ===")
    worst = Worst()
    for name, dd in data.items():
        check_model(name, manifest["models"][name], dd, worst)
    for f in sorted(os.listdir(os.path.join(OUT, "models"))):
        onnx.checker.check_model(onnx.load(os.path.join(OUT, "models", f)), full_check=True)
    print("\n=== worst figures over both models ===")
    for k, v in worst.items():
        print(f"  {k:48s} {v:.2e}")
    limits = {"onnx graph vs pytorch logits": 1e-8, "(a) conservation rel err (stabilisers on)": 1e-5,
              "(a) conservation rel err (stabilisers 0)": 1e-12, "(b) lrp-0 vs gradxinput (stabilisers 0, abs)": 1e-8,
              "(c) module walk vs graph reference": 1e-9, "batch independence": 1e-12}
    bad = {k: worst[k] for k, v in limits.items() if not worst[k] <= v}
    assert not bad, f"self-checks failed: {bad}"

    mf.report_files(OUT, t0, width=40)


if __name__ == "__main__":
    main()
