#!/usr/bin/python3
"""Float64 reference heatmaps (and PyTorch timings) for the models of python/zoo/export_torchvision.py.

    /usr/bin/python3 python/zoo/surrogate_reference.py [--models a,b,c] [--root /tmp/lrp-zoo] [--force]
                                                        [--no-timing | --timing-only] [--threads 2]

For each ROOT/<name>/model.onnx of the 17 CNNs and the transformers vit_b_16, vit_b_16_rh, swin_t and
maxvit_t it rebuilds the torch model exactly as exported (same seed and batch-norm calibration; the
state's sha256 is checked against export.json) and computes the reference of docs/lrp-layers.md ("The
property tests check"): LRP-0 on every conv and dense layer with winner-take-all max pooling (and, in
the transformers, CP-LRP for attention) equals gradient x input of a *surrogate* network in which
  - every element-wise activation f (ReLU, ReLU6/Hardtanh, SiLU, Hardswish, GELU, and Sigmoid or
    Hardsigmoid on the signal path) is x * r with r = f(x)/x held constant (r = 0 where x == 0);
  - every squeeze-excitation gate (torchvision.ops.SqueezeExcitation, which efficientnet, mobilenet_v3
    and regnet use) is held constant: scale(x).detach() * x;
  - every LayerNorm (and convnext's LayerNorm2d, through NHWC as torchvision does) divides by a
    constant sigma = sqrt(var + eps) (biased variance over the normalised axes);
  - every attention's probabilities softmax(q k^T / sqrt(d) [+ relative position bias, + swin's shift
    mask]) are held constant (CP-LRP, Ali et al. 2022, "XAI for Transformers: better explanations through
    conservative propagation"): the layer is then linear in its values v, relevance flows through v
    only and none into queries and keys, which is what the Java engine does (and why: the gradient
    through the softmax breaks conservation; held, attention is one more linear map). vit_b_16's
    nn.MultiheadAttention is re-implemented (HeldAttention: F.multi_head_attention_forward's math,
    softmax output detached); swin_t's ShiftedWindowAttention and maxvit_t's
    RelativePositionalMultiHeadAttention run torchvision's own code with its F.softmax detached
    (HeldSoftmax). Class token, positional embeddings and position biases are parameters: constants;
max and average pooling keep their usual gradients, dropout and stochastic depth are off (eval).
maxvit_t's Tanh (in its classifier) is held like the other activations.
ReLUs called as functions (F.relu in densenet121, googlenet, inception_v3) stay: the gradient of ReLU
already is its held ratio (1 where x > 0, else 0), so googlenet and inception_v3 need no patch at all.
The surrogate has the same forward pass (checked: max |logits - unpatched logits| in float64; for the
transformers also the classifier's input, relative: vit_b_16's logits are all 0, see below).

Writes into ROOT/<name>/:
  input.npy           float32 [2,3,H,W]: two smooth random images (8x8 uniform pixels, bilinear to H x W
                      with align_corners=True), ImageNet-normalised; the same two for every model of the
                      same input size
  logits.npy          float64 [2,1000] logits of the (unpatched) float64 model on input.npy
  targets.json        the float64 model's predicted class per image
  surrogate_gxi.npy   float64 [2,3,H,W] gradient x input of the target logit of the float64 surrogate
  meta.json           parameters, input shape, ONNX op histogram, patches made, checks and their numbers
  torch_timing.json   float32 surrogate, forward + backward + x*grad, at batch 1 and 8 (the 2 images
                      repeated), ms per image (median of >= 3 repeats after a warm-up; see below), THREADS threads

The timing is the PyTorch reference of the same rule a user would write: gradient x input of the
float32 surrogate, parameters frozen (no weight gradients). Its ReLUs are left as nn.ReLU: their
gradient is the detached ratio already (1 where x > 0, else 0; checked in float32 for every model), so
patching them would only add element-wise work. Debian's python3-torch links the reference BLAS
(libblas3, one thread): its nn.Linear / MatMul (the classifiers of alexnet and vgg16, convnext's MLPs)
are slow, while convolutions run in oneDNN. On a shared machine the timings are only as good as its
load: torch_timing.json records the 1-minute load average before and after. A model whose warm-up
takes over a minute (vit_b_16 at batch 8) is timed once after it.

vit_b_16 as torchvision initialises it has a zero classifier head: its logits are 0 and its
surrogate_gxi.npy is all 0 (meta.json: "degenerate": true), so a check against it passes whatever the
engine does. vit_b_16_rh (export_torchvision.py) is the same network with a random head: check that one.
"""
import argparse
import copy
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models.maxvit as tv_maxvit
import torchvision.models.swin_transformer as tv_swin
from torchvision.models.convnext import LayerNorm2d
from torchvision.ops import SqueezeExcitation

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # python/: the packages
from zoo import export_torchvision as ex  # noqa: E402  (build(): the same seed and calibration as the export)

