"""Reading an ONNX classifier graph: the one walker every reference in this package starts from.

read(path) returns the graph's constants and its computing nodes in ONNX order, with the nodes that only rename
a tensor taken out: Constant nodes become constants, Identity and Dropout become aliases (or constants, when they
pass an initializer on: torch.onnx de-duplicates identical initializers that way), and every node input names the
tensor after aliasing. What each reference builds from the nodes differs (a layer table in graph.py, node steps in
nodes.py, an interpreter in checks.py, float32 modules in torch_baseline.py); how they read the file does not.
"""
from types import SimpleNamespace

import onnx
import torch
from onnx import helper, numpy_helper

RENAMING = ("Identity", "Dropout")      # inference no-ops: their output is another name for their input


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def sym_pads(pads):
    """ONNX pads [y0, x0, y1, x1] -> (py, px); the references support symmetric padding only."""
    pads = list(pads) if pads else [0, 0, 0, 0]
    assert pads[:2] == pads[2:], f"asymmetric padding {pads}"
    return tuple(pads[:2])


def tensor(value, dtype=None):
    """A TensorProto (or a Constant's scalar/list attribute) as a torch tensor; floating-point values in dtype
    (None: as stored). Integer tensors (shapes, indices) keep their type."""
    t = torch.from_numpy(numpy_helper.to_array(value).copy()) if isinstance(value, onnx.TensorProto) \
        else torch.tensor(value)
    return t.to(dtype) if dtype is not None and t.is_floating_point() else t


def read(path, dtype=None, strip_softmax=True):
    """The graph of an ONNX file (or of a loaded ModelProto) as SimpleNamespace(consts, nodes, input_name,
    output_name, opset, model).

    nodes: SimpleNamespace(op, name, inputs, outputs, at) per computing node, inputs resolved through aliases
    ("" stays "" for a missing optional input). strip_softmax: a final Softmax/LogSoftmax is dropped and
    output_name is its input (LRP explains the logits)."""
    m = path if isinstance(path, onnx.ModelProto) else onnx.load(path)
    g = m.graph
    consts = {t.name: tensor(t, dtype) for t in g.initializer}
    alias, nodes = {}, []

    def res(name):
        while name in alias:
            name = alias[name]
        return name

    for n in g.node:
        at, ins = attrs(n), [res(i) for i in n.input]
        if n.op_type == "Constant":
            consts[n.output[0]] = tensor(next(iter(at.values())), dtype)
        elif n.op_type in RENAMING:
            if ins[0] in consts:
                consts[n.output[0]] = consts[ins[0]]
            else:
                alias[n.output[0]] = ins[0]
        else:
            nodes.append(SimpleNamespace(op=n.op_type, name=n.name, inputs=ins, outputs=list(n.output), at=at))
    inputs = [i.name for i in g.input if i.name not in consts]
    assert len(inputs) == 1 and len(g.output) == 1, f"{path}: one input and one output expected"
    output_name = res(g.output[0].name)
    if strip_softmax and nodes and nodes[-1].op in ("Softmax", "LogSoftmax") and nodes[-1].outputs[0] == output_name:
        output_name = nodes.pop().inputs[0]
    opset = max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
    return SimpleNamespace(consts=consts, nodes=nodes, input_name=inputs[0], output_name=output_name, opset=opset,
                           model=m)
