package org.lrpaudit.model;

import static org.lrpaudit.model.OnnxNodes.floatAttr;
import static org.lrpaudit.model.OnnxNodes.intAttr;
import static org.lrpaudit.model.OnnxNodes.intsOrNull;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import onnx.Onnx.NodeProto;

/**
 * Meanings that depend on more than one node: a layer norm written out in primitive ops (as torch.onnx exports it
 * below opset 17), and which operand of a product of two activations is the gate.
 */
final class OnnxPatterns {
    private OnnxPatterns() {}

    private static final Set<String> SQUASHING = Set.of("Sigmoid", "HardSigmoid", "Tanh", "Erf");
    private static final Set<String> CONSTANT_ARITHMETIC = Set.of("Add", "Sub", "Mul", "Div");

    /**
     * Recognises the opset-13 layer norm over the last axis at its first ReduceMean: mean = ReduceMean(x), d = x − mean,
     * var = ReduceMean(d²), y = d / Sqrt(var + eps), optionally · γ and + β (constants). Emits one {@link LayerNorm}.
     *
     * @return false if the ReduceMean does not start this pattern
     */
    static boolean layerNorm(OnnxGraphReader g, NodeProto mean) {
        String x = g.current;
        if (!lastAxisMean(g, mean)) return false;
        NodeProto sub = only(g, mean.getOutput(0), "Sub");
        if (sub == null || !sub.getInput(0).equals(x) || !sub.getInput(1).equals(mean.getOutput(0))) return false;
        List<NodeProto> uses = g.consumersOf(sub.getOutput(0));
        NodeProto pow = uses.stream().filter(u -> u.getOpType().equals("Pow")).findFirst().orElse(null);
        NodeProto div = uses.stream().filter(u -> u.getOpType().equals("Div")).findFirst().orElse(null);
        if (uses.size() != 2 || pow == null || div == null || !g.isConstant(pow.getInput(1)) || g.scalar(pow, 1) != 2f) return false;
        NodeProto variance = only(g, pow.getOutput(0), "ReduceMean");
        if (variance == null || !lastAxisMean(g, variance)) return false;
        NodeProto addEps = only(g, variance.getOutput(0), "Add");
        if (addEps == null) return false;
        NodeProto sqrt = only(g, addEps.getOutput(0), "Sqrt");
        if (sqrt == null || only(g, sqrt.getOutput(0), "Div") != div || !div.getInput(0).equals(sub.getOutput(0))) return false;
        float eps = g.scalar(addEps, g.isConstant(addEps.getInput(1)) ? 1 : 0);
        int features = (int) g.shape[g.shape.length - 1];
        String out = div.getOutput(0);
        List<NodeProto> parts = new java.util.ArrayList<>(List.of(sub, pow, variance, addEps, sqrt, div));
        float[] gamma = filled(features, 1f), beta = new float[features];
        NodeProto mul = only(g, out, "Mul");
        if (mul != null && hasConstantOperand(g, mul)) {
            gamma = perFeature(g, mul, features);
            parts.add(mul);
            out = mul.getOutput(0);
            NodeProto add = only(g, out, "Add");
            if (add != null && hasConstantOperand(g, add)) {
                beta = perFeature(g, add, features);
                parts.add(add);
                out = add.getOutput(0);
            }
        }
        g.consumed.addAll(parts);
        g.addLayer(out, List.of(x), new LayerNorm(mean.getName(), vector(gamma), vector(beta), eps));
        g.notes.add("layer norm written out in " + (parts.size() + 1) + " ops from '" + mean.getName() + "' recognised as one layer");
        return true;
    }

    /** LayerNormalization (opset 17): over the last axis only. */
    static void layerNormalization(OnnxGraphReader g, NodeProto n) {
        int rank = g.shape.length + 1;
        long axis = intAttr(n, "axis", -1);
        if (axis != -1 && axis != rank - 1) throw g.unsupported(n, "LayerNormalization over axis " + axis + " (only the last)");
        for (int i = 1; i < n.getOutputCount(); i++) {
            if (!n.getOutput(i).isEmpty() && !g.consumersOf(n.getOutput(i)).isEmpty()) throw g.unsupported(n, "a LayerNormalization whose mean or 1/σ is used");
        }
        int features = (int) g.shape[g.shape.length - 1];
        Tensor gamma = g.weight(n, 1);
        Tensor beta = OnnxNodes.has(n, 2) ? g.weight(n, 2) : new Tensor(new long[] {features}, new float[features]);
        if (gamma.size() != features || beta.size() != features) throw g.unsupported(n, "scale or bias not of the last axis' length " + features);
        g.addLayer(n, new LayerNorm(n.getName(), vector(gamma.data()), vector(beta.data()), floatAttr(n, "epsilon", 1e-5f)));
    }

