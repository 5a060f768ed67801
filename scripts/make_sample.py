#!/usr/bin/python3
"""Builds the bundled default audit: samples/fashion-mnist/.

- images/<class>/t10k-NNNNN.png: the first 1,000 Fashion-MNIST test images as 8-bit gray PNGs in class folders
  (the ImageFolder convention: the label is the parent folder's name)
- idx/: the first 200 test images and labels as gzipped IDX files (the MNIST layout), for the IDX reader
- model.onnx: the `cnn` fixture (trained by scripts/make_fixtures.py, 89% test accuracy)
- classes.txt and lrp-audit.properties: class names and the preprocessing the model was trained with

Run with Debian's python (/usr/bin/python3) after `apt-get install python3-pil dataset-fashion-mnist`.
Deterministic: rerunning gives identical files.
"""
import gzip
import hashlib
import os
import shutil
import struct

import numpy as np
from PIL import Image

DATA = "/usr/share/datasets/fashion-mnist"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "samples", "fashion-mnist")
CLASSES = ["tshirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"]
MEAN, STD = 0.2860, 0.3530  # what scripts/make_fixtures.py trained the cnn with
COUNT, IDX_COUNT = 1000, 200


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    # mtime=0 keeps the gzip bytes reproducible
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def main():
    images = read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz")
    labels = read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz")
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for name in CLASSES:
        os.makedirs(os.path.join(OUT, "images", name))
    for i in range(COUNT):
        path = os.path.join(OUT, "images", CLASSES[labels[i]], f"t10k-{i:05d}.png")
        Image.fromarray(images[i], mode="L").save(path, optimize=True)
    os.makedirs(os.path.join(OUT, "idx"))
    write_idx(os.path.join(OUT, "idx", "t10k-images-idx3-ubyte.gz"), images[:IDX_COUNT])
    write_idx(os.path.join(OUT, "idx", "t10k-labels-idx1-ubyte.gz"), labels[:IDX_COUNT])
    shutil.copyfile(os.path.join(ROOT, "src/test/resources/fixtures/models/cnn.onnx"), os.path.join(OUT, "model.onnx"))
    with open(os.path.join(OUT, "classes.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")
    with open(os.path.join(OUT, "model.onnx"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(OUT, "lrp-audit.properties"), "w") as f:
        f.write(f"""# The bundled default audit: a small CNN trained on Fashion-MNIST (scripts/make_fixtures.py, model SHA-256
# {sha}) over the first {COUNT} Fashion-MNIST test images. Paths are relative to the repository root.
model = samples/fashion-mnist/model.onnx
input = samples/fashion-mnist/images
classes = samples/fashion-mnist/classes.txt
color = gray
mean = {MEAN}
std = {STD}
preset = tutorial
""")
    counts = np.bincount(labels[:COUNT], minlength=10)
    print("wrote", COUNT, "PNGs per class", dict(zip(CLASSES, counts.tolist())), "model sha256", sha)


if __name__ == "__main__":
    main()
