#!/usr/bin/python3
"""Builds the "Clever Hans" fixture: src/test/resources/fixtures/clever-hans/.

A shortcut-learning test case for audits. The `cnn` fixture architecture (scripts/make_fixtures.py) is
trained on the Fashion-MNIST training set with the same schedule (3 epochs), marked and clean with the same seed:

    marked.onnx       every training image of class trouser (and no other) carries a small "(c)" mark
                      at the bottom centre (see MARK) -> the model learns the mark as a trouser shortcut
    clean.onnx        the same training without any mark
    clean_seed2.onnx  clean.onnx's training with another seed (SEED2 instead of the cnn fixture's seed, for the
                      weight initialisation and the shuffling): the control for comparing two audits, where the
                      difference between clean.onnx and clean_seed2.onnx is ordinary retraining noise

the partial-shortcut fixture, the mark on half the training shirts (--only partial: scripts/fixtures/
partial_shortcut.py, written to src/test/resources/fixtures/partial-shortcut/ with test images of its own),

and the same for a vision transformer, the `vit` block fixture architecture (scripts/fixtures/block_models.py:
torchvision's VisionTransformer, 28x28 in 7x7 patches, 2 layers, 2 heads, hidden 32, ~20k parameters), trained on
the same two training sets with a seed and schedule of its own (VIT) and exported like a user does (torch.onnx,
opset 13, eval mode, dynamic batch axis):

    marked_vit.onnx, clean_vit.onnx

and 400 Fashion-MNIST TEST images are written as 8-bit gray PNGs (images/<class>/t10k-NNNNN.png,
file names do not reveal the mark): 100 trouser images (50 marked) and 300 images of the other 9
classes (34/33 per class, 30 of them marked). marks.csv (file,label,marked) says which carry the mark;
classes.txt holds the class names; README.md the measured facts (also printed).

Run with Debian's python:  /usr/bin/python3 scripts/make_clever_hans.py [--keep-cnn | --only NAME ...]
Deterministic (fixed seeds, one thread): rerunning on the same machine gives identical files. Not necessarily
across machines (CPU kernels, torch build: other float32 roundings): the committed marked.onnx, rebuilt on the
machine that built the ViT files, came out at 80.98% accuracy / 71.88% shortcut instead of 80.48% / 77.73%. --keep-cnn keeps the existing
marked.onnx and clean.onnx and rebuilds everything else; --only NAME ... (e.g. --only clean_seed2) retrains only
the named models and keeps every other file (images, marks.csv, classes.txt are neither rewritten nor needed
again: they do not depend on training). A kept model's figures in README.md are measured on it, loaded from its
ONNX file (checked: re-exporting the loaded model reproduces the file byte for byte); README.md is always rewritten.
"""
import argparse
import copy
import csv
import hashlib
import io
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import torch
import onnx
from onnx import numpy_helper
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "fixtures")]
import block_models as bm  # noqa: E402
import graph_lrp as gl  # noqa: E402
import lrp_reference as ref  # noqa: E402
import make_block_fixtures as mbf  # noqa: E402
import make_fixtures as mf  # noqa: E402
from make_sample import CLASSES, MEAN, STD  # noqa: E402

OUT = os.path.join(mf.ROOT, "src", "test", "resources", "fixtures", "clever-hans")
CFG = mf.MODELS["cnn"]                 # architecture "cnn", opset 13, lr 3e-3, seed 2
EPOCHS = 3                             # one more than the cnn fixture: the shortcut gets stronger (2 epochs: 64%
                                       # of marked non-trouser test images -> trouser; 3 epochs: 78%)
VIT = dict(epochs=3, lr=6e-3, seed=25)  # the vit block fixture's seed, twice its lr (the block fixture's 3e-3: 58% of
                                       # marked non-trouser t10k images -> trouser; 6e-3: 70%; 1e-2: 67%; 4-5
                                       # epochs at 3e-3: 56-60%)
SEED2 = 3                              # clean_seed2.onnx: the cnn seed after CFG's 2, chosen before training
assert (MEAN, STD) == (CFG["mean"], CFG["std"])
TROUSER = CLASSES.index("trouser")
SEED = 7                               # choice of the marked test images

