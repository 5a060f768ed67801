#!/usr/bin/python3
"""Train small Fashion-MNIST models, export them to ONNX and write LRP reference fixtures.

Run with Debian's Python (python3-torch, python3-onnx):

    /usr/bin/python3 scripts/make_fixtures.py

Everything under src/test/resources/fixtures/ is regenerated (deterministically, seeded):

    models/<model>.onnx               trained models + models for import-error tests
    reference/<model>/input.npy       N x 1 x 28 x 28 preprocessed input (float32)
    reference/<model>/logits.npy      N x 10 logits of the PyTorch model in float64 (pre-softmax)
    reference/<model>/gradxinput.npy  gradient of the target logit wrt the input, times the input
    reference/<model>/<case>.npy      LRP input relevance for each case (see manifest.json)
    manifest.json                     what every file is, the rule specs, resolved presets, sums

All .npy files are float32, C-order, little-endian. References are computed in float64 by
lrp_reference.py from the float32 input stored in input.npy; the self-checks at the end
(conservation, LRP-0 = gradient x input, ONNX vs PyTorch, an independent matrix
implementation, batch independence, no NaN/Inf) are printed.
"""
import copy
import dataclasses
import gzip
import json
import math
import os
import shutil
import struct
import sys
import time
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_checks as checks  # noqa: E402
import lrp_reference as ref  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "src", "test", "resources", "fixtures")
DATA = "/usr/share/datasets/fashion-mnist"

FMNIST_MEAN, FMNIST_STD = 0.2860, 0.3530
N_TEST_IMAGES = 6                       # first images of t10k, then an all-black and an all-white one

# name -> architecture, opset, normalisation, training schedule
MODELS = {
    "mlp": dict(opset=11, mean=0.0, std=1.0, epochs=2, lr=1e-3, seed=1),
    "cnn": dict(opset=13, mean=FMNIST_MEAN, std=FMNIST_STD, epochs=2, lr=3e-3, seed=2),
    "cnn_bn": dict(opset=15, mean=FMNIST_MEAN, std=FMNIST_STD, epochs=2, lr=2e-3, seed=3),
    "cnn_stride": dict(opset=17, mean=FMNIST_MEAN, std=FMNIST_STD, epochs=2, lr=2e-3, seed=4),
}

# reference cases: (case name, spec); "zb" uses the first parametric layer (see zb_spec)
SPEC_CASES = [
    ("zero", "0-:zero"),
    ("epsilon", "0-:epsilon=0.25"),
    ("epsilon_abs", "0-:epsilon-abs=0.01"),
    ("gamma", "0-:gamma=0.25"),
    ("alpha1beta0", "0-:alpha1beta0"),
    ("alpha2beta1", "0-:alpha2beta1"),
    ("flat", "0-:flat"),
    ("wsquare", "0-:wsquare"),
]
PRESETS = ["tutorial", "epsilon-gamma-box", "epsilon-plus", "epsilon-alpha2-beta1"]


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

def read_idx(path):
    """Read a gzipped IDX file (uint8 data) into a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_mnist():
    def part(prefix):
        x = read_idx(f"{DATA}/{prefix}-images-idx3-ubyte.gz")
        y = read_idx(f"{DATA}/{prefix}-labels-idx1-ubyte.gz")
        return torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64))
    return part("train"), part("t10k")


def preprocess(pixels, mean, std, dtype=torch.float32):
    """uint8 N x 28 x 28 -> N x 1 x 28 x 28, x = (pixel/255 - mean)/std (computed in float64)."""
    x = (pixels.to(torch.float64) / 255.0 - mean) / std
    return x.unsqueeze(1).to(dtype)


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------

def build(name):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64),
                             nn.ReLU(), nn.Linear(64, 10))
    if name == "cnn":
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    if name == "cnn_bn":
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(784, 64), nn.BatchNorm1d(64), nn.ReLU(),
                             nn.Linear(64, 10), nn.Softmax(dim=1))
    if name == "cnn_stride":
        return nn.Sequential(nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),         # 28 -> 14
                             nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),        # 14 -> 7
                             nn.Conv2d(16, 16, 3, padding=2, dilation=2), nn.ReLU(),     # 7 -> 7
                             # count_include_pad=False: torch would otherwise export a Pad node
                             # before the AveragePool (no padding here, so same function)
                             nn.AvgPool2d(2, stride=1, count_include_pad=False),         # 7 -> 6
                             nn.Flatten(), ref.MatMulDense(16 * 6 * 6, 64), nn.ReLU(),
                             nn.Linear(64, 10))
    raise ValueError(name)


class Residual(nn.Module):
    """y = relu(conv(x)) + x: a branching graph the importer must reject."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv(x)) + x


