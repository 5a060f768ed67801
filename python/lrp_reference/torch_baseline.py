#!/usr/bin/python3
"""PyTorch float32 CPU baseline for the LRP benchmark, written as a user of Montavon's LRP tutorial would.

    /usr/bin/python3 python/lrp_reference/torch_baseline.py --onnx M.onnx --spec '0:zb;2:avg;3:epsilon=0.25' \
        --mean 0.286 --std 0.353 --batch 16 --threads 2 --warmup 1 --repeats 5 [--seed 0] [--check]

One repeat (timed with time.perf_counter) = forward pass + LRP back to the input for the whole batch,
following the tutorial's VGG-16 code (heatmapping.org, "LRP tutorial"):

    A[l+1] = layers[l].forward(A[l])                    forward pass, autograd on (params require grad)
    for l from the top:
        A[l] = A[l].data.requires_grad_(True)
        z = incr(newlayer(layers[l], rho).forward(A[l]))   1. deep copy with rho(weight), rho(bias)
        s = (R / z).data                                    2.
        (z * s).sum().backward(); c = A[l].grad             3. (also computes the unused weight grads)
        R = (A[l] * c).data                                 4.

i.e. autograd with weight gradients, a forward pass recomputed per layer, a deep copy per layer.
The z^B pixel layer uses three forward passes (x with W, l with W+, h with W-) and autograd, as in the
tutorial. Max pooling is replaced by AvgPool2d of the same geometry in the LRP pass (mode "avg").
Dense layers are kept as nn.Linear (the tutorial converts VGG's to convolutions; same arithmetic).
Project conventions (docs/lrp-layers.md) replace the tutorial's where they differ: the stabiliser is applied
with the sign of z (z + e*sign+(z), sign+(0) = +1, e = 1e-9 plus K*RMS for epsilon=K), and the RMS of
epsilon=K is taken per image, not over the batch. (chain.py and the Java side also set s = 0 where
z == 0 exactly; here such a unit gets s = R/1e-9, as in the tutorial. It changes no timing and is
visible only where R != 0 at z == 0.)

Rules: zero, epsilon=K, epsilon-abs=E, gamma=G, alpha1beta0, zb (bounds l=(0-mean)/std, h=(1-mean)/std).
The spec's layer indices are chain.py's canonical list (parse_spec is imported from there):
every conv, dense, relu, maxpool, avgpool, globalavgpool and flatten/reshape is one index; Dropout,
Identity and a final Softmax are not indexed (and not run). BatchNormalization is refused.

Branching graphs (any model that is not such a chain, e.g. ResNet-50 from python/zoo/make_resnet50.py,
the graph fixtures resnet/mobilenet): the layer table, indices and semantics of graph.py's
float64 reference (ONNX node order minus Identity/Dropout/Constant, BatchNormalization folded into the
preceding Conv, trailing Softmax dropped; Conv incl. grouped, Gemm, Relu, Clip, MaxPool, AveragePool,
GlobalAveragePool, Flatten, Add, Concat), in float32 nn modules. One repeat = one forward pass without
autograd keeping every activation by tensor name, then for each layer from the top the same four steps
(lrp_step / lrp_zb above) with requires_grad on the activation only (the parameters are frozen, so no
weight gradients, unlike the chain path), and:
    Relu, Clip: relevance passes unchanged          Flatten: reshape
    Add z = x1 + x2: four steps with autograd, z + 1e-6*sign+(z): R_i = x_i * R / (z + 1e-6*sign+(z))
    Concat: each input gets its channel slice        a tensor read by several layers: relevance summed
MaxPool is again AvgPool2d of the same geometry ("avg"); the spec indexes the graph's layer table.

Stdout: one line of JSON (times, median, images/s, peak RSS, relevance sum and target logit per image).
Everything else goes to stderr. A non-finite logit or relevance exits with status 1.
--check (not for timing) also compares the result in float64 with chain.lrp (chains) or
graph.graph_lrp (graphs).
"""
import argparse
import copy
import json
import os
import resource
import statistics
import sys
import time

import onnx
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # python/
from lrp_reference import chain as ref  # noqa: E402  (spec parsing and canonical indexing)
from lrp_reference import graph, onnx_graph  # noqa: E402

