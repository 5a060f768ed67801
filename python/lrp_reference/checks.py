"""Self-checks for the LRP fixtures, used by fixtures/make_fixtures.py.

Two independent cross-checks live here:

* `onnx_forward`: a minimal float64 interpreter for the ONNX ops our fixture models use
  (onnxruntime is not available here). It confirms that each exported .onnx file computes
  the same function as the PyTorch model the references were made from.
* `MatrixLRP`: a second LRP implementation that writes every layer as an explicit matrix
  (conv geometry unrolled by index arithmetic, not by a conv routine) and applies the rule
  formulas with plain numpy linear algebra, without autograd or the four-step structure.
"""
import numpy as np
import torch
import torch.nn.functional as F

from . import chain as ref
from . import onnx_graph
from .onnx_graph import sym_pads


# --------------------------------------------------------------------------------------------
# Minimal ONNX interpreter (float64)
# --------------------------------------------------------------------------------------------

def onnx_forward(path, x):
    """Evaluate a single-input, single-output ONNX graph on float64 input x."""
    g = onnx_graph.read(path, torch.float64, strip_softmax=False)
    env = dict(g.consts)
    env[g.input_name] = x
    for node in g.nodes:
        at, ins = node.at, [env[n] if n else None for n in node.inputs]
        op = node.op
        if op == "Conv":
            assert at.get("group", 1) == 1 and at.get("auto_pad", b"NOTSET") == b"NOTSET"
            out = F.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                           tuple(at.get("strides", (1, 1))), sym_pads(at.get("pads")),
                           tuple(at.get("dilations", (1, 1))))
        elif op == "Relu":
            out = ins[0].clamp(min=0)
        elif op == "Tanh":
            out = torch.tanh(ins[0])
        elif op == "MaxPool":
            assert not at.get("ceil_mode", 0)
            out = F.max_pool2d(ins[0], tuple(at["kernel_shape"]), tuple(at.get("strides", (1, 1))),
                               sym_pads(at.get("pads")))
        elif op == "AveragePool":
            assert not at.get("ceil_mode", 0)
            out = F.avg_pool2d(ins[0], tuple(at["kernel_shape"]), tuple(at.get("strides", (1, 1))),
                               sym_pads(at.get("pads")),
                               count_include_pad=bool(at.get("count_include_pad", 0)))
        elif op == "GlobalAveragePool":
            out = ins[0].mean(dim=(2, 3), keepdim=True)
        elif op == "Flatten":
            axis = at.get("axis", 1)
            out = ins[0].reshape(int(np.prod(ins[0].shape[:axis])), -1)
        elif op == "Gemm":
            a, b = ins[0], ins[1]
            a = a.t() if at.get("transA", 0) else a
            b = b.t() if at.get("transB", 0) else b
            out = at.get("alpha", 1.0) * a @ b
            if len(ins) > 2:
                out = out + at.get("beta", 1.0) * ins[2]
        elif op == "MatMul":
            out = ins[0] @ ins[1]
        elif op == "Add":
            out = ins[0] + ins[1]
        elif op == "BatchNormalization":
            xx, scale, bias, mean, var = ins
            shape = (1, -1) + (1,) * (xx.dim() - 2)
            out = ((xx - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + at.get("epsilon", 1e-5))
                   * scale.reshape(shape) + bias.reshape(shape))
        elif op == "Softmax":
            out = torch.softmax(ins[0], dim=at.get("axis", -1))
        else:
            raise NotImplementedError(op)
        env[node.outputs[0]] = out
    return env[g.output_name]


# --------------------------------------------------------------------------------------------
# LRP with explicit matrices (numpy, float64)
# --------------------------------------------------------------------------------------------