    /**
     * Recognises GELU as torch.onnx writes it before opset 20, at its first node: Div(x, √2) (or Mul by 1/√2), Erf,
     * Add 1, Mul by x, Mul 0.5. Emits one GELU {@link Activation}: one activation-sized array instead of five, and the
     * same relevance (the erf branch is a gate and receives none; the rest passes it unchanged).
     *
     * @return false if the node does not start this pattern
     */
    static boolean gelu(OnnxGraphReader g, NodeProto scale) {
        String x = g.current;
        if (g.activations.size() != 1 || !scale.getInput(0).equals(x) || !hasConstantOperand(g, scale)) return false;
        Tensor c = g.tensors.toFloat(g.constants.get(g.constantOperand(scale)));
        double factor = scale.getOpType().equals("Div") ? 1 / (double) c.data()[0] : c.data()[0];
        if (c.size() != 1 || Math.abs(factor - 1 / Math.sqrt(2)) > 1e-6) return false;
        NodeProto erf = only(g, scale.getOutput(0), "Erf");
        NodeProto one = erf == null ? null : only(g, erf.getOutput(0), "Add");
        if (one == null || !hasConstantOperand(g, one) || !isScalar(g, one, 1f)) return false;
        NodeProto product = only(g, one.getOutput(0), "Mul");
        if (product == null || !product.getInputList().contains(x)) return false;
        NodeProto half = only(g, product.getOutput(0), "Mul");
        if (half == null || !hasConstantOperand(g, half) || !isScalar(g, half, 0.5f)) return false;
        g.consumed.addAll(List.of(erf, one, product, half));
        g.addLayer(half.getOutput(0), List.of(x), new Activation(scale.getName(), Activation.Kind.GELU, 0, 0));
        g.notes.add("GELU written out in 5 ops from '" + scale.getName() + "' recognised as one activation");
        return true;
    }

    /**
     * Recognises SiLU (swish) as torch.onnx writes it, Sigmoid(x) whose one consumer is Mul(x, sigmoid): one SiLU
     * {@link Activation} instead of a sigmoid and a gate. The relevance is the same (the sigmoid is a gate and receives
     * none, so x receives all of the product's), and the forward is one pass instead of two.
     *
     * @return false if the node does not start this pattern
     */
    static boolean silu(OnnxGraphReader g, NodeProto sigmoid) {
        String x = g.current;
        if (g.activations.size() != 1 || !sigmoid.getInput(0).equals(x)) return false;
        NodeProto product = only(g, sigmoid.getOutput(0), "Mul");
        if (product == null || product.getInputCount() != 2 || !product.getInputList().contains(x)) return false;
        g.consumed.add(product);
        g.addLayer(product.getOutput(0), List.of(x), new Activation(sigmoid.getName(), Activation.Kind.SILU, 0, 0));
        String note = "SiLU written as Sigmoid and Mul recognised as one activation";
        if (!g.notes.contains(note)) g.notes.add(note);
        return true;
    }

    private static boolean isScalar(OnnxGraphReader g, NodeProto n, float value) {
        Tensor c = g.tensors.toFloat(g.constants.get(g.constantOperand(n)));
        return c.size() == 1 && c.data()[0] == value;
    }

    /** Mul of two activations: exactly one of them must be a gate (see {@link #isGate}). */
    static void gate(OnnxGraphReader g, NodeProto n) {
        if (g.activations.size() != 2) throw g.unsupported(n, "Mul of " + g.activations.size() + " activations");
        boolean first = isGate(g, g.activations.get(0)), second = isGate(g, g.activations.get(1));
        if (first == second) {
            throw g.unsupported(n, "Mul of two activations " + (first ? "that are both gates" : "neither of which is a gate (the output of a "
                    + "Sigmoid, HardSigmoid, Tanh or Erf); products of two signals such as attention are not supported yet"));
        }
        g.addLayer(n, new Gate(n.getName(), first ? 1 : 0));
    }

    /** A gate: the output of a squashing function, possibly through arithmetic with constants (GELU's 1 + erf(x/√2)). */
    private static boolean isGate(OnnxGraphReader g, String tensor) {
        NodeProto p = g.producerNode.get(tensor);
        while (p != null && CONSTANT_ARITHMETIC.contains(p.getOpType())) {
            List<String> active = p.getInputList().stream().filter(i -> !i.isEmpty() && !g.isConstant(i)).toList();
            if (active.size() != 1) return false;
            p = g.producerNode.get(active.get(0));
        }
        return p != null && SQUASHING.contains(p.getOpType());
    }

    private static boolean lastAxisMean(OnnxGraphReader g, NodeProto n) {
        long[] axes = OnnxNodes.has(n, 1) ? g.integerConstant(n.getInput(1)) : intsOrNull(n, "axes");
        int rank = g.layout.logicalRank(g.shape.length);
        return axes != null && axes.length == 1 && (axes[0] == -1 || axes[0] == rank - 1) && intAttr(n, "keepdims", 1) == 1;
    }

    /** The one consumer of a tensor if it has exactly one and it is of the given op type, else null. */
    private static NodeProto only(OnnxGraphReader g, String tensor, String op) {
        List<NodeProto> uses = g.consumersOf(tensor);
        return uses.size() == 1 && uses.get(0).getOpType().equals(op) ? uses.get(0) : null;
    }

    private static boolean hasConstantOperand(OnnxGraphReader g, NodeProto n) {
        return n.getInputList().stream().filter(g::isConstant).count() == 1;
    }

    private static float[] perFeature(OnnxGraphReader g, NodeProto n, int features) {
        Tensor c = g.tensors.toFloat(g.constants.get(g.constantOperand(n)));
        if (c.size() == features) return c.data();
        if (c.size() == 1) return filled(features, c.data()[0]);
        throw g.unsupported(n, "a layer-norm scale or bias of shape " + Arrays.toString(c.shape()) + " for " + features + " features");
    }

    private static float[] filled(int n, float v) {
        float[] f = new float[n];
        Arrays.fill(f, v);
        return f;
    }

    private static Tensor vector(float[] v) { return new Tensor(new long[] {v.length}, v); }
}