TINY = ref.TINY                                       # 1e-9
ADD_EPS = 1e-6                                        # residual Add stabiliser (graph.ADD_EPS)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# ONNX chain -> float32 nn modules + canonical layer types
# --------------------------------------------------------------------------------------------

def load_onnx(path, model=None):
    """Returns (modules, canonical types, input shape C,H,W) for a single-chain ONNX classifier."""
    g = onnx_graph.read(model if model is not None else path, torch.float32, strip_softmax=False)
    consts, nodes = g.consts, g.nodes
    (inp,) = [i for i in g.model.graph.input if i.name == g.input_name]
    chw = [d.dim_value for d in inp.type.tensor_type.shape.dim[1:]]
    cur, mods, types, i = g.input_name, [], [], 0

    def param(name):
        return consts[name]

    def loaded(cls, *shape, w, b):                    # a module holding the ONNX weights (no random init)
        mod = torch.nn.utils.skip_init(cls, *shape)
        mod.weight, mod.bias = nn.Parameter(w.contiguous()), nn.Parameter(b)
        return mod

    while i < len(nodes):
        n = nodes[i]
        at = n.at
        if [x for x in n.inputs if x and x not in consts] != [cur]:
            sys.exit(f"{path}: node {n.name} ({n.op}) does not continue the chain from {cur}")
        op, mod = n.op, None                   # mod: (module, canonical type)
        pads = list(at.get("pads", [0, 0, 0, 0]))
        if pads[:2] != pads[2:] or at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            sys.exit(f"{path}: node {n.name}: asymmetric or automatic padding is not supported")
        if op == "Conv":
            w = param(n.inputs[1])
            b = param(n.inputs[2]) if len(n.inputs) > 2 and n.inputs[2] else torch.zeros(w.shape[0])
            assert at.get("group", 1) == 1, "grouped convolution"
            mod = loaded(nn.Conv2d, w.shape[1], w.shape[0], tuple(w.shape[2:]), tuple(at.get("strides", [1, 1])),
                         tuple(pads[:2]), tuple(at.get("dilations", [1, 1])), w=w, b=b), "conv"
        elif op == "Gemm":
            assert not at.get("transA", 0), "Gemm with transA"
            w = param(n.inputs[1]) * at.get("alpha", 1.0)
            w = w if at.get("transB", 0) else w.t()
            b = (param(n.inputs[2]) * at.get("beta", 1.0) if len(n.inputs) > 2 and n.inputs[2]
                 else torch.zeros(w.shape[0]))
            mod = loaded(nn.Linear, w.shape[1], w.shape[0], w=w, b=b), "dense"
        elif op == "MatMul":                          # MatMul(x, W) + Add(b): one dense layer
            nxt = nodes[i + 1] if i + 1 < len(nodes) else None
            if nxt is None or nxt.op != "Add" or nxt.inputs[0] != n.outputs[0]:
                sys.exit(f"{path}: MatMul {n.name} is not followed by a bias Add")
            w, b = param(n.inputs[1]).t(), param(nxt.inputs[1])
            mod = loaded(nn.Linear, w.shape[1], w.shape[0], w=w, b=b), "dense"
            i, n = i + 1, nxt
        elif op == "Relu":
            mod = nn.ReLU(), "relu"
        elif op == "MaxPool":
            assert not at.get("ceil_mode", 0) and len(n.outputs) == 1 and at.get("dilations", [1, 1]) == [1, 1], \
                "MaxPool with ceil_mode, indices or dilation"
            mod = nn.MaxPool2d(tuple(at["kernel_shape"]), tuple(at.get("strides", [1, 1])), tuple(pads[:2])), "maxpool"
        elif op == "AveragePool":
            assert not at.get("ceil_mode", 0), "AveragePool with ceil_mode"
            mod = nn.AvgPool2d(tuple(at["kernel_shape"]), tuple(at.get("strides", [1, 1])), tuple(pads[:2]),
                               count_include_pad=bool(at.get("count_include_pad", 0))), "avgpool"
        elif op == "GlobalAveragePool":
            mod = nn.AdaptiveAvgPool2d(1), "globalavgpool"
        elif op == "Flatten":
            assert at.get("axis", 1) == 1, "Flatten axis != 1"
            mod = nn.Flatten(), "flatten"
        elif op == "Reshape":                         # only to [N, features]
            shape = consts[n.inputs[1]].tolist()
            assert len(shape) == 2 and shape[0] in (0, -1), f"Reshape to {shape}"
            mod = nn.Flatten(), "flatten"
        elif op in ("Softmax", "LogSoftmax") and i == len(nodes) - 1:
            log(f"{op} stripped: LRP explains the logits")
        else:
            sys.exit(f"{path}: unsupported op {op} (node {n.name})")
        if mod is not None:
            mods.append(mod[0])
            types.append(mod[1])
        cur, i = n.outputs[0], i + 1
    return mods, types, chw