def conv_matrix(w, in_shape, stride, pad, dil):
    """Dense matrix (out_units x in_units) of a zero-padded 2-D convolution without bias."""
    C, H, W = in_shape
    O, _, kh, kw = w.shape
    Ho = (H + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    Wo = (W + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    oy, ox = np.meshgrid(np.arange(Ho), np.arange(Wo), indexing="ij")
    M = np.zeros((O * Ho * Wo, C * H * W))
    for o in range(O):
        for c in range(C):
            for ky in range(kh):
                for kx in range(kw):
                    iy = oy * stride[0] - pad[0] + ky * dil[0]
                    ix = ox * stride[1] - pad[1] + kx * dil[1]
                    ok = (iy >= 0) & (iy < H) & (ix >= 0) & (ix < W)
                    rows = o * Ho * Wo + oy[ok] * Wo + ox[ok]
                    cols = c * H * W + iy[ok] * W + ix[ok]
                    M[rows, cols] += w[o, c, ky, kx]
    return M, (O, Ho, Wo)


def pool_windows(in_shape, kernel, stride, pad):
    """For each output unit of a 2-D pooling, the list of in-bounds input unit indices."""
    C, H, W = in_shape
    Ho = (H + 2 * pad[0] - kernel[0]) // stride[0] + 1
    Wo = (W + 2 * pad[1] - kernel[1]) // stride[1] + 1
    windows = []
    for c in range(C):
        for y in range(Ho):
            for x in range(Wo):
                win = [c * H * W + iy * W + ix
                       for iy in range(y * stride[0] - pad[0], y * stride[0] - pad[0] + kernel[0])
                       for ix in range(x * stride[1] - pad[1], x * stride[1] - pad[1] + kernel[1])
                       if 0 <= iy < H and 0 <= ix < W]
                windows.append(win)
    return windows, (C, Ho, Wo)


def _div(R, z, e):
    """Stabilised division, same convention as the reference: s = 0 where z == 0."""
    d = z + e * np.where(z >= 0, 1.0, -1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(z == 0, 0.0, R / np.where(z == 0, 1.0, d))


class MatrixLRP:
    """LRP on a canonical layer list with every layer written as a matrix (batch of vectors)."""

    def __init__(self, layers, in_shape):
        self.steps = []                      # (layer, kind, data, in_shape)
        shape = tuple(in_shape)
        for layer in layers:
            if layer.type == "conv":
                w = layer.weight.numpy()
                M, out = conv_matrix(w, shape, layer.stride, layer.padding, layer.dilation)
                M1, _ = conv_matrix(np.ones_like(w), shape, layer.stride, layer.padding, layer.dilation)
                bias = np.repeat(layer.bias.numpy(), out[1] * out[2])
                self.steps.append(("linear", dict(M=M, M1=M1, b=bias), shape))
            elif layer.type == "dense":
                M = layer.weight.numpy()
                self.steps.append(("linear", dict(M=M, M1=np.ones_like(M), b=layer.bias.numpy()), shape))
                out = (M.shape[0],)
            elif layer.type in ("maxpool", "avgpool", "globalavgpool"):
                kernel = shape[1:] if layer.type == "globalavgpool" else layer.kernel
                stride = (1, 1) if layer.type == "globalavgpool" else layer.stride
                pad = (0, 0) if layer.type == "globalavgpool" else layer.padding
                windows, out = pool_windows(shape, kernel, stride, pad)
                A = np.zeros((len(windows), int(np.prod(shape))))
                for r, win in enumerate(windows):
                    A[r, win] = 1.0 / len(win)
                self.steps.append(("maxpool" if layer.type == "maxpool" else "avgpool",
                                   dict(A=A, windows=windows), shape))
            elif layer.type == "relu":
                self.steps.append(("relu", None, shape))
                out = shape
            elif layer.type == "flatten":
                self.steps.append(("flatten", None, shape))
                out = (int(np.prod(shape)),)
            shape = out

    def forward(self, X):
        acts = [X.reshape(len(X), -1)]
        for kind, d, _ in self.steps:
            a = acts[-1]
            if kind == "linear":
                acts.append(a @ d["M"].T + d["b"])
            elif kind == "relu":
                acts.append(np.maximum(a, 0))
            elif kind == "avgpool":
                acts.append(a @ d["A"].T)
            elif kind == "maxpool":
                acts.append(np.stack([a[:, w].max(1) for w in d["windows"]], 1))
            else:
                acts.append(a)
        return acts

    @staticmethod
    def _rule(rule, d, a, R, low, high):
        M, b = d["M"], d["b"]
        P, N = np.maximum(M, 0), np.minimum(M, 0)
        name, v = ref.parse_rule(rule)
        if name in ("zero", "epsilon", "epsilon-abs", "gamma"):
            if name == "gamma":
                M, b = M + v * P, b + v * np.maximum(b, 0)
            z = a @ M.T + b
            if name == "epsilon":
                e = v * np.sqrt((z ** 2).mean(1, keepdims=True))      # per image
            else:
                e = v if name == "epsilon-abs" else 1e-9
            return a * (_div(R, z, e) @ M)
        if name in ("alpha1beta0", "alpha2beta1"):
            al, be = (1.0, 0.0) if name == "alpha1beta0" else (2.0, 1.0)
            ap, an = np.maximum(a, 0), np.minimum(a, 0)
            sp = _div(R, ap @ P.T + an @ N.T + np.maximum(b, 0), 1e-9)
            sn = _div(R, ap @ N.T + an @ P.T + np.minimum(b, 0), 1e-9)
            return al * (ap * (sp @ P) + an * (sp @ N)) - be * (ap * (sn @ N) + an * (sn @ P))
        if name in ("flat", "wsquare"):
            Q = d["M1"] if name == "flat" else M ** 2
            z = np.ones_like(a) @ Q.T
            return _div(R, z, 1e-9) @ Q
        if name == "zb":
            z = a @ M.T - low @ P.T - high @ N.T
            s = _div(R, z, 1e-9)
            return a * (s @ M) - low * (s @ P) - high * (s @ N)
        raise ValueError(rule)

    def relevance(self, X, targets, rules, maxpool_mode, mean, std, ties="first"):
        """Input relevance; `ties` = "first"/"last": which maximum of a window wta picks."""
        acts = self.forward(X)
        logits = acts[-1]
        R = np.zeros_like(logits)
        R[np.arange(len(X)), targets] = logits[np.arange(len(X)), targets]
        C = X.shape[1]
        low = np.repeat((0 - np.asarray(mean)) / np.asarray(std), X[0].size // C)[None].repeat(len(X), 0)
        high = np.repeat((1 - np.asarray(mean)) / np.asarray(std), X[0].size // C)[None].repeat(len(X), 0)
        for i in reversed(range(len(self.steps))):
            kind, d, _ = self.steps[i]
            a = acts[i]
            if kind == "linear":
                R = self._rule(rules.get(i, "zero"), d, a, R, low, high)
            elif kind == "avgpool" or (kind == "maxpool" and maxpool_mode == "avg"):
                A = d["A"]
                R = a * (_div(R, a @ A.T, 1e-9) @ A)
            elif kind == "maxpool":                # wta: first (or last) maximum in row-major order
                Rin = np.zeros_like(a)
                for r, win in enumerate(d["windows"]):
                    win = np.array(win if ties == "first" else win[::-1])
                    j = win[a[:, win].argmax(1)]
                    Rin[np.arange(len(a)), j] += R[:, r]
                R = Rin
        return R.reshape(X.shape), logits