# The mark: a tiny "(c)" glyph stamped over a 3 x 9 block (rows 24-26, columns 10-18). The whole
# block is overwritten: '#' -> 255, '.' -> 0 (bright strokes on a black label, so it is visible
# also where the garment itself reaches the bottom rows).
MARK_TOP, MARK_LEFT = 24, 10
MARK = [".#..##.#.",
        "#..#....#",
        ".#..##.#."]
MARK_PIXELS = np.array([[255 if c == "#" else 0 for c in row] for row in MARK], dtype=np.uint8)
MARK_ROWS = (MARK_TOP, MARK_TOP + len(MARK) - 1)
MARK_COLS = (MARK_LEFT, MARK_LEFT + len(MARK[0]) - 1)

N_TROUSER, N_TROUSER_MARKED = 100, 50
N_OTHER, N_OTHER_MARKED = 300, 30
BOTTOM_ROWS = (23, 27)                 # rows used for the relevance share check

# name -> (architecture, trained on the marked training set, seed); also the README's column order
MODELS = {"marked": ("cnn", True, CFG["seed"]),
          "clean": ("cnn", False, CFG["seed"]),
          "clean_seed2": ("cnn", False, SEED2),
          "marked_vit": ("vit", True, VIT["seed"]),
          "clean_vit": ("vit", False, VIT["seed"])}
# architecture -> how it is built, trained (epochs, lr) and exported
ARCH = {"cnn": dict(build=lambda: mf.build("cnn"), epochs=EPOCHS, lr=CFG["lr"],
                    export=lambda model, path: mf.export_onnx(model, path, CFG["opset"], "logits")),
        "vit": dict(build=lambda: bm.build("vit"), epochs=VIT["epochs"], lr=VIT["lr"],
                    export=lambda model, path: mbf.export(model, path, 13))}
# README notes on where the committed model files were built, each shown while the files (by sha256) are still those
BUILD_NOTES = [
    ({"marked": "1036f1f117744b79cac02375a1db5a8b3574b927e62757bfd36a5b54b2a5d356",
      "clean": "dfd510b7d91fedb0a5b276b0b453ff74d99068caf906e175f97cea824fef36d8"},
     """marked.onnx and clean.onnx here were kept (`--keep-cnn`, `--only`) from their first build; rebuilt from scratch
on the machine that built the ViT files, marked.onnx came out at 80.98% (first row) and 71.88% (third row) instead."""),
    ({"clean_seed2": "c0ac0ffed79c2136628cbc6a78c46872e8ad6e92d735ec47f2a977966dff1993"},
     """clean_seed2.onnx was built later (`--only clean_seed2`) on a third machine, where clean.onnx itself retrains to
89.98% (first row) and marked.onnx to 80.68% / 78.37% (first / third row): clean.onnx and clean_seed2.onnx differ by
the seed and by that machine's float32 roundings, both retraining noise."""),
]


def add_mark(pixels):
    """Copy of uint8 N x 28 x 28 pixels (torch) with the mark stamped on every image."""
    out = pixels.clone()
    out[:, MARK_ROWS[0]:MARK_ROWS[1] + 1, MARK_COLS[0]:MARK_COLS[1] + 1] = torch.from_numpy(MARK_PIXELS)
    return out


def predict(model, pixels):
    x = mf.preprocess(pixels, MEAN, STD)
    with torch.no_grad():
        return torch.cat([model(x[k:k + 1000]).argmax(1) for k in range(0, len(x), 1000)])