# --------------------------------------------------------------------------------------------
# LRP as in the tutorial
# --------------------------------------------------------------------------------------------

def newlayer(layer, rho):
    """The tutorial's utils.newlayer: a deep copy with rho applied to weight and bias."""
    layer = copy.deepcopy(layer)
    try:                                               # requires_grad as the original's: chains True
        layer.weight = nn.Parameter(rho(layer.weight), requires_grad=layer.weight.requires_grad)
    except AttributeError:
        pass
    try:
        layer.bias = nn.Parameter(rho(layer.bias), requires_grad=layer.bias.requires_grad)
    except AttributeError:
        pass
    return layer


def stabilise(z, e):
    """z + e * sign+(z), sign+(0) = +1 (e is a number or a per-image tensor, no gradient)."""
    return z + e * (2 * (z >= 0).to(z.dtype) - 1)


def per_image_rms(z):
    return ((z ** 2).flatten(1).mean(1) ** .5).data.reshape((-1,) + (1,) * (z.dim() - 1))


def rho_incr(rule):
    """(rho, incr) of a conv/dense layer rule other than zb and alpha1beta0."""
    name, k = ref.parse_rule(rule)
    ident = lambda p: p                                                   # noqa: E731
    if name == "zero":
        return ident, lambda z: stabilise(z, TINY)
    if name == "epsilon":
        return ident, lambda z: stabilise(z, TINY + k * per_image_rms(z))
    if name == "epsilon-abs":
        return ident, lambda z: stabilise(z, k)
    if name == "gamma":
        return (lambda p: p + k * p.clamp(min=0)), lambda z: stabilise(z, TINY)
    sys.exit(f"the benchmark reference times zero, epsilon, epsilon-abs, gamma and zb; rule {rule} is for python/lrp_reference/chain.py")


def lrp_step(layer, rule, a, R):
    """The tutorial's four steps for one layer (a: its input activation, R: its output relevance)."""
    a = a.data.requires_grad_(True)
    if rule == "alpha1beta0":                          # z+ = W+ a+ + W- a- + b+ (chain.py's form)
        ap, an = a.data.clamp(min=0).requires_grad_(True), a.data.clamp(max=0).requires_grad_(True)
        neg = newlayer(layer, lambda p: p.clamp(max=0))
        neg.bias = nn.Parameter(torch.zeros_like(neg.bias), requires_grad=neg.weight.requires_grad)
        z = stabilise(newlayer(layer, lambda p: p.clamp(min=0)).forward(ap) + neg.forward(an), TINY)
        s = (R / z).data
        (z * s).sum().backward()
        return (ap * ap.grad + an * an.grad).data
    rho, incr = rho_incr(rule)
    z = incr(newlayer(layer, rho).forward(a))          # step 1
    s = (R / z).data                                   # step 2
    (z * s).sum().backward()                           # step 3
    c = a.grad
    return (a * c).data                                # step 4


def lrp_zb(layer, a, R, low, high):
    """z^B rule as in the tutorial: three forward passes (x: W, l: W+, h: W-), biases cancel."""
    a = a.data.requires_grad_(True)
    lb = (a.data * 0 + low).requires_grad_(True)
    hb = (a.data * 0 + high).requires_grad_(True)
    z = layer.forward(a)
    z = z - newlayer(layer, lambda p: p.clamp(min=0)).forward(lb)
    z = z - newlayer(layer, lambda p: p.clamp(max=0)).forward(hb)
    z = stabilise(z, TINY)                             # after the subtraction: no 0/0
    s = (R / z).data
    (z * s).sum().backward()
    return (a * a.grad + lb * lb.grad + hb * hb.grad).data


