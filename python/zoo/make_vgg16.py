#!/usr/bin/python3
"""Export torchvision's VGG-16 (no batch norm, random weights) to ONNX for the benchmarks.

    /usr/bin/python3 python/zoo/make_vgg16.py [OUT.onnx] [--force]

Default OUT is /tmp/lrp-bench/vgg16.onnx (~0.5 GB: keep it out of the repository). Needs Debian's
python3-torch, python3-onnx and python3-torchvision (apt-get install -y python3-torchvision).
No weights are downloaded: torch.manual_seed(0) and torchvision's own initialisation.

The graph: input "input" [N,3,224,224] (dynamic N), output "logits" [N,1000], opset 13. It must be
a plain chain of ops the Java importer supports; the op-type histogram is printed to check that.
torchvision's AdaptiveAvgPool2d((7,7)) on the 7x7 map of a 224x224 input exports as a 1x1
AveragePool (an identity that still takes a canonical layer index); if an exporter ever turned it
into something else, it would be replaced by nn.Identity() (exactly equivalent for 224x224 input).

torch.onnx (1.13) de-duplicates identical initializers: torchvision initialises every bias to 0,
so all but one bias of each size become `Identity(first_bias)` nodes outside the chain. Those
nodes are undone here (each alias becomes its own initializer again), so that the graph is a plain
chain of layer ops whose weights are all initializers.
"""
import argparse
import collections
import os
import sys

import onnx
import torch
import torch.nn as nn

try:
    import torchvision
except ImportError:
    sys.exit("needs torchvision: apt-get install -y python3-torchvision")

SUPPORTED = {"Conv", "Gemm", "MatMul", "Add", "Relu", "MaxPool", "AveragePool",
             "GlobalAveragePool", "Flatten", "Reshape", "Dropout", "Identity"}


def build(identity_avgpool=False):
    torch.manual_seed(0)
    model = torchvision.models.vgg16(weights=None).eval()
    if identity_avgpool:
        model.avgpool = nn.Identity()
    return model


def materialise_aliases(model):
    """Replace `Identity(initializer)` nodes by a copy of the initializer under the output name."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    for node in [n for n in g.node if n.op_type == "Identity" and n.input[0] in inits]:
        copy = onnx.TensorProto()
        copy.CopyFrom(inits[node.input[0]])
        copy.name = node.output[0]
        g.initializer.append(copy)
        g.node.remove(node)
    return model


def export(model, path):
    x = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        torch.onnx.export(model, x, path, opset_version=13, input_names=["input"],
                          output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                          do_constant_folding=True)
    exported = onnx.load(path)
    print("exported op types:", dict(sorted(collections.Counter(n.op_type for n in exported.graph.node).items())))
    onnx.save(materialise_aliases(exported), path)
    return collections.Counter(n.op_type for n in onnx.load(path).graph.node)


def output_path(description, default):
    """OUT from the command line (its folder created), or None when it exists and --force is not given."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("out", nargs="?", default=default)
    p.add_argument("--force", action="store_true", help="re-export even if OUT exists")
    args = p.parse_args()
    if os.path.exists(args.out) and not args.force:
        print(f"{args.out} exists ({os.path.getsize(args.out) / 2**20:.1f} MiB); --force to redo")
        return None
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    return args.out


def check_model(path):
    onnx.checker.check_model(path)                                 # path-based: fine for big models
    print(f"onnx.checker: OK; wrote {path} ({os.path.getsize(path) / 2**20:.1f} MiB, {os.path.getsize(path)} bytes)")


def main():
    out = output_path(__doc__.splitlines()[0], "/tmp/lrp-bench/vgg16.onnx")
    if out is None:
        return
    hist = export(build(), out)
    if set(hist) - SUPPORTED:
        print(f"export has unsupported ops {sorted(set(hist) - SUPPORTED)}; "
              "replacing avgpool by nn.Identity()", file=sys.stderr)
        hist = export(build(identity_avgpool=True), out)
    print("op types:", dict(sorted(hist.items())))
    if set(hist) - SUPPORTED:
        sys.exit(f"still unsupported: {sorted(set(hist) - SUPPORTED)}")

    g = onnx.load(out).graph                                       # a plain chain?
    for prev, node in zip(g.node, g.node[1:]):
        assert node.input[0] == prev.output[0], f"not a chain at {node.name}"
    check_model(out)


if __name__ == "__main__":
    main()