def logits_of(model, x):
    """Pre-softmax output (drops a final Softmax)."""
    if isinstance(model[-1], nn.Softmax):
        model = model[:-1]
    return model(x)


def train(model, train_set, test_set, mean, std, epochs, lr, seed, batch=64):
    """Adam with a linearly decaying learning rate; returns the test accuracy."""
    g = torch.Generator().manual_seed(seed)
    x_train, y_train = preprocess(train_set[0], mean, std), train_set[1]
    steps = epochs * math.ceil(len(x_train) / batch)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 - k / steps)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x_train), generator=g)
        for k in range(0, len(perm), batch):
            idx = perm[k:k + batch]
            loss = nn.functional.cross_entropy(logits_of(model, x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    x_test, y_test = preprocess(test_set[0], mean, std), test_set[1]
    with torch.no_grad():
        pred = torch.cat([logits_of(model, x_test[k:k + 1000]).argmax(1)
                          for k in range(0, len(x_test), 1000)])
    return (pred == y_test).double().mean().item()


# --------------------------------------------------------------------------------------------
# ONNX
# --------------------------------------------------------------------------------------------

def export_onnx(model, path, opset, output_name="logits"):
    """Export with a dynamic batch dimension. BatchNorm is kept as nodes (TrainingMode.PRESERVE
    on an eval-mode model skips the Conv+BN fusion of the EVAL export)."""
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, opset_version=opset,
                          input_names=["input"], output_names=[output_name],
                          dynamic_axes={"input": {0: "N"}, output_name: {0: "N"}},
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path), full_check=True)


def rewrite_as_constant_nodes(src, dst):
    """Copy of an ONNX model where every initializer becomes a Constant node output whose
    TensorProto stores its values in the typed field (float_data / int64_data), not raw_data."""
    m = onnx.load(src)
    g = m.graph
    const_nodes = []
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        tensor = helper.make_tensor(init.name, init.data_type, arr.shape, arr.flatten().tolist(), raw=False)
        assert not tensor.raw_data
        const_nodes.append(helper.make_node("Constant", [], [init.name], name=f"const_{init.name}",
                                            value=tensor))
    init_names = {i.name for i in g.initializer}
    kept_inputs = [i for i in g.input if i.name not in init_names]
    nodes = const_nodes + list(g.node)
    del g.initializer[:]
    del g.input[:]
    g.input.extend(kept_inputs)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, dst)


def op_types(path):
    return [n.op_type for n in onnx.load(path).graph.node]


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------

def report_files(root, t0, max_bytes=None, width=45):
    """Prints every file under root with its size, the total and the run time since t0. max_bytes: a per-file limit
    (a function of the path relative to root), asserted."""
    print("\n=== files ===")
    total = 0
    for dirpath, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            rel, size = os.path.relpath(p, root), os.path.getsize(p)
            total += size
            assert max_bytes is None or size <= max_bytes(rel), p
            print(f"  {rel:{width}s} {size:9d}")
    print(f"  total {total / 1e6:.2f} MB; run time {time.time() - t0:.0f} s")


