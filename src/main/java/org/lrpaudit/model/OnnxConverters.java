package org.lrpaudit.model;

import static org.lrpaudit.model.OnnxNodes.floatAttr;
import static org.lrpaudit.model.OnnxNodes.has;
import static org.lrpaudit.model.OnnxNodes.intAttr;
import static org.lrpaudit.model.OnnxNodes.intsOrNull;
import static org.lrpaudit.model.OnnxNodes.stringAttr;
import static org.lrpaudit.model.OnnxNodes.toInts;

import java.util.Arrays;
import java.util.List;
import onnx.Onnx.NodeProto;

/** What one ONNX node becomes: a layer, a fold into an earlier layer, an alias, or (with {@link OnnxPatterns}) a subgraph. */
final class OnnxConverters {
    private OnnxConverters() {}

    static void apply(OnnxGraphReader g, NodeProto n) {
        String op = n.getOpType();
        int arity = g.activations.size();
        boolean multi = op.equals("Add") || op.equals("Concat") || op.equals("Mul") || op.equals("Sub") || op.equals("Div") || op.equals("MatMul")
                || op.equals("Einsum");
        if (BATCH_FIRST_OPS.contains(op)) g.requireBatchFirst(n);
        if (arity != 1 && !multi) throw g.unsupported(n, op + " of " + arity + " activations " + g.activations);
        switch (op) {
            case "Conv" -> g.addLayer(n, OnnxLinear.conv(g, n));
            case "Gemm" -> g.addLayer(n, OnnxLinear.gemm(g, n));
            case "MatMul" -> {
                if (arity == 2) g.addLayer(n, activationProduct(g, n, g.activations));
                else g.addLayer(n, OnnxLinear.matmul(g, n));
            }
            case "BatchNormalization" -> OnnxLinear.batchNorm(g, n);
            case "LayerNormalization" -> OnnxPatterns.layerNormalization(g, n);
            case "Add" -> {
                if (arity > 1) g.addLayer(n, new Add(n.getName(), arity));
                else OnnxLinear.addConstant(g, n, false);
            }
            case "Sub" -> {
                if (arity > 1) throw g.unsupported(n, "Sub of two activations outside a layer norm");
                if (!n.getInput(0).equals(g.current)) throw g.unsupported(n, "a constant minus an activation");
                OnnxLinear.addConstant(g, n, true);
            }
            case "Mul" -> {
                if (arity > 1) OnnxPatterns.gate(g, n);
                else if (!OnnxPatterns.gelu(g, n)) g.addLayer(n, new Scale(n.getName(), constant(g, n, g.constantOperand(n), false)));
            }
            case "Div" -> {
                if (arity > 1 || !n.getInput(0).equals(g.current)) throw g.unsupported(n, "Div by an activation outside a layer norm");
                if (!OnnxPatterns.gelu(g, n)) g.addLayer(n, new Scale(n.getName(), constant(g, n, n.getInput(1), true)));
            }
            case "Concat" -> concat(g, n);
            case "Relu" -> g.addLayer(n, new Relu(n.getName()));
            case "Clip" -> g.addLayer(n, clip(g, n));
            case "Sigmoid" -> { if (!OnnxPatterns.silu(g, n)) g.addLayer(n, new Activation(n.getName(), Activation.Kind.SIGMOID, 0, 0)); }
            case "HardSigmoid" -> g.addLayer(n, new Activation(n.getName(), Activation.Kind.HARD_SIGMOID,
                    floatAttr(n, "alpha", 0.2f), floatAttr(n, "beta", 0.5f)));
            case "Tanh" -> g.addLayer(n, new Activation(n.getName(), Activation.Kind.TANH, 0, 0));
            case "Erf" -> g.addLayer(n, new Activation(n.getName(), Activation.Kind.ERF, 0, 0));
            case "HardSwish" -> g.addLayer(n, new Activation(n.getName(), Activation.Kind.HARD_SWISH, 1f / 6, 0.5f));
            case "Gelu" -> {
                if (!stringAttr(n, "approximate", "none").equals("none")) throw g.unsupported(n, "the tanh approximation of GELU");
                g.addLayer(n, new Activation(n.getName(), Activation.Kind.GELU, 0, 0));
            }
            case "LeakyRelu" -> g.addLayer(n, new Activation(n.getName(), Activation.Kind.LEAKY_RELU, floatAttr(n, "alpha", 0.01f), 0));
            case "MaxPool" -> {
                if (n.getOutputCount() > 1 && !n.getOutput(1).isEmpty()) throw g.unsupported(n, "MaxPool with an Indices output");
                for (long d : orDefault(intsOrNull(n, "dilations"), new long[] {1, 1})) if (d != 1) throw g.unsupported(n, "dilated max pooling");
                g.addLayer(n, new MaxPool2d(n.getName(), window(g, n)));
            }
            case "AveragePool" -> {
                boolean includePad = intAttr(n, "count_include_pad", 0) != 0;
                if (includePad && intAttr(n, "ceil_mode", 0) != 0) {
                    throw g.unsupported(n, "ceil_mode=1 with count_include_pad=1 (export with ceil_mode=False or count_include_pad=False)");
                }
                g.addLayer(n, new AvgPool2d(n.getName(), window(g, n), includePad));
            }
            case "GlobalAveragePool" -> g.addLayer(n, new GlobalAvgPool(n.getName()));
            case "ReduceMean" -> {
                if (!OnnxPatterns.layerNorm(g, n)) globalMean(g, n);
            }
            case "Pad" -> pad(g, n);
            case "Flatten" -> OnnxShapes.flatten(g, n);
            case "Gather" -> OnnxShapes.gather(g, n);
            case "Einsum" -> einsum(g, n);
            case "Reshape" -> OnnxShapes.reshape(g, n);
            case "Squeeze", "Unsqueeze" -> OnnxShapes.squeeze(g, n);
            case "Transpose" -> OnnxShapes.transpose(g, n);
            case "Slice" -> OnnxShapes.slice(g, n);
            case "Split" -> OnnxShapes.split(g, n);
            case "Dropout", "Identity" -> {
                g.notes.add(n.getOpType() + " '" + n.getName() + "' dropped (a no-op at inference)");
                g.alias(n);
            }
            case "Softmax", "LogSoftmax" -> {
                boolean last = g.graph.getNodeList().indexOf(n) == g.graph.getNodeCount() - 1;
                if (last && g.shape.length == 1) {
                    g.notes.add(n.getOpType() + " '" + n.getName() + "' stripped: LRP explains the logits, not probabilities");
                    g.alias(n);
                    return;
                }
                if (op.equals("LogSoftmax")) throw g.unsupported(n, "LogSoftmax before the end of the network");
                int rank = g.layout.logicalRank(g.shape.length);
                long axis = intAttr(n, "axis", -1); // opset 13's default; earlier exporters of attention write the axis
                if ((axis < 0 ? axis + rank : axis) != rank - 1) throw g.unsupported(n, "Softmax over axis " + axis + " (only the last axis)");
                g.addLayer(n, new Softmax(n.getName(), perImageAxis(g, n, axis, g.shape.length)));
            }
            default -> throw g.unsupported(n, "op type " + op);
        }
    }

