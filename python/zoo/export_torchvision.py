#!/usr/bin/python3
"""Export torchvision 0.14's image classifiers (random weights, calibrated batch norm) to ONNX.

    /usr/bin/python3 python/zoo/export_torchvision.py [--models a,b,c] [--out /tmp/lrp-zoo] [--force]
                                                       [--opset 13|17] [--transformers]

Writes OUT/<name>/model.onnx (keep it out of the repository: VGG-16 alone is ~0.5 GB) and
OUT/<name>/export.json (opset, op histogram, file size, parameter count and a fingerprint of the
torch model's state, which python/zoo/surrogate_reference.py checks after it rebuilds the model).
Needs Debian's python3-torch, python3-onnx and python3-torchvision. No weights are downloaded:
torch.manual_seed(0) and torchvision's own initialisation (googlenet and inception_v3 with
aux_logits=False, init_weights=True).

Default models: the 17 CNN classifiers (MODELS). --transformers adds vit_b_16, vit_b_16_rh, swin_t and
maxvit_t (TRANSFORMERS). torchvision initialises vit_b_16's classifier head to zero (weight and bias), so
its logits are 0 for every input and every gradient, and so every relevance, is 0: an LRP check on it
passes whatever the engine does. vit_b_16_rh ("random head") is the same network (same seed, same state
otherwise) with heads.head.weight drawn N(0, 1/768) from its own generator (HEAD_SEED), bias 0: logits of
order 1, a check that can fail.

Batch norm is calibrated before the export. With random initialisation every BatchNorm has running
mean 0 and variance 1, so in eval mode it is the identity (up to 1/sqrt(1+eps)) and nothing keeps the
activations in range: on random images the logits of inception_v3 reach ~3e12 and those of
resnet50 ~1e2, while efficientnet_b0's shrink to ~5e-14 and mobilenet_v2's to ~4e-9, so the LRP
comparison would be made on degenerate networks (calibrated: |logit| <= 7 on such images; the smooth
images of surrogate_reference.py are further from the calibration images: up to ~4e3 for inception_v3).
So each BatchNorm gets momentum=None (a cumulative average) and fresh statistics, and the model runs
over CALIB_BATCHES batches of CALIB_BATCH random images (torch.rand pixels in [0, 1], normalised with
the ImageNet mean/std, from a generator with a fixed seed) with only the BatchNorms in train mode:
each then normalises with the batch statistics and records their average, as training would.
Dropout and stochastic depth stay in eval mode so that the calibration is deterministic and measures
the network that is exported. Calibration runs on one thread, so that the float32 reductions, and so
the fingerprint, do not depend on the thread count. Then everything is in eval mode again (original
momentum restored) and exported as a user would: torch.onnx.export under torch.no_grad(), which
folds each BatchNormalization that follows a Conv into it (vit_b_16: with grad mode on, see export()).
"""
import argparse
import collections
import contextlib
import hashlib
import json
import os
import sys
import time

import onnx
import torch
import torch.nn as nn

try:
    import torchvision
except ImportError:
    sys.exit("needs torchvision: apt-get install -y python3-torchvision")

MODELS = ["alexnet", "vgg16", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "mobilenet_v2", "inception_v3",
          "densenet121", "efficientnet_b0", "efficientnet_v2_s", "regnet_y_400mf", "mobilenet_v3_small", "mnasnet0_5",
          "googlenet", "squeezenet1_1", "shufflenet_v2_x1_0", "convnext_tiny"]
TRANSFORMERS = ["vit_b_16", "vit_b_16_rh", "swin_t", "maxvit_t"]
RANDOM_HEAD = {"vit_b_16_rh": "vit_b_16"}      # variant -> torchvision model whose zero head is redrawn
HEAD_SEED = 7
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
CALIB_BATCHES, CALIB_BATCH, CALIB_SEED = 4, 8, 1234
DEFAULT_OUT = "/tmp/lrp-zoo"


def input_size(name):
    return 299 if name == "inception_v3" else 224


def normalise(pixels):
    """[N,3,H,W] pixels in [0, 1] -> the ImageNet normalisation torchvision's classifiers expect."""
    mean = torch.tensor(MEAN, dtype=pixels.dtype).reshape(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=pixels.dtype).reshape(1, 3, 1, 1)
    return (pixels - mean) / std


