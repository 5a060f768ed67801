"""Float64 LRP reference on the layer table of a branching ONNX graph (residual Add, channel Concat,
grouped/depthwise conv, ReLU6 as Clip): the reference of the graph fixtures (fixtures/make_graph_fixtures.py),
also run by torch_baseline.py and zoo/float32_four_step.py.

OnnxGraph reads the graph with onnx_graph.read and makes one canonical layer (chain.Layer plus wiring) per node,
BatchNormalization folded into the preceding Conv; graph_lrp applies chain.py's four steps to every parametric
layer in reverse order, splits a residual Add in proportion to its summands and a Concat by channel slices.
"""
import copy
import dataclasses
from dataclasses import dataclass
from typing import Optional, Tuple

import torch
import torch.nn.functional as F

from . import chain as ref
from . import onnx_graph
from .onnx_graph import sym_pads

ADD_EPS = 1e-6                          # absolute stabiliser of the residual Add split

# --------------------------------------------------------------------------------------------
# Graph layers and the ONNX layer table
# --------------------------------------------------------------------------------------------

@dataclass
class GLayer(ref.Layer):
    """A canonical layer of a graph: chain.Layer plus wiring, grouped convs and Clip/Add/Concat.

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


OP_TYPES = {"Conv": "conv", "Gemm": "dense", "Relu": "relu", "Clip": "clip", "MaxPool": "maxpool",
            "AveragePool": "avgpool", "GlobalAveragePool": "globalavgpool", "Flatten": "flatten",
            "Add": "add", "Concat": "concat"}


class OnnxGraph:
    """The layer table of an ONNX graph, float64 parameters (BN folded into the preceding Conv).

    Layer order = ONNX node order after removing Identity, Dropout and Constant nodes (onnx_graph.read),
    BatchNormalization nodes directly after a Conv (folded) and a trailing Softmax/LogSoftmax.
    """

    def __init__(self, path, dtype=torch.float64):
        g = onnx_graph.read(path)                         # constants as stored: cast to dtype where used
        consts = g.consts
        consumers = {}
        for n in g.nodes:
            for i in n.inputs:
                if i:
                    consumers[i] = consumers.get(i, 0) + 1
        self.input_name, self.output_name = g.input_name, g.output_name
        self.layers = []
        producer = {}                                     # tensor -> index of the layer producing it
        for node in g.nodes:
            op, at, ins = node.op, node.at, node.inputs
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
                prev.output = node.outputs[0]
                producer[prev.output] = j
                continue
            assert op in OP_TYPES, f"{node.name}: unsupported op {op}"
            layer = GLayer(OP_TYPES[op], op=op, name=node.name, output=node.outputs[0])
            if op == "Conv":
                assert at.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
                w = consts[ins[1]].to(dtype)
                b = consts[ins[2]].to(dtype) if len(ins) > 2 and ins[2] else torch.zeros(w.shape[0], dtype=dtype)
                layer.weight, layer.bias, layer.param = w, b, ins[1]
                layer.stride = tuple(at.get("strides", (1, 1)))
                layer.padding = sym_pads(at.get("pads"))
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
                layer.padding = sym_pads(at.get("pads"))
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