IMAGES, LOW_RES, INPUT_SEED = 2, 8, 2024
ACTIVATIONS = (nn.ReLU, nn.Hardtanh, nn.SiLU, nn.Hardswish, nn.GELU, nn.Sigmoid, nn.Hardsigmoid,  # ReLU6: Hardtanh
               nn.Tanh)                                                 # maxvit_t's classifier


# --------------------------------------------------------------------------------------------
# The surrogate network
# --------------------------------------------------------------------------------------------

class HeldRatio(nn.Module):
    """f(x) as x * r with r = f(x)/x held constant (0 where x == 0, where the product is 0 anyway)."""

    def __init__(self, f):
        super().__init__()
        if hasattr(f, "inplace"):
            f.inplace = False                   # f(x) must not overwrite x: x is still needed
        self.f = f

    def forward(self, x):
        with torch.no_grad():
            r = torch.where(x != 0, self.f(x) / x, x.new_zeros(()))
        return x * r


class HeldGate(nn.Module):
    """Squeeze-excitation with its gate held constant: all of the gradient goes to the signal."""

    def __init__(self, se):
        super().__init__()
        self.se = se

    def forward(self, x):
        with torch.no_grad():                   # = self.se._scale(x).detach(), without building its graph
            scale = self.se._scale(x)
        return scale * x


class HeldSigmaLayerNorm(nn.Module):
    """(x - mean) / sigma * weight + bias with sigma held constant; channels_first: LayerNorm2d (NCHW)."""

    def __init__(self, ln, channels_first):
        super().__init__()
        self.ln, self.channels_first = ln, channels_first

    def forward(self, x):
        if self.channels_first:
            x = x.permute(0, 2, 3, 1)
        dims = tuple(range(-len(self.ln.normalized_shape), 0))
        mean = x.mean(dims, keepdim=True)
        sigma = torch.sqrt(x.var(dims, unbiased=False, keepdim=True) + self.ln.eps).detach()
        y = (x - mean) / sigma
        if self.ln.elementwise_affine:
            y = y * self.ln.weight + self.ln.bias
        return y.permute(0, 3, 1, 2) if self.channels_first else y


class HeldAttention(nn.Module):
    """nn.MultiheadAttention (self-attention, batch_first, as vit_b_16's EncoderBlock calls it) with the
    attention probabilities held constant (CP-LRP): F.multi_head_attention_forward's math (packed in_proj,
    heads split, q / sqrt(head_dim), softmax(q k^T), attn @ v, out_proj), the softmax output detached.
    q and k only feed the held probabilities, so they are computed without a graph (the rows of in_proj
    that make them): the same values, and no backward through 2/3 of in_proj. Returns (output, None)."""

    def __init__(self, mha):
        super().__init__()
        if not (mha._qkv_same_embed_dim and mha.batch_first and mha.bias_k is None and mha.bias_v is None
                and not mha.add_zero_attn and mha.in_proj_bias is not None):
            raise ValueError("HeldAttention covers vit_b_16's MultiheadAttention only")
        self.mha = mha

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True):
        if not (query is key is value) or key_padding_mask is not None or attn_mask is not None or self.mha.training:
            raise ValueError("HeldAttention: self-attention without masks, in eval mode only")
        m, (n, length, e) = self.mha, query.shape
        h = m.num_heads
        d = e // h
        heads = lambda t: t.reshape(n, length, h, d).transpose(1, 2)          # noqa: E731  [n, h, L, d]
        with torch.no_grad():
            q, k = F.linear(query, m.in_proj_weight[:2 * e], m.in_proj_bias[:2 * e]).chunk(2, dim=-1)
            attn = torch.softmax((heads(q) / math.sqrt(d)) @ heads(k).transpose(-2, -1), dim=-1)
        v = heads(F.linear(value, m.in_proj_weight[2 * e:], m.in_proj_bias[2 * e:]))
        out = (attn @ v).transpose(1, 2).reshape(n, length, e)
        return m.out_proj(out), None


