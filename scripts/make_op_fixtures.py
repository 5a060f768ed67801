#!/usr/bin/python3
"""Tiny ONNX models for graph ops that the trained fixtures do not contain: Pad (constant zero) and Mul by a
per-channel constant, in a residual graph. Writes src/test/resources/fixtures/graph/ops/:

- pad_scale.onnx: x -> Pad(1) -> Conv3x3 (valid) -> Relu -> Mul([C,1,1] constant) -> + x -> Relu -> Flatten -> Linear
- bn_first.onnx: BatchNormalization before the first Conv: nothing to fold it into, so the importer keeps it as a
  per-channel affine layer
- pad_scale_input.npy (4 images, float32), pad_scale_gradxinput.npy: gradient x input of the target logit (the
  predicted class) in float64 autograd. LRP-0 (winner-take-all pooling; there is none here) equals gradient x input
  for such piecewise-linear networks, which is what the Java test checks.

Deterministic (fixed seed, random weights: this is an operator test, not a trained model).
Run: /usr/bin/python3 scripts/make_op_fixtures.py
"""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src/test/resources/fixtures/graph/ops")


class PadScale(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3)  # valid: the explicit Pad keeps the size
        self.register_buffer("factor", torch.tensor([0.5, 1.5]).reshape(2, 1, 1))
        self.fc = nn.Linear(2 * 8 * 8, 5)

    def forward(self, x):
        y = torch.relu(self.conv(F.pad(x, (1, 1, 1, 1)))) * self.factor
        return self.fc(torch.flatten(torch.relu(y + x), 1))


def write_onnx(model, path):
    """The graph written node by node with onnx.helper: torch 1.13 exports F.pad as a computed (Slice/Transpose)
    pads tensor rather than a constant, which no importer of a static graph should have to evaluate."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def init(name, t):
        return numpy_helper.from_array(t.detach().numpy().astype(np.float32), name)

    inits = [init("conv.weight", model.conv.weight), init("conv.bias", model.conv.bias), init("factor", model.factor),
             init("fc.weight", model.fc.weight), init("fc.bias", model.fc.bias),
             numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64), "pads")]
    nodes = [helper.make_node("Pad", ["input", "pads"], ["padded"], name="/Pad", mode="constant"),
             helper.make_node("Conv", ["padded", "conv.weight", "conv.bias"], ["c"], name="/conv/Conv", kernel_shape=[3, 3]),
             helper.make_node("Relu", ["c"], ["r"], name="/Relu"),
             helper.make_node("Mul", ["r", "factor"], ["y"], name="/Mul"),
             helper.make_node("Add", ["y", "input"], ["s"], name="/Add"),
             helper.make_node("Relu", ["s"], ["r2"], name="/Relu_1"),
             helper.make_node("Flatten", ["r2"], ["f"], name="/Flatten", axis=1),
             helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], name="/fc/Gemm", transB=1)]
    graph = helper.make_graph(nodes, "pad_scale", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", 2, 8, 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", 5])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_op_fixtures")
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)


def write_bn_first(path):
    """BatchNormalization on the image before the first Conv (as in pre-activation ResNets): a per-channel affine layer."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(3)
    f = lambda name, shape: numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
    inits = [numpy_helper.from_array(np.ones(1, np.float32), "g"), numpy_helper.from_array(np.zeros(1, np.float32), "b"),
             numpy_helper.from_array(np.zeros(1, np.float32), "m"), numpy_helper.from_array(np.ones(1, np.float32), "v"),
             f("w", (2, 1, 3, 3)), f("fw", (3, 2 * 6 * 6))]
    nodes = [helper.make_node("BatchNormalization", ["input", "g", "b", "m", "v"], ["n"], name="/bn0"),
             helper.make_node("Conv", ["n", "w"], ["c"], name="/conv", kernel_shape=[3, 3]),
             helper.make_node("Relu", ["c"], ["r"], name="/relu"),
             helper.make_node("Flatten", ["r"], ["f"], name="/flatten"),
             helper.make_node("Gemm", ["f", "fw"], ["logits"], name="/fc", transB=1)]
    graph = helper.make_graph(nodes, "bn_first", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", 1, 8, 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", 3])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_op_fixtures")
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)


def main():
    torch.manual_seed(7)
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    model = PadScale().eval()
    x = 0.1 + 0.9 * torch.rand(4, 2, 8, 8)  # sums at the Add stay >= 0.1: its 1e-6 stabiliser is then negligible
    write_onnx(model, os.path.join(OUT, "pad_scale.onnx"))
    write_bn_first(os.path.join(OUT, "bn_first.onnx"))
    m64 = PadScale().double().eval()
    m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    x64 = x.double().requires_grad_(True)
    logits = m64(x64)
    target = logits.argmax(1)
    logits.gather(1, target[:, None]).sum().backward()
    np.save(os.path.join(OUT, "pad_scale_input.npy"), x.numpy())
    np.save(os.path.join(OUT, "pad_scale_gradxinput.npy"), (x64.grad * x64).detach().numpy())
    print("ops:", sorted({n.op_type for n in __import__("onnx").load(os.path.join(OUT, "pad_scale.onnx")).graph.node}))


if __name__ == "__main__":
    main()
