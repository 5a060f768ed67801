package org.lrpaudit.model;

import java.util.Arrays;

/**
 * Layer normalisation over the last axis: y = γ ⊙ (x − mean(x)) / σ + β, σ = sqrt(var(x) + ε). LRP holds 1/σ
 * constant, so the layer is the linear map x ↦ γ ⊙ (x − mean(x)) / σ plus the bias β, passed by the z-rule.
 */
public record LayerNorm(String name, Tensor gamma, Tensor beta, float epsilon) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    public LayerNorm {
        if (gamma.rank() != 1 || beta.rank() != 1 || gamma.dim(0) != beta.dim(0)) {
            throw new IllegalArgumentException(name + ": scale " + gamma + " and bias " + beta + " must be vectors of one length");
        }
    }

    public int features() { return (int) gamma.dim(0); }

    @Override public String type() { return "layernorm"; }

    @Override public long parameterCount() { return gamma.size() + beta.size(); }

    @Override public long[] outputShape(long[] in) {
        if (in.length == 0 || in[in.length - 1] != features()) {
            throw new IllegalArgumentException(name + ": normalises " + features() + " features over the last axis, got " + Arrays.toString(in));
        }
        return in.clone();
    }

    LayerNorm withZeroBias() { return new LayerNorm(name, gamma, new Tensor(beta.shape(), new float[beta.data().length]), epsilon); }
}