class _HeldSoftmaxFunctional:
    """torch.nn.functional, but softmax's output is detached (and its calls counted)."""

    calls = 0

    def __getattr__(self, name):
        return getattr(F, name)

    def softmax(self, *args, **kwargs):
        _HeldSoftmaxFunctional.calls += 1
        return F.softmax(*args, **kwargs).detach()


class HeldSoftmax(nn.Module):
    """A torchvision attention module run unchanged, except that the `F` its source module calls is
    _HeldSoftmaxFunctional while it runs: exactly its math (relative position bias, shift mask), the
    attention probabilities held. swin_t's ShiftedWindowAttention (F.softmax in
    swin_transformer.shifted_window_attention) and maxvit_t's RelativePositionalMultiHeadAttention."""

    def __init__(self, attention, namespace):
        super().__init__()
        self.attention, self.namespace = attention, namespace

    def forward(self, *args, **kwargs):
        saved, before = self.namespace.F, _HeldSoftmaxFunctional.calls
        self.namespace.F = _HeldSoftmaxFunctional()
        try:
            out = self.attention(*args, **kwargs)
        finally:
            self.namespace.F = saved
        if _HeldSoftmaxFunctional.calls != before + 1:       # a torchvision whose attention changed
            raise RuntimeError(f"{type(self.attention).__name__}: {_HeldSoftmaxFunctional.calls - before} "
                               "softmax calls, expected 1")
        return out


def surrogate(model, relu=True, counts=None):
    """Replaces, in place, the modules of docs/lrp-layers.md's surrogate; returns (model, {kind: count})."""
    counts = {} if counts is None else counts
    for name, child in model.named_children():
        kind, new = type(child).__name__, None
        if isinstance(child, SqueezeExcitation):
            new = HeldGate(child)               # its inner activations only feed the held gate
        elif isinstance(child, nn.MultiheadAttention):
            new = HeldAttention(child)
        elif type(child) is tv_swin.ShiftedWindowAttention:    # not its V2 subclass (cosine attention)
            new = HeldSoftmax(child, tv_swin)
        elif isinstance(child, tv_maxvit.RelativePositionalMultiHeadAttention):
            new = HeldSoftmax(child, tv_maxvit)
        elif isinstance(child, LayerNorm2d):    # before nn.LayerNorm: it is a subclass
            new = HeldSigmaLayerNorm(child, channels_first=True)
        elif isinstance(child, nn.LayerNorm):
            new = HeldSigmaLayerNorm(child, channels_first=False)
        elif isinstance(child, ACTIVATIONS):
            if relu or type(child) is not nn.ReLU:
                new = HeldRatio(child)
        else:
            surrogate(child, relu, counts)
        if new is not None:
            setattr(model, name, new)
            counts[kind] = counts.get(kind, 0) + 1
    return model, counts


def unpatched_nonlinear(model):
    """Module types with a nonlinearity the surrogate does not know (a new torchvision would show here)."""
    linear = (nn.Conv2d, nn.Linear, nn.modules.batchnorm._BatchNorm, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
              nn.Dropout, nn.Flatten, nn.Identity, nn.ReLU, nn.Sequential)   # an empty Sequential: shufflenet's identity branch
    held = (HeldRatio, HeldGate, HeldSigmaLayerNorm, HeldAttention, HeldSoftmax)  # inside: held or linear
    attention = (nn.MultiheadAttention, tv_swin.ShiftedWindowAttention, tv_maxvit.RelativePositionalMultiHeadAttention)
    reshapes = ("StochasticDepth", "Permute", "SwapAxes", "WindowPartition", "WindowDepartition")  # maxvit_t's
    found = set()

    def walk(m):
        children = list(m.children())
        if isinstance(m, held):
            return
        if (not children and not isinstance(m, linear) and type(m).__name__ not in reshapes) \
                or isinstance(m, attention):    # these have (linear) children: their softmax is in forward()
            found.add(type(m).__name__)
        for c in children:
            walk(c)
    walk(model)
    return sorted(found)