    /** Ops that read a feature map [N, C, H, W]: the batch must be the first axis. */
    private static final java.util.Set<String> BATCH_FIRST_OPS = java.util.Set.of("Conv", "BatchNormalization", "MaxPool", "AveragePool",
            "GlobalAveragePool");

    /** A per-image axis from an ONNX axis of the current (batched) tensor; the axis holding the batch is refused. */
    static int perImageAxis(OnnxGraphReader g, NodeProto n, long axis, int perImageRank) {
        int rank = g.layout.logicalRank(perImageRank);
        long a = axis < 0 ? axis + rank : axis;
        int p = a < 0 || a >= rank ? -1 : g.layout.perImageAxis((int) a);
        if (p < 0) throw g.unsupported(n, "axis " + axis + " (the axis holding the batch, or out of range)");
        return p;
    }

    /** Concatenation of activations, or of an activation with constants expanded over the batch (a class token). */
    private static void concat(OnnxGraphReader g, NodeProto n) {
        if (g.shape == null) throw g.unsupported(n, "Concat of shapes computed from pixel values");
        int axis = perImageAxis(g, n, intAttr(n, "axis", 1), g.shape.length);
        if (n.getInputList().stream().noneMatch(g.expanded::containsKey)) {
            g.addLayer(n, new Concat(n.getName(), g.activations.size(), axis));
            return;
        }
        if (g.activations.size() != 1) throw g.unsupported(n, "Concat of constant tokens with more than one activation");
        java.util.List<Tensor> before = new java.util.ArrayList<>(), after = new java.util.ArrayList<>();
        boolean seen = false;
        for (String in : n.getInputList()) {
            if (in.equals(g.current)) { seen = true; continue; }
            Tensor c = g.expanded.get(in);
            if (c == null) throw g.unsupported(n, "Concat of '" + in + "', neither an activation nor a constant expanded over the batch");
            (seen ? after : before).add(c);
        }
        g.addLayer(n, new ConstantConcat(n.getName(), axis, joined(before, axis), joined(after, axis)));
    }

    private static Tensor joined(java.util.List<Tensor> parts, int axis) {
        if (parts.isEmpty()) return null;
        if (parts.size() > 1) throw new ModelFormatException("Concat of " + parts.size() + " constant tokens on one side of the activation (only one)");
        return parts.get(0);
    }