def save_npy(rel_path, arr, root=None):
    """Writes arr as little-endian float32 under root (default: this script's fixture folder); returns rel_path."""
    path = os.path.join(OUT if root is None else root, rel_path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    arr = np.ascontiguousarray(np.asarray(arr, dtype="<f4"))
    assert np.isfinite(arr).all(), rel_path
    np.save(path, arr)
    return rel_path


def float32_copy(layers):
    return [dataclasses.replace(l, weight=None if l.weight is None else l.weight.float(),
                                bias=None if l.bias is None else l.bias.float()) for l in layers]


def first_parametric(layers):
    return next(i for i, l in enumerate(layers) if l.parametric)


def zb_spec(layers):
    """'0:zb;1-:zero' -- with the index of the first parametric layer (1 for mlp, whose
    layer 0 is the flatten)."""
    i = first_parametric(layers)
    return f"{i}:zb;{i + 1}-:zero"


def case_list(layers):
    """All reference cases of a model: (name, kind, spec-or-preset, maxpool mode, rules)."""
    cases = [(name, "spec", spec, "avg", ref.parse_spec(spec, layers)) for name, spec in SPEC_CASES]
    spec = zb_spec(layers)
    cases.append(("zb", "spec", spec, "avg", ref.parse_spec(spec, layers)))
    # gamma where it is meant to be used: on non-negative (post-ReLU) inputs only, pixel layer on LRP-0.
    # "gamma" above also puts it on the signed pixel layer, where float32 itself cannot meet 1e-4.
    i = first_parametric(layers)
    spec = f"{i}:zero;{i + 1}-:gamma=0.25"
    cases.append(("gamma_above_pixels", "spec", spec, "avg", ref.parse_spec(spec, layers)))
    cases += [(p, "preset", p, "avg", ref.resolve_preset(p, layers)) for p in PRESETS]
    if any(l.type == "maxpool" for l in layers):
        cases.append(("tutorial_wta", "preset", "tutorial", "wta", ref.resolve_preset("tutorial", layers)))
        cases.append(("zero_wta", "spec", "0-:zero", "wta", ref.parse_spec("0-:zero", layers)))
    return cases


def gradient_x_input(model64, x64, targets):
    """Plain autograd gradient of the target logit wrt the input, times the input."""
    x = x64.clone().requires_grad_(True)
    out = logits_of(model64, x)
    out[torch.arange(len(x)), targets].sum().backward()
    return (x.grad * x).detach()


def make_references(name, model, cfg, accuracy, pixels, labels):
    """Compute and save all references of one model; returns its manifest entry and data."""
    mean, std = [cfg["mean"]], [cfg["std"]]
    d = f"reference/{name}"
    x32 = preprocess(pixels, cfg["mean"], cfg["std"])
    x64 = x32.to(torch.float64)                       # references use exactly the stored input
    model64 = copy.deepcopy(model).to(torch.float64).eval()
    with torch.no_grad():
        logits = logits_of(model64, x64)
    targets = logits.argmax(1)
    layers = ref.canonical_layers(model)

    entry = {
        "onnx": f"models/{name}.onnx", "opset": cfg["opset"], "mean": mean, "std": std,
        "input_shape": [1, 28, 28], "test_accuracy": round(accuracy, 4),
        "layers": [{"index": i, "type": l.type} for i, l in enumerate(layers)],
        "labels": labels, "targets": targets.tolist(),
        "input": save_npy(f"{d}/input.npy", x32),
        "logits": save_npy(f"{d}/logits.npy", logits),
        "gradxinput": save_npy(f"{d}/gradxinput.npy", gradient_x_input(model64, x64, targets)),
        "cases": [], "resolved_rules": {},
    }
    results = {}
    layers32 = float32_copy(layers)
    for case, kind, what, mode, rules in case_list(layers):
        R = ref.lrp(layers, x64, targets, rules, mode, mean, std)
        results[case] = R
        # how far the same computation in float32 lands (a hint for test tolerances)
        R32 = ref.lrp(layers32, x32, targets, rules, mode, mean, std).to(torch.float64)
        dev = (R32 - R).flatten(1).abs().max(1).values / R.flatten(1).abs().max(1).values.clamp(min=1e-300)
        entry["cases"].append({
            "name": case, kind: what, "maxpool": mode,
            "file": save_npy(f"{d}/{case}.npy", R),
            "sums": R.flatten(1).sum(1).tolist(),
            "float32_deviation": float(f"{dev.max().item():.2g}"),
        })
        if kind == "preset":
            entry["resolved_rules"][what] = {str(i): r for i, r in rules.items()}
    data = dict(layers=layers, x64=x64, logits=logits, targets=targets, model64=model64,
                results=results, cases=case_list(layers), mean=mean, std=std)
    return entry, data


# --------------------------------------------------------------------------------------------
# Self-checks
# --------------------------------------------------------------------------------------------

def zero_biases(layers):
    out = copy.deepcopy(layers)
    for l in out:
        if l.parametric:
            l.bias = torch.zeros_like(l.bias)
    return out


def fmt(values):
    return "[" + ", ".join(f"{v:.1e}" for v in values) + "]"


def per_image_max(t):
    return t.flatten(1).abs().max(1).values


class Worst(dict):
    """Keeps the worst figure of each check over all models."""

    def add(self, key, value):
        self[key] = max(self.get(key, 0.0), float(value))


def check_model(name, entry, dd, worst):
    """Numerical self-checks of one model's references (printed)."""
    layers, x64, targets, results = dd["layers"], dd["x64"], dd["targets"], dd["results"]
    mean, std = dd["mean"], dd["std"]
    has_maxpool = any(l.type == "maxpool" for l in layers)
    print(f"\n[{name}]")

    # canonical (BN-folded, softmax dropped) layer list vs the original PyTorch model
    diff = (ref.forward(layers, x64)[-1] - dd["logits"]).abs().max().item()
    print(f"  canonical layer list vs PyTorch logits: max abs diff {diff:.2e}")
    worst.add("canonical vs pytorch logits", diff)

    # the ONNX file(s), run by our own float64 interpreter, vs the PyTorch model
    with torch.no_grad():
        expect = dd["model64"](x64)
    for f in [name] + (["cnn_constnodes"] if name == "cnn" else []):
        out = checks.onnx_forward(os.path.join(OUT, "models", f"{f}.onnx"), x64)
        diff = (out - expect).abs().max().item()
        print(f"  {f}.onnx vs PyTorch output: max abs diff {diff:.2e}")
        worst.add("onnx vs pytorch output", diff)

    # conservation: LRP-0 on a copy with all biases zeroed gives sum(R_in) = target logit
    nb = zero_biases(layers)
    nb_logit = ref.forward(nb, x64)[-1][torch.arange(len(x64)), targets]

    def conservation(spec, mode):
        R = ref.lrp(nb, x64, targets, ref.parse_spec(spec, nb), mode, mean, std)
        return ((R.flatten(1).sum(1) - nb_logit).abs() / nb_logit.abs().clamp(min=1e-300)).tolist()

    for mode in ("avg", "wta") if has_maxpool else ("avg",):
        err = conservation("0-:zero", mode)
        print(f"  conservation (zero, biases=0, maxpool={mode}): rel err per image {fmt(err)}")
        worst.add("conservation (rel)", max(e for e, v in zip(err, nb_logit.tolist()) if v != 0))
    print(f"    target logits of the bias-free copy {fmt(nb_logit.tolist())}")
    for rule in ("gamma=0.25", "alpha1beta0", "alpha2beta1", "flat", "wsquare"):
        err = conservation("0-:" + rule, "avg")
        print(f"    (info) conservation {rule:12s}: rel err per image {fmt(err)}")

    # LRP-0 (with wta pooling where there is a maxpool) = gradient x input
    gxi = gradient_x_input(dd["model64"], x64, targets)
    case, mode = ("zero_wta", "wta") if has_maxpool else ("zero", "avg")
    diff = per_image_max(results[case] - gxi).tolist()
    print(f"  {case} vs gradxinput: max abs diff per image {fmt(diff)} (max |gxi| {gxi.abs().max():.2e})")
    worst.add("lrp-0 (stabiliser 1e-9) vs gradxinput", max(diff))
    saved, ref.TINY = ref.TINY, 0.0              # the same without the 1e-9 stabiliser
    try:
        R0 = ref.lrp(layers, x64, targets, ref.parse_spec("0-:zero", layers), mode, mean, std)
    finally:
        ref.TINY = saved
    diff = per_image_max(R0 - gxi).tolist()
    print(f"  {case} with stabiliser 0 vs gradxinput: max abs diff per image {fmt(diff)}")
    worst.add("lrp-0 (stabiliser 0) vs gradxinput", max(diff))

    # the independent matrix implementation, every case
    mat = checks.MatrixLRP(layers, x64.shape[1:])
    diffs = {}
    for case, _, _, mode, rules in dd["cases"]:
        Rm, _ = mat.relevance(x64.numpy(), targets.numpy(), rules, mode, mean, std)
        R = results[case].numpy()
        diffs[case] = np.abs(Rm - R).max() / np.abs(R).max()
    w = max(diffs, key=diffs.get)
    print(f"  matrix implementation vs reference: max |dR|/max|R| over cases {diffs[w]:.2e} ({w})")
    worst.add("matrix implementation vs reference", diffs[w])

    # batch independence: every image alone gives the same relevance as in the batch
    diff = 0.0
    for case, _, _, mode, rules in dd["cases"]:
        for n in range(len(x64)):
            R1 = ref.lrp(layers, x64[n:n + 1], targets[n:n + 1], rules, mode, mean, std)
            diff = max(diff, (R1[0] - results[case][n]).abs().max().item())
    print(f"  batch independence (each image alone vs batch of {len(x64)}): max abs diff {diff:.2e}")
    worst.add("batch independence", diff)

    # informative: wta tie-breaking and float32 sensitivity
    if has_maxpool:
        for case in ("zero_wta", "tutorial_wta"):
            rules = next(c[4] for c in dd["cases"] if c[0] == case)
            Rl, _ = mat.relevance(x64.numpy(), targets.numpy(), rules, "wta", mean, std, ties="last")
            R = results[case].numpy().reshape(len(x64), -1)
            rel = np.abs(Rl.reshape(len(x64), -1) - R).max(1) / np.abs(R).max(1)
            print(f"    (info) {case}: max|dR|/max|R| per image if wta took the LAST maximum {fmt(rel)}")
    print("    (info) float32_deviation (same code in float32): "
          + ", ".join(f"{c['name']} {c['float32_deviation']:.1e}" for c in entry["cases"]))


def check_files(torch_models):
    """ONNX structure and checker, import-error models, stored arrays."""
    print()
    models_dir = os.path.join(OUT, "models")
    for f, m in torch_models.items():
        x = torch.randn(3, 1, 28, 28, dtype=torch.float64)
        with torch.no_grad():
            diff = (checks.onnx_forward(os.path.join(models_dir, f"{f}.onnx"), x)
                    - copy.deepcopy(m).double()(x)).abs().max().item()
        print(f"  {f}.onnx vs PyTorch (random input): max abs diff {diff:.2e}")
    for f in sorted(os.listdir(models_dir)):
        m = onnx.load(os.path.join(models_dir, f))
        onnx.checker.check_model(m, full_check=True)
        print(f"  onnx.checker ok: {f:20s} opset {m.opset_import[0].version:2d}  "
              f"{' '.join(n.op_type for n in m.graph.node)}")
    bn_ops = op_types(os.path.join(models_dir, "cnn_bn.onnx"))
    assert bn_ops.count("BatchNormalization") == 3 and bn_ops[-1] == "Softmax", bn_ops
    st_ops = op_types(os.path.join(models_dir, "cnn_stride.onnx"))
    assert {"MatMul", "Add", "AveragePool"} <= set(st_ops) and st_ops.count("Gemm") == 1, st_ops
    g = onnx.load(os.path.join(models_dir, "cnn_constnodes.onnx")).graph
    consts = [n for n in g.node if n.op_type == "Constant"]
    assert not g.initializer and consts
    assert all(not n.attribute[0].t.raw_data and n.attribute[0].t.float_data for n in consts)
    print(f"  cnn_constnodes.onnx: {len(consts)} Constant nodes (float_data, no raw_data), no initializers")

    n_files = 0
    for dirpath, _, files in os.walk(os.path.join(OUT, "reference")):
        for f in files:
            arr = np.load(os.path.join(dirpath, f))
            assert arr.dtype == np.dtype("<f4") and arr.flags.c_contiguous and np.isfinite(arr).all(), f
            n_files += 1
    print(f"  {n_files} .npy files: float32 little-endian C-order, no NaN/Inf")


def self_checks(entries, data, torch_models):
    print("\n=== self-checks ===")
    worst = Worst()
    for name, dd in data.items():
        check_model(name, entries[name], dd, worst)
    check_files(torch_models)
    print("\n=== worst figures over all models ===")
    for k, v in worst.items():
        print(f"  {k:40s} {v:.2e}")


# --------------------------------------------------------------------------------------------

def main():
    t0 = time.time()
    torch.set_num_threads(2)            # fixed, so that reruns on this machine are bit-identical
    for sub in ("models", "reference"):
        shutil.rmtree(os.path.join(OUT, sub), ignore_errors=True)
        os.makedirs(os.path.join(OUT, sub))
    train_set, test_set = load_fashion_mnist()

    # the explained images: first test images, then all-black and all-white
    pixels = torch.cat([test_set[0][:N_TEST_IMAGES],
                        torch.zeros(1, 28, 28, dtype=torch.uint8),
                        torch.full((1, 28, 28), 255, dtype=torch.uint8)])
    labels = test_set[1][:N_TEST_IMAGES].tolist() + [-1, -1]

    manifest = {
        "images": {"source": "fashion-mnist t10k", "indices": list(range(N_TEST_IMAGES)),
                   "extra": ["black", "white"]},
        "notes": [
            "labels: -1 for the black and white images (no label); targets = argmax of logits",
            "logits are pre-softmax (cnn_bn's final Softmax is not applied)",
            "sums: per image sum of the input relevance, informative only",
            "cnn_constnodes is cnn with its initializers as Constant nodes; same references",
            "zb case: first parametric layer gets zb (layer 1 for mlp, whose layer 0 is flatten)",
            "maxpool wta: R goes to the first maximum of each window in row-major order (as PyTorch). "
            "Ties are common (constant background), so another tie rule changes zero_wta/tutorial_wta a lot",
            "float32_deviation: max over images of max|R32 - R|/max|R| when the same reference code runs in "
            "float32; large for gamma at the pixel layer of standardised input (near-zero denominators)",
        ],
        "models": {},
        "import_errors": {},
    }
    data = {}
    for name, cfg in MODELS.items():
        t = time.time()
        torch.manual_seed(cfg["seed"])
        model = build(name)
        acc = train(model, train_set, test_set, cfg["mean"], cfg["std"],
                    cfg["epochs"], cfg["lr"], cfg["seed"])
        print(f"{name}: test accuracy {acc:.4f} ({time.time() - t:.0f} s)")
        export_onnx(model, os.path.join(OUT, "models", f"{name}.onnx"), cfg["opset"],
                    "probabilities" if name == "cnn_bn" else "logits")
        manifest["models"][name], data[name] = make_references(name, model, cfg, acc, pixels, labels)

    # cnn with every weight as a Constant node (float_data); numerically identical to cnn
    rewrite_as_constant_nodes(os.path.join(OUT, "models", "cnn.onnx"),
                              os.path.join(OUT, "models", "cnn_constnodes.onnx"))
    entry = copy.deepcopy(manifest["models"]["cnn"])
    entry["onnx"] = "models/cnn_constnodes.onnx"
    entry["same_as"] = "cnn"
    manifest["models"]["cnn_constnodes"] = entry

    # random-weight models that the importer must reject
    torch.manual_seed(100)
    bad = {"unsupported_op": nn.Sequential(nn.Conv2d(1, 2, 3, stride=2, padding=1), nn.Tanh(),
                                           nn.Flatten(), nn.Linear(2 * 14 * 14, 10)),
           "branching": nn.Sequential(Residual(), nn.Flatten(), nn.Linear(784, 10))}
    reasons = {"unsupported_op": "Tanh is not a supported operator",
               "branching": "residual block y = relu(conv(x)) + x: the graph is not a chain"}
    for f, m in bad.items():
        export_onnx(m, os.path.join(OUT, "models", f"{f}.onnx"), 13)
        manifest["import_errors"][f] = {"onnx": f"models/{f}.onnx", "opset": 13, "reason": reasons[f]}

    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")

    self_checks(manifest["models"], data, bad)

    report_files(OUT, t0)


if __name__ == "__main__":
    main()
