"""Independent float64 reference implementation of Layer-wise Relevance Propagation (LRP).

This module is the contract the Java/ND4J implementation is tested against (see
docs/lrp-layers.md for the layer semantics and python/fixtures/make_fixtures.py for how fixtures are made).
It follows the four steps of the LRP tutorial, using autograd for the transposed operation:

    1. z = rho(layer)(a) + stabiliser      (forward pass with transformed weights and bias)
    2. s = R / z                            (element-wise)
    3. c = d(sum(z * s.detach())) / d(a)    (= rho(layer)^T(s), the transposed operation)
    4. R_in = a * c

Everything is computed in float64 on a *canonical layer list*: a PyTorch nn.Sequential is
turned into a list of `Layer`s (conv, dense, relu, maxpool, avgpool, globalavgpool, flatten)
with BatchNorm folded into the preceding conv/dense and Softmax/Dropout/Identity dropped.
Layers are indexed 0, 1, 2, ... in that list; rule specs such as "0:zb;1-:gamma=0.25" index
into it. Only conv and dense layers ("parametric") take rules.

Conventions shared by all rules (stabiliser e, denominator d):
    d = z + e * sign+(z)  with sign+(0) = +1,   s = R / d,   but s = 0 wherever z == 0 exactly.
"""
import math
from dataclasses import dataclass
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

TINY = 1e-9                     # stabiliser of the "zero", gamma, alpha-beta, flat, w^2, zb rules
DTYPE = torch.float64
PARAMETRIC = ("conv", "dense")


class MatMulDense(nn.Module):
    """Dense layer written as `x @ W + b` with explicit parameters (W: in x out).

    torch.onnx exports it as MatMul + Add instead of Gemm; the canonical list treats it as
    one `dense` layer.
    """

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.W = nn.Parameter(torch.randn(n_in, n_out) / math.sqrt(n_in))
        self.b = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.matmul(x, self.W) + self.b


# --------------------------------------------------------------------------------------------
# Canonical layer list
# --------------------------------------------------------------------------------------------

@dataclass
class Layer:
    """One entry of the canonical layer list (float64 parameters)."""
    type: str                                  # conv|dense|relu|maxpool|avgpool|globalavgpool|flatten
    weight: Optional[torch.Tensor] = None      # conv: (out, in, kh, kw); dense: (out, in)
    bias: Optional[torch.Tensor] = None        # (out,)
    stride: Tuple[int, int] = (1, 1)           # conv and pooling
    padding: Tuple[int, int] = (0, 0)
    dilation: Tuple[int, int] = (1, 1)         # conv only
    kernel: Tuple[int, int] = (1, 1)           # pooling only

    @property
    def parametric(self) -> bool:
        return self.type in PARAMETRIC

    def linear(self, a, weight, bias=None):
        """This layer's affine map, with the given (possibly transformed) weight and bias."""
        if self.type == "conv":
            return F.conv2d(a, weight, bias, self.stride, self.padding, self.dilation)
        return F.linear(a, weight, bias)

    def avgpool(self, a):
        """Average pooling with this layer's geometry (padded positions are not counted)."""
        if self.type == "globalavgpool":
            return a.mean(dim=(2, 3), keepdim=True)
        return F.avg_pool2d(a, self.kernel, self.stride, self.padding, count_include_pad=False)

    def forward(self, a):
        if self.parametric:
            return self.linear(a, self.weight, self.bias)
        if self.type == "relu":
            return a.clamp(min=0)
        if self.type == "maxpool":
            return F.max_pool2d(a, self.kernel, self.stride, self.padding)
        if self.type in ("avgpool", "globalavgpool"):
            return self.avgpool(a)
        if self.type == "flatten":
            return a.flatten(1)
        raise ValueError(self.type)


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _fold_bn(weight, bias, bn):
    """Fold an eval-mode BatchNorm into the preceding layer (per output channel/unit)."""
    gamma, beta = bn.weight.detach().to(DTYPE), bn.bias.detach().to(DTYPE)
    mean, var = bn.running_mean.to(DTYPE), bn.running_var.to(DTYPE)
    scale = gamma / torch.sqrt(var + bn.eps)
    new_w = weight * scale.reshape((-1,) + (1,) * (weight.dim() - 1))
    new_b = (bias - mean) * scale + beta
    return new_w, new_b