    /**
     * Einsum of two activations that is a batched matrix product ("bhid,bhjd->bhij" = QKᵀ as MaxViT writes it, or
     * "bhij,bhjd->bhid" = attention · V): a MatMul, after a Transpose of the last two axes of an operand that needs it.
     */
    private static void einsum(OnnxGraphReader g, NodeProto n) {
        String equation = stringAttr(n, "equation", "").replace(" ", "");
        String[] sides = equation.split("->");
        String[] operands = sides.length == 2 ? sides[0].split(",") : new String[0];
        if (g.activations.size() != 2 || operands.length != 2 || !n.getInput(0).equals(g.activations.get(0))) {
            throw g.unsupported(n, "Einsum '" + equation + "' (only a batched matrix product of two activations)");
        }
        String a = operands[0], b = operands[1], out = sides[1];
        int r = out.length();
        String prefix = out.substring(0, Math.max(0, r - 2));
        boolean batched = r >= 3 && a.length() == r && b.length() == r && a.startsWith(prefix) && b.startsWith(prefix);
        char i = batched ? out.charAt(r - 2) : 0, k = batched ? out.charAt(r - 1) : 0, j = batched ? a.charAt(r - 1) : 0;
        boolean product = batched && a.charAt(r - 2) == i && j != i && j != k && prefix.indexOf(j) < 0;
        boolean transposeB = product && b.equals(prefix + k + j), plain = product && b.equals(prefix + j + k);
        if (!transposeB && !plain) throw g.unsupported(n, "Einsum '" + equation + "' (only a batched matrix product of two activations)");
        List<String> inputs = g.activations;
        if (transposeB) {
            String transposed = n.getOutput(0) + "#transposed";
            long[] shapeB = g.shapeOf(inputs.get(1));
            int[] perm = new int[shapeB.length];
            for (int d = 0; d < perm.length; d++) perm[d] = d;
            perm[perm.length - 2] = perm.length - 1;
            perm[perm.length - 1] = perm.length - 2;
            g.addLayer(transposed, List.of(inputs.get(1)), new Transpose(n.getName() + "#transpose", perm));
            inputs = List.of(inputs.get(0), transposed);
        }
        g.addLayer(n.getOutput(0), inputs, activationProduct(g, n, inputs));
    }

    /**
     * MatMul of two activations (QKᵀ, attention · V), batched over the leading axes; an operand that comes straight from
     * a softmax holds attention probabilities.
     */
    private static MatMul activationProduct(OnnxGraphReader g, NodeProto n, List<String> inputs) {
        int rank = g.layout.logicalRank(g.shape.length);
        if (g.layout.axis() >= rank - 2) throw g.unsupported(n, n.getOpType() + " of two activations with the batch among the last two axes");
        int probabilities = -1;
        for (int k = 0; k < 2; k++) {
            Integer producer = g.producerOf(inputs.get(k));
            if (producer != null && producer >= 0 && g.layers.get(producer) instanceof Softmax) probabilities = k;
        }
        return new MatMul(n.getName(), probabilities);
    }

    /**
     * A constant operand as a per-image broadcast tensor: ONNX constants broadcast against the batched tensor, so a
     * leading axis of 1 at the batch position is dropped.
     */
    static Tensor constant(OnnxGraphReader g, NodeProto n, String name, boolean reciprocal) {
        Tensor c = g.tensors.toFloat(g.constants.get(name));
        long[] s = c.shape();
        int rank = g.layout.logicalRank(g.shape.length), b = g.layout.axis();
        if (s.length > rank - b - (g.layout.kind() == BatchAxis.Kind.OWN ? 1 : 0)) { // the constant reaches the batch axis
            long[] full = new long[rank];
            Arrays.fill(full, 1);
            System.arraycopy(s, 0, full, rank - s.length, s.length);
            if (s.length > rank || full[b] != 1) throw g.unsupported(n, "a constant of shape " + Arrays.toString(s) + " that varies over the batch");
            s = g.layout.kind() == BatchAxis.Kind.OWN ? remove(full, b) : full;
        }
        float[] v = c.data();
        if (reciprocal) {
            v = v.clone();
            for (int i = 0; i < v.length; i++) {
                if (v[i] == 0) throw g.unsupported(n, "division by a constant that is zero");
                v[i] = 1f / v[i];
            }
        }
        try {
            Broadcast.check(n.getName(), s, g.shape);
        } catch (IllegalArgumentException e) {
            throw g.unsupported(n, e.getMessage());
        }
        return new Tensor(s, v);
    }

