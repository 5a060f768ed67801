package org.lrpaudit.lrp;

/** How relevance passes through attention: the softmax inside the network and products of two activations. */
public enum AttentionRule {
    /**
     * CP-LRP (Ali et al. 2022; the default): attention probabilities are constants. Attention · V passes relevance to the
     * values by the z-rule; the softmax, QKᵀ, the queries and the keys receive none.
     */
    CP,
    /**
     * AttnLRP (Achtibat et al. 2024): the softmax passes R_in = x ⊙ (R − s ⊙ ΣR) to its logits, and every product of two
     * activations splits the z-rule's relevance equally between its operands, so queries and keys receive relevance too.
     */
    ATTN;

    public String spec() { return this == CP ? "cp" : "attn"; }

    public static AttentionRule parse(String text) {
        return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "cp", "cp-lrp" -> CP;
            case "attn", "attnlrp" -> ATTN;
            default -> throw new IllegalArgumentException("unknown attention rule '" + text + "'; use cp or attn");
        };
    }

    static boolean isSpec(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        return t.equals("cp") || t.equals("cp-lrp") || t.equals("attn") || t.equals("attnlrp");
    }
}
