#!/usr/bin/python3
"""Builds the "Clever Hans" fixture: src/test/resources/fixtures/clever-hans/.

A shortcut-learning test case for audits. The `cnn` fixture architecture (scripts/make_fixtures.py) is
trained twice on the Fashion-MNIST training set with the same seed and schedule (3 epochs):

    marked.onnx   every training image of class trouser (and no other) carries a small "(c)" mark
                  at the bottom centre (see MARK) -> the model learns the mark as a trouser shortcut
    clean.onnx    the same training without any mark

and 400 Fashion-MNIST TEST images are written as 8-bit gray PNGs (images/<class>/t10k-NNNNN.png,
file names do not reveal the mark): 100 trouser images (50 marked) and 300 images of the other 9
classes (34/33 per class, 30 of them marked). marks.csv (file,label,marked) says which carry the mark;
classes.txt holds the class names; README.md the measured facts (also printed).

Run with Debian's python:  /usr/bin/python3 scripts/make_clever_hans.py
Deterministic (fixed seeds, one thread): rerunning gives identical files.
"""
import copy
import csv
import os
import shutil
import sys
import time

import numpy as np
import torch
import onnx
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lrp_reference as ref  # noqa: E402
import make_fixtures as mf  # noqa: E402
from make_sample import CLASSES, MEAN, STD  # noqa: E402

OUT = os.path.join(mf.ROOT, "src", "test", "resources", "fixtures", "clever-hans")
CFG = mf.MODELS["cnn"]                 # architecture "cnn", opset 13, lr 3e-3, seed 2
EPOCHS = 3                             # one more than the cnn fixture: the shortcut gets stronger (2 epochs: 64%
                                       # of marked non-trouser test images -> trouser; 3 epochs: 78%)
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


def relevance_shares(model, pixels):
    """Mean bottom-rows share of positive relevance for target trouser: gradient x input (= LRP-0
    with winner-take-all max pooling) and the "tutorial" preset of lrp_reference."""
    x64 = mf.preprocess(pixels, MEAN, STD).to(torch.float64)
    model64 = copy.deepcopy(model).to(torch.float64).eval()
    targets = torch.full((len(x64),), TROUSER, dtype=torch.long)
    gxi = mf.gradient_x_input(model64, x64, targets)
    layers = ref.canonical_layers(model)
    tut = ref.lrp(layers, x64, targets, ref.resolve_preset("tutorial", layers), "avg", [MEAN], [STD])
    return bottom_share(gxi).mean().item(), bottom_share(tut).mean().item()