def explain(layers, types, rules, x, low, high):
    """Forward pass + LRP to the input. Returns (input relevance, target logits)."""
    A = [x] + [None] * len(layers)
    for l in range(len(layers)):
        A[l + 1] = layers[l].forward(A[l])
    logits = A[-1]
    target = logits.argmax(1)
    T = torch.zeros_like(logits).scatter_(1, target[:, None], 1.0)
    R = (A[-1] * T).data
    for l in reversed(range(len(layers))):
        t = types[l]
        if t in ("conv", "dense"):
            if rules[l] == "zb":
                assert set(types[:l]) <= {"flatten"}, "zb needs a pixel-level layer"
                R = lrp_zb(layers[l], A[l], R, low.reshape(A[l].shape), high.reshape(A[l].shape))
            else:
                R = lrp_step(layers[l], rules[l], A[l], R)
        elif t == "maxpool":                           # mode "avg": the tutorial's AvgPool2d swap
            m = layers[l]
            R = lrp_step(nn.AvgPool2d(m.kernel_size, m.stride, m.padding, count_include_pad=False), "zero", A[l], R)
        elif t in ("avgpool", "globalavgpool"):
            R = lrp_step(layers[l], "zero", A[l], R)
        elif t == "flatten":
            R = R.reshape(A[l].shape)
        # relu: relevance passes unchanged
    return R, logits.data.gather(1, target[:, None])[:, 0]


# --------------------------------------------------------------------------------------------
# Branching graphs (residual Add, Concat, fan-out): the same four steps, wired by the layer table
# --------------------------------------------------------------------------------------------

def is_chain(g):
    """True if every node (Constant aside) reads exactly the previous node's output (plus constants),
    i.e. the graph load_onnx accepts as a chain; anything else goes to the graph path."""
    consts = {t.name for t in g.initializer} | {n.output[0] for n in g.node if n.op_type == "Constant"}
    cur = next(i.name for i in g.input if i.name not in consts)
    for n in g.node:
        if n.op_type == "Constant":
            continue
        if [x for x in n.input if x and x not in consts] != [cur]:
            return False
        cur = n.output[0]
    return True


def input_chw(g):
    consts = {t.name for t in g.initializer}
    (inp,) = [i for i in g.input if i.name not in consts]
    return [d.dim_value for d in inp.type.tensor_type.shape.dim[1:]]


class Clamp(nn.Module):
    """ONNX Clip (ReLU6 = Clamp(0, 6))."""

    def __init__(self, lo, hi):
        super().__init__()
        self.lo, self.hi = lo, hi

    def forward(self, a):
        return a.clamp(min=self.lo, max=self.hi)


class Net:
    """A branching ONNX graph as float32 nn modules, one per layer of the project's layer table
    (graph.OnnxGraph: ONNX node order minus Identity/Dropout/Constant, BN folded into the
    preceding Conv, trailing Softmax dropped). layers[i].inputs / .output name the tensors it reads/writes."""

    def __init__(self, path, has_bn):
        # BatchNormalization nodes are folded in float64 and rounded once (as the reference folds them: a
        # float32 fold moves z by ~1e-7 relative, visible where z ~ 0 under the zero rule); without BN the
        # weights are read as float32 directly (same numbers, no float64 copy in the peak RSS)
        g = graph.OnnxGraph(path).cast(torch.float32) if has_bn else graph.OnnxGraph(path, dtype=torch.float32)
        self.layers, self.input_name, self.output_name = g.layers, g.input_name, g.output_name
        self.mods = [self.module(l) for l in self.layers]
        for m in self.mods:
            if m is not None:
                m.requires_grad_(False)               # autograd only for the activations

    @staticmethod
    def module(l):
        def loaded(cls, *shape, **kw):                # the ONNX weights, no random init
            mod = torch.nn.utils.skip_init(cls, *shape, **kw)
            mod.weight, mod.bias = nn.Parameter(l.weight.contiguous()), nn.Parameter(l.bias.contiguous())
            return mod
        if l.type == "conv":
            w = l.weight
            return loaded(nn.Conv2d, w.shape[1] * l.groups, w.shape[0], tuple(w.shape[2:]), tuple(l.stride),
                          tuple(l.padding), tuple(l.dilation), groups=l.groups)
        if l.type == "dense":
            return loaded(nn.Linear, l.weight.shape[1], l.weight.shape[0])
        if l.type == "relu":
            return nn.ReLU()
        if l.type == "clip":
            return Clamp(*l.clip)
        if l.type == "maxpool":
            return nn.MaxPool2d(l.kernel, l.stride, l.padding)
        if l.type == "avgpool":
            return nn.AvgPool2d(l.kernel, l.stride, l.padding, count_include_pad=False)
        if l.type == "globalavgpool":
            return nn.AdaptiveAvgPool2d(1)
        if l.type == "flatten":
            assert l.axis == 1, "Flatten axis != 1"
            return nn.Flatten()
        assert l.type in ("add", "concat"), l.type
        return None

    def forward(self, x):
        """All activations by tensor name (one pass, no autograd)."""
        A = {self.input_name: x}
        with torch.no_grad():
            for l, m in zip(self.layers, self.mods):
                ins = [A[t] for t in l.inputs]
                if l.type == "add":
                    A[l.output] = ins[0] + ins[1]
                elif l.type == "concat":
                    A[l.output] = torch.cat(ins, dim=1)
                else:
                    A[l.output] = m(ins[0])
        return A