def calibrate_bn(model, size):
    """Batch statistics of random images as the running statistics of every BatchNorm (see the docstring)."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return 0
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.momentum = None                       # cumulative average over all calibration batches
        m.reset_running_stats()
        m.train()                               # only the BNs: dropout / stochastic depth stay off
    gen = torch.Generator().manual_seed(CALIB_SEED)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)                    # thread-independent float32 sums -> reproducible state
    try:
        with torch.no_grad():
            for _ in range(CALIB_BATCHES):
                model(normalise(torch.rand(CALIB_BATCH, 3, size, size, generator=gen)))
    finally:
        torch.set_num_threads(threads)
    for m, mom in zip(bns, momenta):
        m.momentum = mom
    model.eval()
    return len(bns)


def build(name):
    """The model as exported: seed 0, torchvision's initialisation, calibrated BN, eval mode, float32."""
    torch.manual_seed(0)
    kw = {"aux_logits": False, "init_weights": True} if name in ("googlenet", "inception_v3") else {}
    model = getattr(torchvision.models, RANDOM_HEAD.get(name, name))(weights=None, **kw).eval()
    if name in RANDOM_HEAD:                     # see the docstring: torchvision's head is all zeros
        head = model.heads.head
        with torch.no_grad():
            head.weight.copy_(torch.randn(head.weight.shape, generator=torch.Generator().manual_seed(HEAD_SEED))
                              / head.in_features ** 0.5)
    calibrate_bn(model, input_size(name))
    return model


def fingerprint(model):
    """sha256 over the state dict (names, shapes and float32 bytes): the rebuild must reproduce it exactly."""
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(str(tuple(v.shape)).encode())
        h.update(v.detach().to(torch.float32 if v.is_floating_point() else v.dtype).contiguous().numpy().tobytes())
    return h.hexdigest()


def op_histogram(path):
    g = onnx.load(path, load_external_data=False).graph
    return dict(sorted(collections.Counter(n.op_type for n in g.node).items()))


def export(name, folder, opset):
    t0 = time.perf_counter()
    model = build(name)
    size = input_size(name)
    path = os.path.join(folder, "model.onnx")
    x = normalise(torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0)))
    # vit_b_16's nn.MultiheadAttention takes its fused "fast path" (aten::_native_multi_head_attention, which
    # torch.onnx 1.13 cannot export) under no_grad in eval mode; with gradients enabled it runs the plain ops
    # (same outputs), so that one model is exported with grad mode on
    mha = any(isinstance(m, nn.MultiheadAttention) for m in model.modules())
    with contextlib.nullcontext() if mha else torch.no_grad():
        torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)
    onnx.checker.check_model(path)              # path-based: fine for the big ones
    hist = op_histogram(path)
    info = {"model": name, "opset": opset, "input_shape": [3, size, size],
            "parameters": sum(p.numel() for p in model.parameters()),
            "batchnorms_calibrated": sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()),
            "calibration": {"batches": CALIB_BATCHES, "batch": CALIB_BATCH, "seed": CALIB_SEED},
            "state_sha256": fingerprint(model), "ops": hist, "nodes": sum(hist.values()),
            "bytes": os.path.getsize(path), "torch": torch.__version__, "torchvision": torchvision.__version__,
            "export_s": round(time.perf_counter() - t0, 1)}
    with open(os.path.join(folder, "export.json"), "w") as f:
        json.dump(info, f, indent=1)
    return info


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", help="comma-separated subset (default: the 17 CNNs, + transformers with --transformers)")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"root folder (default {DEFAULT_OUT})")
    p.add_argument("--force", action="store_true", help="re-export models whose model.onnx exists")
    p.add_argument("--opset", type=int, default=13, choices=[13, 17])
    p.add_argument("--transformers", action="store_true", help="also " + ", ".join(TRANSFORMERS))
    args = p.parse_args()
    names = MODELS + (TRANSFORMERS if args.transformers else [])
    if args.models:
        names = [m.strip() for m in args.models.split(",") if m.strip()]
        unknown = [m for m in names if m not in MODELS + TRANSFORMERS]
        if unknown:
            sys.exit(f"unknown model(s) {unknown}; known: {','.join(MODELS + TRANSFORMERS)}")
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, onnx {onnx.__version__}; "
          f"opset {args.opset}; {torch.get_num_threads()} thread(s); out {args.out}", flush=True)

    failed, t_all = [], time.perf_counter()
    for name in names:
        folder = os.path.join(args.out, name)
        path = os.path.join(folder, "model.onnx")
        if os.path.exists(path) and not args.force:
            print(f"{name}: {path} exists ({os.path.getsize(path) / 2**20:.1f} MiB); --force to redo", flush=True)
            continue
        os.makedirs(folder, exist_ok=True)
        try:
            info = export(name, folder, args.opset)
        except Exception as e:                  # one exporter failure must not stop the others
            failed.append(name)
            print(f"{name}: EXPORT FAILED: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", flush=True)
            continue
        print(f"{name}: {info['bytes'] / 2**20:.1f} MiB, {info['parameters']:,} parameters, {info['nodes']} nodes, "
              f"{info['batchnorms_calibrated']} BNs calibrated, {info['export_s']} s\n    ops: {info['ops']}", flush=True)
    print(f"done in {time.perf_counter() - t_all:.0f} s" + (f"; failed: {','.join(failed)}" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