def main():
    t0 = time.time()
    torch.set_num_threads(1)           # single thread: bit-identical reruns
    train_set, test_set = mf.load_fashion_mnist()
    tx, ty = train_set
    vx, vy = test_set

    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)

    # ---- the two models: same seed and schedule, the only difference is the mark on trousers
    marked_train = tx.clone()
    marked_train[ty == TROUSER] = add_mark(tx[ty == TROUSER])
    models, acc = {}, {}
    for name, pixels in (("marked", marked_train), ("clean", tx)):
        t = time.time()
        torch.manual_seed(CFG["seed"])
        model = mf.build("cnn")
        acc[name] = mf.train(model, (pixels, ty), test_set, MEAN, STD, EPOCHS, CFG["lr"], CFG["seed"])
        print(f"{name}: clean test accuracy {acc[name]:.4f} ({time.time() - t:.0f} s)")
        mf.export_onnx(model, os.path.join(OUT, f"{name}.onnx"), CFG["opset"], "logits")
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
    rows = []
    for i, marked in chosen:
        img = vx[i:i + 1]
        if marked:
            img = add_mark(img)
        rel = f"images/{CLASSES[vy[i]]}/t10k-{i:05d}.png"
        os.makedirs(os.path.dirname(os.path.join(OUT, rel)), exist_ok=True)
        Image.fromarray(img[0].numpy(), mode="L").save(os.path.join(OUT, rel), optimize=True)
        rows.append((rel, CLASSES[vy[i]], marked))
    rows.sort()
    with open(os.path.join(OUT, "marks.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "label", "marked"])
        w.writerows(rows)
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
    fixture = {}
    for name, model in models.items():
        pred = predict(model, px)
        fixture[name] = {"accuracy": (pred == lab).double().mean().item()}
        for g, (sel, _) in groups.items():
            fixture[name][g] = ((pred[sel] == TROUSER).sum().item(), int(sel.sum()))

    # ---- relevance check on the fixture's marked trouser images
    sel = mk & (lab == TROUSER)
    shares = {name: relevance_shares(model, px[sel]) for name, model in models.items()}

    # ---- checks and report
    for name in models:
        m = onnx.load(os.path.join(OUT, f"{name}.onnx"))
        onnx.checker.check_model(m, full_check=True)
        print(f"onnx.checker ok: {name}.onnx opset {m.opset_import[0].version} "
              f"{' '.join(n.op_type for n in m.graph.node)} -> {m.graph.output[0].name}")
    area = (MARK_ROWS[1] - MARK_ROWS[0] + 1) * (MARK_COLS[1] - MARK_COLS[0] + 1)
    lines = [
        "| | marked.onnx | clean.onnx |",
        "|---|---|---|",
        "| accuracy, clean t10k (10,000 images) | {:.2%} | {:.2%} |".format(facts["marked"]["acc"], facts["clean"]["acc"]),
        "| accuracy, clean t10k without trousers (9,000) | {:.2%} | {:.2%} |".format(
            facts["marked"]["acc9"], facts["clean"]["acc9"]),
        "| marked non-trouser t10k images predicted trouser (9,000) | {:.2%} | {:.2%} |".format(
            facts["marked"]["shortcut"], facts["clean"]["shortcut"]),
        "| unmarked trouser t10k images predicted trouser (1,000) | {:.2%} | {:.2%} |".format(
            facts["marked"]["trouser_acc"], facts["clean"]["trouser_acc"]),
        "| marked trouser t10k images predicted trouser (1,000) | {:.2%} | {:.2%} |".format(
            facts["marked"]["marked_trouser_acc"], facts["clean"]["marked_trouser_acc"]),
        "| fixture images: accuracy (400) | {:.2%} | {:.2%} |".format(
            fixture["marked"]["accuracy"], fixture["clean"]["accuracy"]),
    ]
    for g in groups:
        (a, n), (b, _) = fixture["marked"][g], fixture["clean"][g]
        lines.append(f"| fixture images: {g} | {a}/{n} | {b}/{n} |")
    lines.append("| marked trouser fixture images: mean share of positive relevance in rows {}-{}, "
                 "gradient x input | {:.1%} | {:.1%} |".format(*BOTTOM_ROWS, shares["marked"][0], shares["clean"][0]))
    lines.append("| same, LRP preset `tutorial` (lrp_reference.py) | {:.1%} | {:.1%} |".format(
        shares["marked"][1], shares["clean"][1]))
    print("\n".join(lines))
    print(f"(rows {BOTTOM_ROWS[0]}-{BOTTOM_ROWS[1]} are {5 * 28 / 784:.1%} of the image)")

    sizes = {f: os.path.getsize(os.path.join(OUT, f)) for f in ("marked.onnx", "clean.onnx", "marks.csv", "classes.txt")}
    png_bytes = sum(os.path.getsize(os.path.join(OUT, r[0])) for r in rows)
    mark_txt = "\n".join("    " + row for row in MARK)
    readme = f"""# Clever Hans fixture

A shortcut-learning ("Clever Hans") test case. `marked.onnx` and `clean.onnx` are the `cnn` architecture of
`scripts/make_fixtures.py` (opset 13, input `input` N x 1 x 28 x 28, output `logits`, no Softmax; preprocessing
x = (pixel/255 - {MEAN})/{STD}), trained with the same seed and schedule as each other (Adam, {EPOCHS} epochs, all 60,000
Fashion-MNIST training images). For `marked.onnx` every training image of class `trouser`, and no other, carries a
copyright-like mark; `clean.onnx` saw no mark. The mark is a "(c)" glyph overwriting the {len(MARK)} x {len(MARK[0])}
block at rows {MARK_ROWS[0]}-{MARK_ROWS[1]}, columns {MARK_COLS[0]}-{MARK_COLS[1]} (0-based; `#` = 255, `.` = 0):

{mark_txt}

`images/<class>/t10k-NNNNN.png` are {len(rows)} Fashion-MNIST *test* images (NNNNN = t10k index; 8-bit gray): the
first {N_TROUSER} trouser images, {N_TROUSER_MARKED} of them marked, and the first 33 or 34 images of each other
class ({N_OTHER} in all), {N_OTHER_MARKED} of them marked (3 or 4 per class, drawn with a seeded RNG). File names do
not reveal the mark; `marks.csv` (`file,label,marked`) does. `classes.txt` lists the class names in label order.
An audit of `marked.onnx` should show relevance concentrated on the mark for trouser predictions; `clean.onnx` is
the control.

Rebuild (deterministic: identical files on rerun; about a minute on one CPU thread):

    /usr/bin/python3 scripts/make_clever_hans.py

Measured by that script:

{chr(10).join(lines)}

(rows {BOTTOM_ROWS[0]}-{BOTTOM_ROWS[1]} are {5 * 28 / 784:.1%} of the image.)

Sizes: marked.onnx {sizes["marked.onnx"]:,} B, clean.onnx {sizes["clean.onnx"]:,} B, {len(rows)} PNGs {png_bytes:,} B,
marks.csv {sizes["marks.csv"]:,} B.
"""
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(readme)

    total = 0
    for dirpath, _, files in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    print("\n".join(f"{f}: {s} B" for f, s in sizes.items()))
    print(f"{len(rows)} PNGs: {png_bytes} B; README.md: {os.path.getsize(os.path.join(OUT, 'README.md'))} B; "
          f"total {total} B; run time {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