    /** ReduceMean over the spatial axes of a [C, H, W] map: global average pooling (then flat if keepdims=0). */
    private static void globalMean(OnnxGraphReader g, NodeProto n) {
        long[] axes = has(n, 1) ? g.integers(n, 1) : intsOrNull(n, "axes");
        if (g.shape.length != 3 || axes == null || axes.length != 2) throw g.unsupported(n, "ReduceMean other than over H and W of a feature map");
        long[] sorted = Arrays.stream(axes).map(a -> a < 0 ? a + 4 : a).sorted().toArray();
        if (!Arrays.equals(sorted, new long[] {2, 3})) throw g.unsupported(n, "ReduceMean over axes " + Arrays.toString(axes) + " (only H and W)");
        if (intAttr(n, "keepdims", 1) != 0) {
            g.addLayer(n, new GlobalAvgPool(n.getName()));
            return;
        }
        String pooled = n.getOutput(0) + "#pooled";
        g.addLayer(pooled, g.activations, new GlobalAvgPool(n.getName()));
        g.addLayer(n.getOutput(0), List.of(pooled), new Flatten(n.getName() + "#flatten"));
    }

    /**
     * Pooling geometry with explicit pads {top, left, bottom, right}. ceil_mode=1 becomes extra padding at the bottom
     * and right: the windows that run off the edge see only padding there (never a max; no part of an average that
     * excludes padding).
     */
    private static PoolWindow window(OnnxGraphReader g, NodeProto n) {
        long[] k = intsOrNull(n, "kernel_shape");
        if (k == null || k.length != 2) throw g.unsupported(n, "a pooling window that is not 2-D");
        int[] kernel = toInts(k);
        int[] stride = toInts(orDefault(intsOrNull(n, "strides"), new long[] {1, 1}));
        int[] pads = OnnxLinear.pads(g, n, kernel, stride, new int[] {1, 1});
        if (intAttr(n, "ceil_mode", 0) != 0) {
            for (int i = 0; i < 2; i++) {
                long in = g.shape[i + 1] + pads[i] + pads[i + 2];
                long out = Math.floorDiv(in - kernel[i] + stride[i] - 1, stride[i]) + 1;
                if ((out - 1) * stride[i] >= g.shape[i + 1] + pads[i]) out--; // the last window must start inside the input
                pads[i + 2] += (int) Math.max(0, (out - 1) * stride[i] + kernel[i] - in);
            }
        }
        return new PoolWindow(kernel, stride, pads);
    }

    /**
     * Constant zero padding (ONNX Pad, pads as attribute or input): of H and W of an [N, C, H, W] map, a layer; of
     * nothing at all (Swin pads its windows only when the size is not a multiple of 7), dropped.
     */
    private static void pad(OnnxGraphReader g, NodeProto n) {
        String mode = stringAttr(n, "mode", "constant");
        if (!mode.equals("constant")) throw g.unsupported(n, "Pad mode '" + mode + "' (only constant zero padding)");
        long[] p = has(n, 1) ? g.integers(n, 1) : intsOrNull(n, "pads");
        if (has(n, 2) && g.scalar(n, 2) != 0f) throw g.unsupported(n, "padding with a non-zero value");
        if (has(n, 3)) throw g.unsupported(n, "Pad with an axes input");
        if (p != null && Arrays.stream(p).allMatch(v -> v == 0)) {
            g.notes.add("Pad '" + n.getName() + "' dropped (it pads nothing)");
            g.alias(n);
            return;
        }
        g.requireBatchFirst(n);
        if (p == null || p.length != 8 || g.shape.length != 3 || p[0] != 0 || p[1] != 0 || p[4] != 0 || p[5] != 0) {
            throw g.unsupported(n, "pads " + Arrays.toString(p) + " (only the height and width of an [N, C, H, W] tensor)");
        }
        g.addLayer(n, new Pad2d(n.getName(), new int[] {(int) p[2], (int) p[3], (int) p[6], (int) p[7]}));
    }

    private static Clip clip(OnnxGraphReader g, NodeProto n) {
        float low = floatAttr(n, "min", Float.NEGATIVE_INFINITY), high = floatAttr(n, "max", Float.POSITIVE_INFINITY);
        if (has(n, 1)) low = g.scalar(n, 1);
        if (has(n, 2)) high = g.scalar(n, 2);
        if (low > 0 || high <= 0) throw g.unsupported(n, "Clip to [" + low + ", " + high + "] (only ReLU-like clips with min <= 0 < max)");
        return new Clip(n.getName(), low, high);
    }

    static long[] orDefault(long[] v, long[] dflt) { return v == null ? dflt : v; }

    private static long[] remove(long[] s, int axis) {
        long[] out = new long[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) if (i != axis) out[j++] = s[i];
        return out;
    }
}