# --------------------------------------------------------------------------------------------

def smooth_images(size):
    """IMAGES random smooth 'images': uniform pixels at LOW_RES x LOW_RES, bilinear to size, normalised.

    align_corners=True: with False, the outer 14 pixels of a 224 image copy the edge pixels, and max
    pooling over such constant bands has exact ties, where winner-take-all (the gradient) is decided
    by rounding: float32 and float64 PyTorch then disagree by rel L2 ~1e-1 on resnet50."""
    low = torch.rand(IMAGES, 3, LOW_RES, LOW_RES, generator=torch.Generator().manual_seed(INPUT_SEED))
    return ex.normalise(F.interpolate(low, size=(size, size), mode="bilinear", align_corners=True)).contiguous()


def grad_x_input(model, x, targets):
    """Gradient x input of the target logits (parameters must be frozen)."""
    x = x.detach().clone().requires_grad_(True)
    out = model(x)
    out.gather(1, targets[:, None]).sum().backward()
    return (x * x.grad).detach(), out.detach()


def rel_l2(a, b):
    """Per image ||a - b|| / ||b||."""
    return ((a - b).flatten(1).norm(dim=1) / b.flatten(1).norm(dim=1)).tolist()


def timing(sur32, x, targets, folder):
    """ms per image of the float32 surrogate's gradient x input at batch 1 and 8 (median after a warm-up)."""
    res = {"threads": torch.get_num_threads(), "torch": torch.__version__, "dtype": "float32",
           "load_average_before": os.getloadavg()[0],      # the machine may be shared: > threads means contention
           "what": "forward + backward + x*grad of the surrogate (LRP-0, winner-take-all max pooling)"}
    for batch in (1, 8):
        reps = (batch + IMAGES - 1) // IMAGES
        xb, tb = x.repeat(reps, 1, 1, 1)[:batch], targets.repeat(reps)[:batch]
        t0 = time.perf_counter()
        grad_x_input(sur32, xb, tb)             # warm-up (oneDNN primitives, allocator)
        warm = time.perf_counter() - t0
        repeats = 1 if warm > 60 else 3 if warm > 2 else 5      # keeps the big models' time in bounds (vit_b_16)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            grad_x_input(sur32, xb, tb)
            times.append(time.perf_counter() - t0)
        res[f"ms_per_image_b{batch}"] = 1000 * statistics.median(times) / batch
        res[f"times_s_b{batch}"] = times
    res["load_average_after"] = os.getloadavg()[0]
    with open(os.path.join(folder, "torch_timing.json"), "w") as f:
        json.dump(res, f, indent=1)
    return res


def timing_only(name, folder):
    """Re-times an existing reference (e.g. on a quieter machine): input.npy, targets.json, the float32 surrogate."""
    x = torch.from_numpy(np.load(os.path.join(folder, "input.npy")))
    targets = torch.tensor(json.load(open(os.path.join(folder, "targets.json"))))
    sur32 = surrogate(ex.build(name).requires_grad_(False), relu=False)[0]
    t = timing(sur32, x, targets, folder)
    meta_path = os.path.join(folder, "meta.json")
    meta = json.load(open(meta_path))
    meta["torch_timing"] = {k: v for k, v in t.items() if k.startswith("ms_per")}
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)
    print(f"{name}: torch ms/img b1 {t['ms_per_image_b1']:.1f}, b8 {t['ms_per_image_b8']:.1f} "
          f"(load average {t['load_average_before']:.1f} -> {t['load_average_after']:.1f})", flush=True)