def canonical_layers(model: nn.Sequential):
    """Turn a PyTorch nn.Sequential into the canonical float64 layer list."""
    layers = []
    for m in model:
        if isinstance(m, nn.Conv2d):
            assert m.groups == 1 and m.padding_mode == "zeros"
            w = m.weight.detach().to(DTYPE).clone()
            b = (m.bias.detach().to(DTYPE).clone() if m.bias is not None
                 else torch.zeros(w.shape[0], dtype=DTYPE))
            layers.append(Layer("conv", w, b, _pair(m.stride), _pair(m.padding), _pair(m.dilation)))
        elif isinstance(m, nn.Linear):
            w = m.weight.detach().to(DTYPE).clone()
            b = (m.bias.detach().to(DTYPE).clone() if m.bias is not None
                 else torch.zeros(w.shape[0], dtype=DTYPE))
            layers.append(Layer("dense", w, b))
        elif isinstance(m, MatMulDense):
            layers.append(Layer("dense", m.W.detach().to(DTYPE).t().contiguous(),
                                m.b.detach().to(DTYPE).clone()))
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            prev = layers[-1]
            assert prev.parametric, "BatchNorm must follow a conv or dense layer"
            prev.weight, prev.bias = _fold_bn(prev.weight, prev.bias, m)
        elif isinstance(m, nn.ReLU):
            layers.append(Layer("relu"))
        elif isinstance(m, nn.MaxPool2d):
            assert m.dilation in (1, (1, 1)) and not m.ceil_mode
            layers.append(Layer("maxpool", stride=_pair(m.stride), padding=_pair(m.padding),
                                kernel=_pair(m.kernel_size)))
        elif isinstance(m, nn.AvgPool2d):
            assert not m.ceil_mode
            layers.append(Layer("avgpool", stride=_pair(m.stride), padding=_pair(m.padding),
                                kernel=_pair(m.kernel_size)))
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            assert _pair(m.output_size) == (1, 1)
            layers.append(Layer("globalavgpool"))
        elif isinstance(m, nn.Flatten):
            layers.append(Layer("flatten"))
        elif isinstance(m, (nn.Softmax, nn.Dropout, nn.Identity)):
            continue                                   # removed from the canonical list
        else:
            raise ValueError(f"unsupported module {m}")
    return layers


def forward(layers, x):
    """Forward pass; returns the list of activations [a0 = x, a1, ..., aL = logits]."""
    acts = [x]
    for layer in layers:
        acts.append(layer.forward(acts[-1]))
    return acts


# --------------------------------------------------------------------------------------------
# Rule specs and presets
# --------------------------------------------------------------------------------------------

RULE_NAMES = ("zero", "epsilon", "epsilon-abs", "gamma", "alpha1beta0", "alpha2beta1",
              "flat", "wsquare", "zb")


def parse_rule(rule: str):
    """'gamma=0.25' -> ('gamma', 0.25); 'zero' -> ('zero', None)."""
    name, _, value = rule.partition("=")
    if name not in RULE_NAMES:
        raise ValueError(f"unknown rule {rule!r}")
    needs_value = name in ("epsilon", "epsilon-abs", "gamma")
    if needs_value != bool(value):
        raise ValueError(f"bad rule {rule!r}")
    return name, (float(value) if value else None)


def parse_spec(spec: str, layers):
    """'0:zb;1-:gamma=0.25' -> {layer index: rule} for every parametric layer.

    RANGE is 'i', 'i-j' (inclusive) or 'i-' (to the end). Later entries override earlier
    ones. Ranges may cover non-parametric layers (ignored there). Uncovered parametric
    layers get 'zero'.
    """
    rules = {i: "zero" for i, l in enumerate(layers) if l.parametric}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        rng, rule = part.split(":", 1)
        parse_rule(rule)
        lo, dash, hi = rng.partition("-")
        lo = int(lo)
        hi = (len(layers) - 1 if hi == "" else int(hi)) if dash else lo
        for i in range(lo, hi + 1):
            if i in rules:
                rules[i] = rule
    return rules


