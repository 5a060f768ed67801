"""PyTorch's own float32 LRP-0 (the four steps, on the ONNX graph) against the float64 surrogate reference of a zoo
export: what float32 alone costs LRP-0 on that network, the scale against which the engine's zoo check error is read.

    /usr/bin/python3 python/zoo/float32_four_step.py mobilenet_v2 [--root /tmp/lrp-zoo]

Needs export_torchvision.py and surrogate_reference.py run first for that model.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # python/: the packages
from lrp_reference import graph  # noqa: E402  (the ONNX-graph LRP reference of the graph fixtures)


def relative_l2(a, b):
    return [float(np.linalg.norm(a[i] - b[i]) / np.linalg.norm(b[i])) for i in range(len(b))]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("--root", default="/tmp/lrp-zoo")
    args = p.parse_args()
    d = os.path.join(args.root, args.model)
    x = np.load(os.path.join(d, "input.npy"))
    reference = np.load(os.path.join(d, "surrogate_gxi.npy"))
    t = json.load(open(os.path.join(d, "targets.json")))
    targets = torch.tensor(t["targets"] if isinstance(t, dict) else t)
    relevance = {}
    for dtype in (torch.float64, torch.float32):
        g = graph.OnnxGraph(os.path.join(d, "model.onnx"), dtype=dtype)
        relevance[dtype] = graph.graph_lrp(g, torch.tensor(x, dtype=dtype), targets, {}, maxpool_mode="wta").double().numpy()
    print(f"{args.model}: relative L2 per image against the float64 surrogate gradient x input")
    print("  float64 four steps:", ", ".join(f"{v:.1e}" for v in relative_l2(relevance[torch.float64], reference)))
    print("  float32 four steps:", ", ".join(f"{v:.1e}" for v in relative_l2(relevance[torch.float32], reference)))


if __name__ == "__main__":
    main()
