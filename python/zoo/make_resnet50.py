#!/usr/bin/python3
"""Export torchvision's ResNet-50 (random weights) to ONNX for the benchmarks.

    /usr/bin/python3 python/zoo/make_resnet50.py [OUT.onnx] [--force]

Default OUT is /tmp/lrp-bench/resnet50.onnx (~100 MB: keep it out of the repository). Needs Debian's
python3-torch, python3-onnx and python3-torchvision (apt-get install -y python3-torchvision).
No weights are downloaded: torch.manual_seed(0) and torchvision's own initialisation; eval mode.

The graph: input "input" [N,3,224,224] (dynamic N), output "logits" [N,1000], opset 13. It is a
BRANCHING graph (16 residual Adds, 4 of them with a conv1x1 downsample shortcut); the op-type
histogram is printed. torch.onnx's default (TrainingMode.EVAL) export folds every BatchNormalization
into the preceding Conv, so the graph holds Conv, Relu, MaxPool, Add, GlobalAveragePool, Flatten, Gemm.

torch.onnx (1.13) de-duplicates identical initializers: with torchvision's initialisation every
folded BN bias is 0, so all but one folded bias of each size would become `Identity(first_bias)`
nodes. As in make_vgg16.py those aliases are undone (each becomes its own initializer again), so
that every node is a layer op whose weights are all initializers.
"""
import os
import sys

import onnx
import torch

try:
    import torchvision
except ImportError:
    sys.exit("needs torchvision: apt-get install -y python3-torchvision")

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # python/: the packages
from zoo.make_vgg16 import check_model, export, output_path  # noqa: E402  (the same export, aliases undone)

SUPPORTED = {"Conv", "Gemm", "MatMul", "Add", "Relu", "MaxPool", "AveragePool",
             "GlobalAveragePool", "Flatten", "Reshape", "Dropout", "Identity", "BatchNormalization"}


def build():
    torch.manual_seed(0)
    return torchvision.models.resnet50(weights=None).eval()


def main():
    out = output_path(__doc__.splitlines()[0], "/tmp/lrp-bench/resnet50.onnx")
    if out is None:
        return
    hist = export(build(), out)
    print("op types:", dict(sorted(hist.items())))
    if set(hist) - SUPPORTED:
        sys.exit(f"unsupported ops: {sorted(set(hist) - SUPPORTED)}")

    g = onnx.load(out).graph                                  # every node input is defined before use
    inits = {t.name for t in g.initializer}
    known = inits | {i.name for i in g.input}
    for node in g.node:
        assert all(i in known for i in node.input if i), f"undefined input at {node.name}"
        known.update(node.output)
    assert not [n for n in g.node if n.op_type == "Identity"], "Identity aliases left"
    check_model(out)


if __name__ == "__main__":
    main()
