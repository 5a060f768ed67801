package org.lrpaudit.model;

import java.util.Locale;

/**
 * An element-wise activation other than ReLU/Clip (sigmoid, hard sigmoid, tanh, erf, hard swish, GELU, leaky ReLU, SiLU).
 * Relevance passes through unchanged (identity rule): each output depends on its own input alone. As a gate (see
 * {@link Gate}) it receives no relevance at all.
 *
 * @param alpha, beta the op's parameters where it has them (HardSigmoid: max(0, min(1, alpha·x + beta)); LeakyRelu:
 *                    the negative slope alpha); otherwise 0
 */
public record Activation(String name, Kind kind, float alpha, float beta) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    public enum Kind {
        SIGMOID, HARD_SIGMOID, TANH, ERF, HARD_SWISH, GELU, LEAKY_RELU, SILU;

        String label() { return name().toLowerCase(Locale.ROOT).replace("_", ""); }
    }

    @Override public String type() { return kind.label(); }

    @Override public long[] outputShape(long[] in) { return in.clone(); }
}