def classifier_input(model):
    """A list that gets the input of the model's last nn.Linear (its classifier) at each forward."""
    seen = []
    [m for m in model.modules() if isinstance(m, nn.Linear)][-1].register_forward_hook(
        lambda mod, inp, out: seen.append(inp[0].detach()))
    return seen


def finite(v):
    """JSON has no NaN: None instead (0/0 of a degenerate model)."""
    return [finite(e) for e in v] if isinstance(v, list) else (None if v != v else v)


def reference(name, folder, do_timing):
    t0 = time.perf_counter()
    exported = json.load(open(os.path.join(folder, "export.json")))
    model32 = ex.build(name).requires_grad_(False)
    sha = ex.fingerprint(model32)
    if sha != exported["state_sha256"]:        # then the heatmaps would be of another network
        raise RuntimeError(f"rebuilt state differs from the exported one (sha256 {sha[:12]} vs "
                           f"{exported['state_sha256'][:12]}): torch/torchvision or CPU changed? re-export with --force")
    x = smooth_images(ex.input_size(name))
    x64 = x.double()
    model64 = copy.deepcopy(model32).double()
    with torch.no_grad():
        logits64, logits32 = model64(x64), model32(x).double()
    targets = logits64.argmax(1)
    top2 = logits64.topk(2, dim=1).values

    sur64, counts = surrogate(copy.deepcopy(model64))
    unknown = unpatched_nonlinear(sur64)
    transformer = name in ex.TRANSFORMERS
    if transformer:                             # the logits alone can be 0 (vit_b_16's zero head): features too
        feats, sur_feats = classifier_input(model64), classifier_input(sur64)
        with torch.no_grad():
            model64(x64)
    gxi, sur_logits = grad_x_input(sur64, x64, targets)
    sur32 = surrogate(copy.deepcopy(model32), relu=False)[0]       # the timed network
    gxi32, _ = grad_x_input(sur32, x, targets)
    gxi32_all = gxi32                           # no nn.ReLU: the timed surrogate is the fully patched one
    if "ReLU" in counts:                        # float32: float64 convolutions are slow here (no oneDNN)
        gxi32_all, _ = grad_x_input(surrogate(copy.deepcopy(model32))[0], x, targets)
    del model64

    np.save(os.path.join(folder, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(folder, "logits.npy"), logits64.numpy())
    np.save(os.path.join(folder, "surrogate_gxi.npy"), gxi.numpy())
    with open(os.path.join(folder, "targets.json"), "w") as f:
        json.dump(targets.tolist(), f)

    scale = logits64.abs().max().item() or float("nan")      # 0: vit_b_16's zero head
    meta = {
        "model": name, "parameters": exported["parameters"], "input_shape": list(x.shape),
        "onnx_ops": exported["ops"], "opset": exported["opset"], "state_sha256": sha,
        "surrogate_patches": counts, "unpatched_nonlinear_modules": unknown,
        "targets": targets.tolist(), "target_logit": logits64.gather(1, targets[:, None])[:, 0].tolist(),
        "top1_minus_top2": (top2[:, 0] - top2[:, 1]).tolist(),
        # the patches must not change the forward pass
        "surrogate_vs_model_logits_max_abs": (sur_logits - logits64).abs().max().item(),
        # float32 (what the ONNX file holds) vs float64: how far a float32 engine can be expected to agree
        "float32_vs_float64_logits_max_abs": (logits32 - logits64).abs().max().item(),
        "float32_vs_float64_logits_rel": (logits32 - logits64).abs().max().item() / scale,
        "float32_argmax_matches": bool((logits32.argmax(1) == targets).all()),
        "torch_float32_gxi_rel_l2": rel_l2(gxi32.double(), gxi),
        "relu_unpatched_float32_gxi_max_abs": (gxi32 - gxi32_all).abs().max().item(),
        "relevance_sum_over_target_logit": (gxi.flatten(1).sum(1) / logits64.gather(1, targets[:, None])[:, 0]).tolist(),
        "reference_s": round(time.perf_counter() - t0, 1),
    }
    if transformer:
        meta["surrogate_vs_model_logits_rel"] = meta["surrogate_vs_model_logits_max_abs"] / scale
        meta["surrogate_vs_model_classifier_input_rel"] = (
            (sur_feats[-1] - feats[-1]).abs().max() / feats[-1].abs().max()).item()
        meta["surrogate_gxi_max_abs"] = gxi.abs().max().item()
        meta["degenerate"] = meta["surrogate_gxi_max_abs"] == 0   # then any engine "agrees"
    if do_timing:
        meta["torch_timing"] = {k: v for k, v in timing(sur32, x, targets, folder).items()
                                if k.startswith("ms_per")}
    meta["total_s"] = round(time.perf_counter() - t0, 1)
    with open(os.path.join(folder, "meta.json"), "w") as f:
        json.dump({k: finite(v) for k, v in meta.items()}, f, indent=1)
    return meta


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", help="comma-separated subset (default: every model of export_torchvision.MODELS and "
                                    "TRANSFORMERS exported)")
    p.add_argument("--root", default=ex.DEFAULT_OUT)
    p.add_argument("--force", action="store_true", help="redo models that already have surrogate_gxi.npy")
    p.add_argument("--no-timing", action="store_true")
    p.add_argument("--timing-only", action="store_true", help="only re-time models whose reference exists")
    p.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1),
                   help="torch threads for the reference and the timing (default: all cores, at most 2)")
    args = p.parse_args()
    names = [m.strip() for m in args.models.split(",")] if args.models else ex.MODELS + ex.TRANSFORMERS
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    print(f"torch {torch.__version__}: {torch.get_num_threads()} thread(s) ({os.cpu_count()} cores); root {args.root}",
          flush=True)

    failed, t_all = [], time.perf_counter()
    for name in names:
        folder = os.path.join(args.root, name)
        if name not in ex.MODELS + ex.TRANSFORMERS:
            sys.exit(f"unknown model {name}")
        if not os.path.exists(os.path.join(folder, "model.onnx")):
            print(f"{name}: skipped ({folder}/model.onnx missing: run export_torchvision.py first)")
            continue
        if args.timing_only:
            if os.path.exists(os.path.join(folder, "meta.json")):
                timing_only(name, folder)
            else:
                print(f"{name}: no reference to re-time")
            continue
        if os.path.exists(os.path.join(folder, "surrogate_gxi.npy")) and not args.force:
            print(f"{name}: reference exists; --force to redo")
            continue
        try:
            m = reference(name, folder, not args.no_timing)
        except Exception as e:
            failed.append(name)
            print(f"{name}: FAILED: {type(e).__name__}: {e}", flush=True)
            continue
        t = m.get("torch_timing", {})
        print(f"{name}: targets {m['targets']} (top1-top2 {', '.join(f'{v:.2g}' for v in m['top1_minus_top2'])}); "
              f"surrogate vs model logits {m['surrogate_vs_model_logits_max_abs']:.1e}; "
              f"float32 vs float64 logits {m['float32_vs_float64_logits_rel']:.1e} rel; "
              f"float32 gxi rel L2 {max(m['torch_float32_gxi_rel_l2']):.1e}; relu unpatched {m['relu_unpatched_float32_gxi_max_abs']:.0e}; "
              f"sum R / logit {', '.join(f'{v:.3f}' for v in m['relevance_sum_over_target_logit'])}\n"
              f"    patches {m['surrogate_patches']}" + (f"; UNKNOWN NONLINEAR {m['unpatched_nonlinear_modules']}"
                                                        if m['unpatched_nonlinear_modules'] else "")
              + (f"; torch ms/img b1 {t['ms_per_image_b1']:.1f}, b8 {t['ms_per_image_b8']:.1f}" if t else "")
              + (f"\n    surrogate vs model: logits {m['surrogate_vs_model_logits_rel']} rel, classifier input "
                 f"{m['surrogate_vs_model_classifier_input_rel']:.1e} rel" if "degenerate" in m else "")
              + ("\n    DEGENERATE: the gradient x input is identically 0 (zero classifier head?): "
                 "a check against it cannot fail" if m.get("degenerate") else "")
              + f"; {m['total_s']} s", flush=True)
    print(f"done in {time.perf_counter() - t_all:.0f} s" + (f"; failed: {','.join(failed)}" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