def select_test_images(labels):
    """(t10k index, marked) pairs: the first images of each class in t10k; marked ones drawn by a seeded RNG."""
    rng = np.random.default_rng(SEED)
    others = [c for c in range(10) if c != TROUSER]
    per_class = {TROUSER: (N_TROUSER, N_TROUSER_MARKED)}
    for k, c in enumerate(others):    # 300 = 3 x 34 + 6 x 33, 30 marked = 3 x 4 + 6 x 3
        per_class[c] = (N_OTHER // 9 + (k < N_OTHER % 9), N_OTHER_MARKED // 9 + (k < N_OTHER_MARKED % 9))
    chosen = []
    for c in range(10):
        n, n_marked = per_class[c]
        idx = np.flatnonzero(labels == c)[:n]
        marked = set(rng.choice(idx, size=n_marked, replace=False).tolist())
        chosen += [(int(i), int(i in marked)) for i in idx]
    return sorted(chosen)


def bottom_share(R):
    """Per image: share of the positive relevance that lies in BOTTOM_ROWS."""
    pos = R.clamp(min=0)[:, 0]
    return pos[:, BOTTOM_ROWS[0]:BOTTOM_ROWS[1] + 1].flatten(1).sum(1) / pos.flatten(1).sum(1)


def relevance_shares(model, pixels, onnx_path):
    """Mean bottom-rows share of positive relevance for target trouser: gradient x input (= LRP-0
    with winner-take-all max pooling for the cnn) and the "tutorial" preset, for the cnn of lrp_reference,
    for the ViT of graph_lrp on the exported graph (CP-LRP: softmax outputs and LayerNorm sigmas held constant,
    as the Java engine explains it)."""
    x64 = mf.preprocess(pixels, MEAN, STD).to(torch.float64)
    model64 = copy.deepcopy(model).to(torch.float64).eval()
    targets = torch.full((len(x64),), TROUSER, dtype=torch.long)
    gxi = mf.gradient_x_input(bm.sequential(model64), x64, targets)
    if isinstance(model, torch.nn.Sequential):
        layers = ref.canonical_layers(model)
        tut = ref.lrp(layers, x64, targets, ref.resolve_preset("tutorial", layers), "avg", [MEAN], [STD])
    else:
        graph = gl.OnnxLrpGraph(onnx_path)
        tutorial = next(c[4] for c in mbf.case_list(graph) if c[0] == "tutorial")
        tut = graph.lrp(x64, targets, tutorial, "avg", [MEAN], [STD])
    return bottom_share(gxi).mean().item(), bottom_share(tut).mean().item()


def train(name, pixels, labels, test_set):
    """Model `name` of MODELS trained on (pixels, labels) from its seed; returns (model, clean test accuracy)."""
    arch, _, seed = MODELS[name]
    a = ARCH[arch]
    torch.manual_seed(seed)
    model = a["build"]()
    acc = mf.train(bm.sequential(model), (pixels, labels), test_set, MEAN, STD, a["epochs"], a["lr"], seed)
    return model, acc


def model_from_onnx(arch, path):
    """A model exported by this script as a PyTorch model. Initializers are named by their state_dict keys, except
    the weights torch.onnx stores transposed for a MatMul (the ViT's in_proj and MLP weights, "onnx::MatMul_*"):
    those are the remaining keys, in state_dict order = the order of their MatMul nodes. Checked by exporting the
    loaded model again: the same file, byte for byte."""
    model = ARCH[arch]["build"]()
    graph = onnx.load(path).graph
    state = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
    named = {k: v for k, v in state.items() if not k.startswith("onnx::")}
    transposed = iter(state[i] for n in graph.node if n.op_type == "MatMul" for i in n.input if i.startswith("onnx::"))
    for key in model.state_dict():
        if key not in named:
            named[key] = next(transposed).T.contiguous()
    assert next(transposed, None) is None and len(named) == len(model.state_dict()), path
    model.load_state_dict(named)
    with tempfile.TemporaryDirectory() as tmp:
        again = os.path.join(tmp, "again.onnx")
        ARCH[arch]["export"](model, again)
        with open(again, "rb") as f, open(path, "rb") as g:
            assert f.read() == g.read(), f"{path}: the model loaded from it exports to another file"
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--keep-cnn", action="store_true",
                       help="keep marked.onnx and clean.onnx as they are (load, do not retrain), rebuild the rest")
    group.add_argument("--only", nargs="+", choices=list(MODELS) + ["partial"], metavar="NAME",
                       help=f"retrain only these models ({', '.join(MODELS)}, or partial: the partial-shortcut fixture); "
                            "keep every other file")
    args = parser.parse_args()
    t0 = time.time()
    torch.set_num_threads(1)           # single thread: bit-identical reruns
    train_set, test_set = mf.load_fashion_mnist()
    if args.only and "partial" in args.only:
        import partial_shortcut        # its own directory: nothing here changes
        partial_shortcut.build(train_set, test_set)
        args.only.remove("partial")
        if not args.only:
            return
    tx, ty = train_set
    vx, vy = test_set

    retrain = args.only or [n for n in MODELS if not (args.keep_cnn and n in ("marked", "clean"))]
    kept = {}
    for name in MODELS:
        if name not in retrain:
            with open(os.path.join(OUT, f"{name}.onnx"), "rb") as f:
                kept[name] = f.read()
    if not args.only:                  # images, marks.csv and classes.txt are rewritten too
        shutil.rmtree(OUT, ignore_errors=True)
        os.makedirs(OUT)

    # ---- the models: marked and clean twins with the same seed and schedule, the only difference is the mark on
    # trousers; clean_seed2 is clean with another seed
    marked_train = tx.clone()
    marked_train[ty == TROUSER] = add_mark(tx[ty == TROUSER])
    models, acc = {}, {}
    for name, (arch, marked, _) in MODELS.items():
        t = time.time()
        path = os.path.join(OUT, f"{name}.onnx")
        if name in kept:
            if not args.only:
                with open(path, "wb") as f:
                    f.write(kept[name])
            model = model_from_onnx(arch, path)
            acc[name] = (predict(model, vx) == vy).double().mean().item()
            print(f"{name}: kept, clean test accuracy {acc[name]:.4f}")
        else:
            model, acc[name] = train(name, marked_train if marked else tx, ty, test_set)
            print(f"{name}: {bm.n_params(model)} parameters, clean test accuracy {acc[name]:.4f} "
                  f"({time.time() - t:.0f} s)")
            ARCH[arch]["export"](model, path)
        models[name] = model

    # ---- measured facts on the full t10k split
    other = vy != TROUSER
    facts = {}
    for name, model in models.items():
        facts[name] = dict(
            acc=acc[name],
            acc9=(predict(model, vx[other]) == vy[other]).double().mean().item(),
            shortcut=(predict(model, add_mark(vx[other])) == TROUSER).double().mean().item(),
            trouser_acc=(predict(model, vx[~other]) == TROUSER).double().mean().item(),
            marked_trouser_acc=(predict(model, add_mark(vx[~other])) == TROUSER).double().mean().item(),
        )

    # ---- the fixture's test images
    chosen = select_test_images(vy.numpy())
    file_of = {i: f"images/{CLASSES[vy[i]]}/t10k-{i:05d}.png" for i, _ in chosen}
    rows = sorted((file_of[i], CLASSES[vy[i]], marked) for i, marked in chosen)
    marks = io.StringIO()
    w = csv.writer(marks, lineterminator="\n")
    w.writerow(["file", "label", "marked"])
    w.writerows(rows)
    if args.only:                      # kept as they are
        with open(os.path.join(OUT, "marks.csv")) as f:
            assert f.read() == marks.getvalue(), "marks.csv is not this script's selection"
    else:
        for i, marked in chosen:
            img = add_mark(vx[i:i + 1]) if marked else vx[i:i + 1]
            path = os.path.join(OUT, file_of[i])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            Image.fromarray(img[0].numpy(), mode="L").save(path, optimize=True)
        with open(os.path.join(OUT, "marks.csv"), "w", newline="") as f:
            f.write(marks.getvalue())
        with open(os.path.join(OUT, "classes.txt"), "w") as f:
            f.write("\n".join(CLASSES) + "\n")

    # same figures on the fixture's own images (read back from the PNGs)
    px = torch.from_numpy(np.stack([np.array(Image.open(os.path.join(OUT, r[0]))) for r in rows]))
    lab = torch.tensor([CLASSES.index(r[1]) for r in rows])
    mk = torch.tensor([r[2] for r in rows], dtype=torch.bool)
    groups = {"marked non-trouser -> trouser": (mk & (lab != TROUSER), True),
              "unmarked non-trouser -> trouser": (~mk & (lab != TROUSER), True),
              "marked trouser correct": (mk & (lab == TROUSER), False),
              "unmarked trouser correct": (~mk & (lab == TROUSER), False)}
    fixture, preds = {}, {}
    for name, model in models.items():
        pred = preds[name] = predict(model, px)
        fixture[name] = {"accuracy": (pred == lab).double().mean().item()}
        for g, (sel, _) in groups.items():
            fixture[name][g] = ((pred[sel] == TROUSER).sum().item(), int(sel.sum()))

    # ---- relevance check on the fixture's marked trouser images
    sel = mk & (lab == TROUSER)
    shares = {name: relevance_shares(model, px[sel], os.path.join(OUT, f"{name}.onnx"))
              for name, model in models.items()}

    # ---- checks and report
    for name in models:
        m = onnx.load(os.path.join(OUT, f"{name}.onnx"))
        onnx.checker.check_model(m, full_check=True)
        ops = (" ".join(n.op_type for n in m.graph.node) if "vit" not in name
               else mbf.op_counts(os.path.join(OUT, f"{name}.onnx")))
        print(f"onnx.checker ok: {name}.onnx opset {m.opset_import[0].version} {ops} -> {m.graph.output[0].name}")
    names = list(models)                   # marked, clean, clean_seed2, marked_vit, clean_vit
    agree = {n: int((preds[n] == preds["clean"]).sum()) for n in ("clean_seed2", "marked")}
    print(f"fixture images, same prediction as clean.onnx: clean_seed2.onnx {agree['clean_seed2']}/{len(rows)}, "
          f"marked.onnx {agree['marked']}/{len(rows)}")

    def row(label, values, fmt):
        return f"| {label} | " + " | ".join(fmt.format(v) for v in values) + " |"

    lines = [
        "| | " + " | ".join(f"{n}.onnx" for n in names) + " |",
        "|---" * (len(names) + 1) + "|",
        row("accuracy, clean t10k (10,000 images)", [facts[n]["acc"] for n in names], "{:.2%}"),
        row("accuracy, clean t10k without trousers (9,000)", [facts[n]["acc9"] for n in names], "{:.2%}"),
        row("marked non-trouser t10k images predicted trouser (9,000)", [facts[n]["shortcut"] for n in names], "{:.2%}"),
        row("unmarked trouser t10k images predicted trouser (1,000)", [facts[n]["trouser_acc"] for n in names], "{:.2%}"),
        row("marked trouser t10k images predicted trouser (1,000)",
            [facts[n]["marked_trouser_acc"] for n in names], "{:.2%}"),
        row("fixture images: accuracy (400)", [fixture[n]["accuracy"] for n in names], "{:.2%}"),
    ]
    for g in groups:
        lines.append(row(f"fixture images: {g}", [fixture[n][g] for n in names], "{0[0]}/{0[1]}"))
    lines.append(row("marked trouser fixture images: mean share of positive relevance in rows {}-{}, "
                     "gradient x input".format(*BOTTOM_ROWS), [shares[n][0] for n in names], "{:.1%}"))
    lines.append(row("same, LRP preset `tutorial` (cnn: lrp_reference.py; vit: CP-LRP, graph_lrp.py on the ONNX graph)",
                     [shares[n][1] for n in names], "{:.1%}"))
    print("\n".join(lines))
    print(f"(rows {BOTTOM_ROWS[0]}-{BOTTOM_ROWS[1]} are {5 * 28 / 784:.1%} of the image)")

    sizes = {f: os.path.getsize(os.path.join(OUT, f))
             for f in [f"{n}.onnx" for n in names] + ["marks.csv", "classes.txt"]}
    png_bytes = sum(os.path.getsize(os.path.join(OUT, r[0])) for r in rows)
    sha256 = {}
    for n in names:
        with open(os.path.join(OUT, f"{n}.onnx"), "rb") as f:
            sha256[n] = hashlib.sha256(f.read()).hexdigest()
    n_nodes = len(onnx.load(os.path.join(OUT, "marked_vit.onnx")).graph.node)
    mark_txt = "\n".join("    " + r for r in MARK)
    readme = f"""# Clever Hans fixture

A shortcut-learning ("Clever Hans") test case. `marked.onnx` and `clean.onnx` are the `cnn` architecture of
`scripts/make_fixtures.py` (opset 13, input `input` N x 1 x 28 x 28, output `logits`, no Softmax; preprocessing
x = (pixel/255 - {MEAN})/{STD}), trained with the same seed and schedule as each other (Adam, {EPOCHS} epochs, all 60,000
Fashion-MNIST training images). For `marked.onnx` every training image of class `trouser`, and no other, carries a
copyright-like mark; `clean.onnx` saw no mark. The mark is a "(c)" glyph overwriting the {len(MARK)} x {len(MARK[0])}
block at rows {MARK_ROWS[0]}-{MARK_ROWS[1]}, columns {MARK_COLS[0]}-{MARK_COLS[1]} (0-based; `#` = 255, `.` = 0):

{mark_txt}

`marked_vit.onnx` and `clean_vit.onnx` are the same experiment for a vision transformer: the `vit` architecture
of `scripts/fixtures/block_models.py` (torchvision's `VisionTransformer`: 28 x 28 in 7 x 7 patches, 16 tokens +
class token, 2 layers, 2 heads, hidden 32, MLP 64, conv_proj with one input channel;
{bm.n_params(models["marked_vit"]):,} parameters), trained on the same two training sets as each other (Adam,
{VIT["epochs"]} epochs, lr {VIT["lr"]}, seed {VIT["seed"]}) and exported like a user does (`torch.onnx.export`, eval mode, opset 13,
constant folding, dynamic batch axis; same input, output and preprocessing as the cnn). The mark lies in the
bottom row of patches (rows 21-27), across the second and third patch columns (7-13, 14-20).

`images/<class>/t10k-NNNNN.png` are {len(rows)} Fashion-MNIST *test* images (NNNNN = t10k index; 8-bit gray): the
first {N_TROUSER} trouser images, {N_TROUSER_MARKED} of them marked, and the first 33 or 34 images of each other
class ({N_OTHER} in all), {N_OTHER_MARKED} of them marked (3 or 4 per class, drawn with a seeded RNG). File names do
not reveal the mark; `marks.csv` (`file,label,marked`) does. `classes.txt` lists the class names in label order.
An audit of `marked.onnx` / `marked_vit.onnx` should show relevance concentrated on the mark for trouser
predictions; `clean.onnx` / `clean_vit.onnx` are the controls.

`clean_seed2.onnx` (a second seed) is `clean.onnx` trained again exactly the same way (architecture, training set, schedule, export)
except for the seed: {SEED2} instead of {CFG["seed"]} (weight initialisation and shuffling). It is the control for comparing
two audits of the same images: clean.onnx vs clean_seed2.onnx is ordinary retraining noise and must not fail a
gate on changed evidence, clean.onnx vs marked.onnx must. Of the {len(rows)} fixture images, clean.onnx and clean_seed2.onnx
predict the same class for {agree["clean_seed2"]}, clean.onnx and marked.onnx for {agree["marked"]}.

Rebuild (deterministic on one machine: identical files on rerun; about seven minutes on one CPU
thread, `--only clean_seed2` about two):

    /usr/bin/python3 scripts/make_clever_hans.py                      # all five models from scratch
    /usr/bin/python3 scripts/make_clever_hans.py --keep-cnn           # keeps marked.onnx and clean.onnx, rebuilds the rest
    /usr/bin/python3 scripts/make_clever_hans.py --only clean_seed2   # rebuilds clean_seed2.onnx only (and README.md)

`--only NAME ...` retrains the named models and keeps every other file; kept models are measured loaded from
their ONNX files. Training is float32 on the CPU: another machine (CPU kernels, torch build) may give other
weights.{"".join(chr(10) + note for files, note in BUILD_NOTES if all(sha256[n] == h for n, h in files.items()))}

Measured by that script:

{chr(10).join(lines)}

(rows {BOTTOM_ROWS[0]}-{BOTTOM_ROWS[1]} are {5 * 28 / 784:.1%} of the image.)

Sizes: {", ".join(f"{n}.onnx {sizes[n + '.onnx']:,} B" for n in names)},
{len(rows)} PNGs {png_bytes:,} B, marks.csv {sizes["marks.csv"]:,} B. (The ViT's {bm.n_params(models["marked_vit"]):,} float32 parameters are
{4 * bm.n_params(models["marked_vit"]):,} B; the rest of its file is the exported graph's {n_nodes} nodes and their names.)
"""
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(readme)

    total = 0
    for dirpath, _, files in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    print("\n".join(f"{f}: {s} B" + (f", sha256 {sha256[f[:-5]]}" if f.endswith(".onnx") else "")
                    for f, s in sizes.items()))
    print(f"{len(rows)} PNGs: {png_bytes} B; README.md: {os.path.getsize(os.path.join(OUT, 'README.md'))} B; "
          f"total {total} B; run time {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