def lrp_add(ins, R):
    """Residual Add z = x1 + x2, four steps: R_i = x_i * R / (z + 1e-6 sign+(z))."""
    a = [t.data.requires_grad_(True) for t in ins]
    z = stabilise(a[0] + a[1], ADD_EPS)
    s = (R / z).data
    (z * s).sum().backward()
    return [(t * t.grad).data for t in a]


def explain_graph(net, rules, x, low, high):
    """Forward pass once (activations kept) + LRP to the input. Returns (input relevance, target logits)."""
    A = net.forward(x)
    logits = A[net.output_name]
    target = logits.argmax(1)
    T = torch.zeros_like(logits).scatter_(1, target[:, None], 1.0)
    rel = {net.output_name: (logits * T).data}         # relevance by tensor name
    for l in reversed(range(len(net.layers))):
        layer, m = net.layers[l], net.mods[l]
        R = rel.pop(layer.output, None)
        if R is None:                                  # output not used: nothing flows back
            continue
        ins = [A[t] for t in layer.inputs]
        t = layer.type
        if t in ("conv", "dense"):
            if rules[l] == "zb":
                assert layer.inputs[0] == net.input_name, "zb needs the pixel layer"
                out = [lrp_zb(m, ins[0], R, low, high)]
            else:
                out = [lrp_step(m, rules[l], ins[0], R)]
        elif t == "maxpool":                           # mode "avg": the tutorial's AvgPool2d swap
            out = [lrp_step(nn.AvgPool2d(m.kernel_size, m.stride, m.padding, count_include_pad=False),
                            "zero", ins[0], R)]
        elif t in ("avgpool", "globalavgpool"):
            out = [lrp_step(m, "zero", ins[0], R)]
        elif t in ("relu", "clip"):                    # relevance passes unchanged
            out = [R]
        elif t == "flatten":
            out = [R.reshape(ins[0].shape)]
        elif t == "add":
            out = lrp_add(ins, R)
        elif t == "concat":                            # each input: its channel slice
            out = list(torch.split(R, [a.shape[1] for a in ins], dim=1))
        else:
            raise ValueError(t)
        for name, r in zip(layer.inputs, out):         # a tensor read by several layers: sum
            rel[name] = rel[name] + r if name in rel else r
    return rel.pop(net.input_name), logits.gather(1, target[:, None])[:, 0]


# --------------------------------------------------------------------------------------------