def resolve_preset(name: str, layers):
    """Resolve a named preset to {layer index: rule} (see the project's rule definitions)."""
    convs = [i for i, l in enumerate(layers) if l.type == "conv"]
    denses = [i for i, l in enumerate(layers) if l.type == "dense"]
    first = min(convs + denses)
    rules = {}
    if name == "tutorial":
        n_gamma = math.ceil(len(convs) / 2)
        for k, i in enumerate(convs):
            rules[i] = "gamma=0.25" if k < n_gamma else "epsilon=0.25"
        rules.update({i: "zero" for i in denses})
        rules[first] = "zb"
    elif name == "epsilon-gamma-box":
        rules.update({i: "gamma=0.25" for i in convs})
        rules.update({i: "epsilon-abs=1e-6" for i in denses})
        rules[first] = "zb"
    elif name == "epsilon-plus":
        rules.update({i: "alpha1beta0" for i in convs})
        rules.update({i: "epsilon-abs=1e-6" for i in denses})
    elif name == "epsilon-alpha2-beta1":
        rules.update({i: "alpha2beta1" for i in convs})
        rules.update({i: "epsilon-abs=1e-6" for i in denses})
    else:
        raise ValueError(f"unknown preset {name!r}")
    return dict(sorted(rules.items()))


def rules_to_spec(rules):
    """{0: 'zb', 3: 'gamma=0.25'} -> '0:zb;3:gamma=0.25'."""
    return ";".join(f"{i}:{r}" for i, r in sorted(rules.items()))


# --------------------------------------------------------------------------------------------
# The four steps
# --------------------------------------------------------------------------------------------

def stabilised_div(R, z, e):
    """s = R / (z + e*sign+(z)) with sign+(0) = +1, and s = 0 wherever z == 0 exactly."""
    d = z + e * torch.where(z >= 0, torch.ones_like(z), -torch.ones_like(z))
    zero = z == 0
    return torch.where(zero, torch.zeros_like(R), R / torch.where(zero, torch.ones_like(d), d))


def per_image_rms(z):
    """sqrt(mean(z^2)) over all of one image's output units, shaped to broadcast against z."""
    return z.pow(2).flatten(1).mean(1).sqrt().reshape((-1,) + (1,) * (z.dim() - 1))


def four_steps(fn, inputs, R, stabiliser=None):
    """Steps 1-3: z = fn(*inputs); s = R / d(z); returns (dz/dinput)^T s for each input.

    `stabiliser` is a number, a function of z (for the per-image epsilon rule) or None (TINY).
    The caller does step 4 (multiplying by the input, or not for flat / w^2).
    """
    leaves = [t.detach().requires_grad_(True) for t in inputs]
    z = fn(*leaves)                                                   # step 1
    e = stabiliser(z.detach()) if callable(stabiliser) else (TINY if stabiliser is None else stabiliser)
    s = stabilised_div(R, z.detach(), e)                              # step 2
    return torch.autograd.grad((z * s).sum(), leaves)                 # step 3