def floats(s):
    return [float(v) for v in s.split(",")]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--onnx", required=True)
    p.add_argument("--spec", required=True, help="project rule spec, e.g. '0:zb;2:avg;3:epsilon=0.25'")
    p.add_argument("--mean", type=floats, default=[0.0])
    p.add_argument("--std", type=floats, default=[1.0])
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--check", action="store_true", help="also compare with the float64 reference (chain.lrp or graph.graph_lrp)")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    log(f"torch {torch.__version__}: {torch.get_num_threads()} intra-op thread(s), "
        f"{torch.get_num_interop_threads()} inter-op; mkldnn={torch.backends.mkldnn.is_available()}")

    proto = onnx.load(args.onnx)
    chain = is_chain(proto.graph)
    if chain:
        layers, types, chw = load_onnx(args.onnx, proto)
    else:
        chw = input_chw(proto.graph)
        has_bn = any(n.op_type == "BatchNormalization" for n in proto.graph.node)
    del proto
    if not chain:
        net = Net(args.onnx, has_bn)
        types = [l.type for l in net.layers]
        log(f"branching graph: {len(types)} layers, {types.count('add')} add, {types.count('concat')} concat")
    log(f"model loaded; peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    # the spec's "2:avg" style entries (pooling modes) are not rules; only "avg" is implemented
    spec_parts = [s for s in args.spec.split(";") if s.strip()]
    pool_modes = {part.split(":", 1)[1] for part in spec_parts if part.split(":", 1)[1] in ("avg", "wta")}
    if pool_modes - {"avg"}:
        sys.exit("only max-pooling mode 'avg' is implemented")
    canon = [ref.Layer(t) for t in types] if chain else net.layers
    rules = ref.parse_spec(";".join(s for s in spec_parts if s.split(":", 1)[1] not in ("avg", "wta")), canon)
    if not chain:   # single-index terms (the Java side's canonical spec) must hit a layer of their kind
        for part in spec_parts:
            rng, what = part.split(":", 1)
            want = ("maxpool",) if what in ("avg", "wta") else ("conv", "dense")
            if "-" not in rng and not (int(rng) < len(types) and types[int(rng)] in want):
                sys.exit(f"spec term {part!r}: layer {rng} is not a {'/'.join(want)} layer in this layer table "
                         f"({len(types)} layers) -- do the Java and Python layer tables differ?")
    log("layers:", " ".join(f"{i}:{t}" + (f"[{rules[i]}]" if i in rules else "") for i, t in enumerate(types)))

    C = chw[0]
    mean = torch.tensor(args.mean).reshape(1, -1, 1, 1).expand(1, C, 1, 1)
    std = torch.tensor(args.std).reshape(1, -1, 1, 1).expand(1, C, 1, 1)
    torch.manual_seed(args.seed)
    x = (torch.rand(args.batch, *chw) - mean) / std
    low, high = ((0 - mean) / std).expand_as(x), ((1 - mean) / std).expand_as(x)

    if chain:
        with torch.no_grad():
            out = x
            for m in layers:
                out = m(out)
    else:
        out = net.forward(x)[net.output_name]
    if not torch.isfinite(out).all():
        sys.exit("non-finite logits")

    times = []
    for r in range(args.warmup + args.repeats):
        t0 = time.perf_counter()
        R, target_logit = (explain(layers, types, rules, x, low, high) if chain
                           else explain_graph(net, rules, x, low, high))
        dt = time.perf_counter() - t0
        if not (torch.isfinite(R).all() and torch.isfinite(target_logit).all()):
            log(f"NaN/Inf in the relevance (repeat {r})")
            sys.exit(1)
        log(f"{'warm-up' if r < args.warmup else 'repeat'} {r}: {dt:.4f} s")
        if r >= args.warmup:
            times.append(dt)

    if args.check and chain:
        Rref = ref.lrp(ref.canonical_layers(nn.Sequential(*layers)), x.double(), out.argmax(1), rules,
                       "avg", args.mean, args.std)
        err = (R.double() - Rref).abs().max() / Rref.abs().max()
        log(f"check vs chain.lrp (float64): max |diff| / max |R| = {err:.2e}")
    elif args.check:
        Rref = graph.graph_lrp(graph.OnnxGraph(args.onnx), x.double(), out.argmax(1), rules, args.mean, args.std, "avg")
        err = (R.double() - Rref).abs().max() / Rref.abs().max()
        d = (R.double() - Rref).flatten(1).abs().max(1).values / Rref.flatten(1).abs().max(1).values
        log(f"check vs graph.graph_lrp (float64): max |diff| / max |R| = {err:.2e}; "
            f"per image {' '.join(f'{v:.1e}' for v in d.tolist())}")

    median = statistics.median(times)
    print(json.dumps({
        "model": os.path.splitext(os.path.basename(args.onnx))[0],
        "batch": args.batch, "threads": args.threads,
        "times_s": times, "median_s": median, "images_per_s": args.batch / median,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__,
        "relevance_sum": R.flatten(1).sum(1).tolist(),
        "target_logit": target_logit.tolist()}))


if __name__ == "__main__":
    main()