def lrp_parametric(layer, rule, a, R, bounds=None):
    """Relevance of a conv/dense layer's input `a` given the relevance `R` of its output."""
    name, value = parse_rule(rule)
    W, b = layer.weight, layer.bias
    pos, neg = (lambda t: t.clamp(min=0)), (lambda t: t.clamp(max=0))

    if name in ("zero", "epsilon", "epsilon-abs", "gamma"):
        if name == "gamma":                                           # rho(w) = w + g*max(0, w)
            W, b = W + value * pos(W), b + value * pos(b)
        stabiliser = {"zero": TINY,
                      "epsilon-abs": value,
                      "gamma": TINY,
                      "epsilon": lambda z: value * per_image_rms(z)}[name]
        (c,) = four_steps(lambda x: layer.linear(x, W, b), [a], R, stabiliser)
        return a * c                                                  # step 4

    if name in ("alpha1beta0", "alpha2beta1"):
        alpha, beta = (1.0, 0.0) if name == "alpha1beta0" else (2.0, 1.0)
        ap, an = pos(a), neg(a)
        # positive part: z+ = W+(a+) + W-(a-) + b+
        cp_p, cp_n = four_steps(lambda p, n: layer.linear(p, pos(W), pos(b)) + layer.linear(n, neg(W)),
                                [ap, an], R)
        # negative part: z- = W-(a+) + W+(a-) + b-
        cn_p, cn_n = four_steps(lambda p, n: layer.linear(p, neg(W), neg(b)) + layer.linear(n, pos(W)),
                                [ap, an], R)
        return alpha * (ap * cp_p + an * cp_n) - beta * (ap * cn_p + an * cn_n)

    if name in ("flat", "wsquare"):                                   # input replaced by ones, no bias
        rho_w = torch.ones_like(W) if name == "flat" else W * W
        (c,) = four_steps(lambda o: layer.linear(o, rho_w), [torch.ones_like(a)], R)
        return c                                                      # not multiplied by a

    if name == "zb":
        low, high = bounds
        cx, cl, ch = four_steps(lambda x, l, h: layer.linear(x, W) - layer.linear(l, pos(W))
                                - layer.linear(h, neg(W)), [a, low, high], R)
        return a * cx + low * cl + high * ch                          # cl = -W+^T(s), ch = -W-^T(s)

    raise ValueError(rule)


def lrp_pool(layer, a, R, maxpool_mode):
    """Relevance through pooling layers."""
    if layer.type == "maxpool" and maxpool_mode == "wta":
        # winner-take-all: route R to the position of the max, as the gradient of maxpool does
        # (PyTorch picks the first maximum of a window in row-major order on ties).
        a = a.detach().requires_grad_(True)
        (c,) = torch.autograd.grad(layer.forward(a), a, grad_outputs=R)
        return c
    # "avg": z-rule through the average pooling with the same geometry (AvgPool always; MaxPool
    # by default, whose forward pass still takes the max)
    (c,) = four_steps(layer.avgpool, [a], R)
    return a * c


def lrp(layers, x, targets, rules, maxpool_mode="avg", mean=(0.0,), std=(1.0,)):
    """Input relevance (same shape as x) for the given target classes.

    layers:  canonical layer list;  x: N x C x H x W (float64 for references);  targets: N classes
    rules:   {layer index: rule} for the parametric layers (missing ones get "zero")
    mean/std: per-channel preprocessing, used for the zb bounds l = (0-mean)/std, h = (1-mean)/std
    """
    assert maxpool_mode in ("avg", "wta")
    acts = forward(layers, x)
    logits = acts[-1]
    R = torch.zeros_like(logits)
    idx = torch.arange(len(targets))
    R[idx, targets] = logits[idx, targets]                           # top: target logit, no softmax

    shape = (1, -1, 1, 1)
    mean_t = torch.tensor(mean, dtype=x.dtype).reshape(shape)
    std_t = torch.tensor(std, dtype=x.dtype).reshape(shape)
    low_img = ((0 - mean_t) / std_t).expand_as(x)
    high_img = ((1 - mean_t) / std_t).expand_as(x)

    for i in reversed(range(len(layers))):
        layer, a = layers[i], acts[i]
        if layer.parametric:
            rule = rules.get(i, "zero")
            bounds = None
            if rule == "zb":
                # bounds are shaped like the network input; only shape-only layers may precede zb
                assert all(l.type == "flatten" for l in layers[:i]), "zb needs a pixel-level layer"
                bounds = (low_img.reshape(a.shape), high_img.reshape(a.shape))
            R = lrp_parametric(layer, rule, a, R, bounds)
        elif layer.type in ("maxpool", "avgpool", "globalavgpool"):
            R = lrp_pool(layer, a, R, maxpool_mode)
        elif layer.type == "relu":
            pass                                                      # relevance passes unchanged
        elif layer.type == "flatten":
            R = R.reshape(a.shape)
        else:
            raise ValueError(layer.type)
    return R.detach()
