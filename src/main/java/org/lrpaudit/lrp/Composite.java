package org.lrpaudit.lrp;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lrpaudit.model.Conv2d;
import org.lrpaudit.model.Dense;
import org.lrpaudit.model.Layer;
import org.lrpaudit.model.MatMul;
import org.lrpaudit.model.MaxPool2d;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.Softmax;

/**
 * Which rule each layer of a network gets: a rule for every conv/dense layer and a mode for every max-pool
 * layer, by index in the describe table. Built from a rule spec ({@link #parse}) or a named preset
 * ({@link Presets}); a parametric layer that nothing names gets LRP-0.
 */
public final class Composite implements Serializable {

    private final String source;
    private final Rule[] rules;            // per layer; null for layers without weights
    private final MaxPoolMode[] poolModes; // per layer; null for layers that are not max pooling
    private final AttentionRule[] attention; // per layer; null for layers that are not a softmax or a product of activations

    private Composite(String source, Rule[] rules, MaxPoolMode[] poolModes, AttentionRule[] attention) {
        this.source = source;
        this.rules = rules;
        this.poolModes = poolModes;
        this.attention = attention;
    }

    /** Whether a layer takes an attention rule: a softmax inside the network or a product of two activations. */
    static boolean isAttention(Layer layer) { return layer instanceof Softmax || layer instanceof MatMul; }

    /** This composite with every attention layer on {@code rule} (a spec's or preset's rules are kept). */
    public Composite withAttention(AttentionRule rule) {
        AttentionRule[] a = attention.clone();
        for (int i = 0; i < a.length; i++) if (a[i] != null) a[i] = rule;
        return new Composite(source + (rule == AttentionRule.CP ? "" : " + attention " + rule.spec()), rules, poolModes, a);
    }

    /** A composite with every parametric layer on {@code rule} and max pooling in {@code poolMode}. */
    public static Composite uniform(Network net, Rule rule, MaxPoolMode poolMode) {
        Builder b = new Builder(net, "0-:" + rule.spec());
        for (int i = 0; i < net.size(); i++) if (net.layer(i).isParametric()) b.rules[i] = rule;
        b.defaultPool(poolMode);
        return b.build();
    }

    public static final String SPEC_SYNTAX = "LAYERS:RULE;LAYERS:RULE... with LAYERS = i, i-j or i- (indices of the describe table, "
            + "topological order for graphs), conv, dense (every layer of that type), first or last (parametric layer); later terms "
            + "override earlier ones, e.g. 0:zb;1-16:gamma=0.25;17-30:epsilon=0.25;31-:zero or conv:gamma=0.25;dense:epsilon=0.25;first:zb. "
            + "Max-pool layers take avg or wta; attention layers (softmax, products of two activations; selector attention) cp or attn.";

    /** Parses a rule spec such as {@code 0:zb;1-16:gamma=0.25;17-30:epsilon=0.25;31-:zero}. */
    public static Composite parse(String spec, Network net, MaxPoolMode defaultPoolMode) {
        Builder b = new Builder(net, spec.trim());
        String[] terms = spec.split(";");
        for (String raw : terms) {
            String term = raw.trim();
            if (term.isEmpty()) continue;
            int colon = term.indexOf(':');
            if (colon < 0) throw specError(spec, "'" + term + "' has no ':'");
            int[] selected = select(spec, term.substring(0, colon).trim(), net);
            String ruleText = term.substring(colon + 1).trim();
            boolean poolRule = ruleText.equalsIgnoreCase("avg") || ruleText.equalsIgnoreCase("wta");
            boolean attentionRule = AttentionRule.isSpec(ruleText);
            Rule rule = null;
            MaxPoolMode mode = null;
            AttentionRule attention = null;
            try {
                if (poolRule) mode = MaxPoolMode.parse(ruleText);
                else if (attentionRule) attention = AttentionRule.parse(ruleText);
                else rule = Rule.parse(ruleText);
            } catch (IllegalArgumentException e) {
                throw specError(spec, e.getMessage());
            }
            int matched = 0;
            for (int i : selected) {
                Layer layer = net.layer(i);
                if (poolRule && layer instanceof MaxPool2d) { b.poolModes[i] = mode; matched++; }
                if (attentionRule && isAttention(layer)) { b.attention[i] = attention; matched++; }
                if (rule != null && layer.isParametric()) { b.rules[i] = rule; matched++; }
            }
            if (matched == 0) {
                throw specError(spec, "'" + term + "' names no " + (poolRule ? "max-pool" : attentionRule ? "attention" : "conv or dense")
                        + " layer (it selects " + types(net, selected) + ")");
            }
        }
        for (int i = 0; i < net.size(); i++) if (net.layer(i).isParametric() && b.rules[i] == null) b.rules[i] = new Rule.Zero();
        b.defaultPool(defaultPoolMode);
        return b.build();
    }

    /** The layer indices a selector names: an index range, a layer type, or the first/last parametric layer. */
    private static int[] select(String spec, String text, Network net) {
        List<Integer> out = new ArrayList<>();
        switch (text.toLowerCase(java.util.Locale.ROOT)) {
            case "conv" -> { for (int i = 0; i < net.size(); i++) if (net.layer(i) instanceof Conv2d) out.add(i); }
            case "dense" -> { for (int i = 0; i < net.size(); i++) if (net.layer(i) instanceof Dense) out.add(i); }
            case "attention" -> { for (int i = 0; i < net.size(); i++) if (isAttention(net.layer(i))) out.add(i); }
            case "first", "last" -> {
                for (int i = 0; i < net.size(); i++) if (net.layer(i).isParametric()) out.add(i);
                if (!out.isEmpty()) out = List.of(text.equalsIgnoreCase("first") ? out.get(0) : out.get(out.size() - 1));
            }
            default -> {
                int[] r = range(spec, text, net.size());
                for (int i = r[0]; i <= r[1]; i++) out.add(i);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] range(String spec, String text, int size) {
        int lo, hi;
        try {
            int dash = text.indexOf('-');
            if (dash < 0) { lo = hi = Integer.parseInt(text); }
            else {
                lo = Integer.parseInt(text.substring(0, dash).trim());
                String end = text.substring(dash + 1).trim();
                hi = end.isEmpty() ? size - 1 : Integer.parseInt(end);
            }
        } catch (NumberFormatException e) {
            throw specError(spec, "'" + text + "' is not an index range (i, i-j or i-) nor conv, dense, first or last");
        }
        if (lo < 0 || hi < lo || lo >= size || hi >= size) {
            throw specError(spec, "range '" + text + "' is outside the network's layers 0-" + (size - 1) + " (see describe)");
        }
        return new int[] {lo, hi};
    }

    private static String types(Network net, int[] selected) {
        List<String> t = new ArrayList<>();
        for (int i : selected) t.add(i + "=" + net.layer(i).type());
        return t.isEmpty() ? "no layers" : String.join(",", t);
    }

    private static IllegalArgumentException specError(String spec, String problem) {
        return new IllegalArgumentException("invalid rule spec '" + spec + "': " + problem + ". Syntax: " + SPEC_SYNTAX
                + " Rules: " + Rule.SYNTAX);
    }

    /** Where the composite came from: the spec text or "preset NAME". */
    public String source() { return source; }

    public Rule rule(int layer) { return rules[layer]; }

    public MaxPoolMode poolMode(int layer) { return poolModes[layer]; }

    /** The attention rule of a softmax or product-of-activations layer; null for other layers. */
    public AttentionRule attention(int layer) { return attention[layer]; }

    public int size() { return rules.length; }

    /** The rule spec that reproduces this composite exactly, layer by layer (recorded in manifests). */
    public String canonicalSpec() {
        List<String> terms = new ArrayList<>();
        for (int i = 0; i < rules.length; i++) {
            if (rules[i] != null) terms.add(i + ":" + rules[i].spec());
            if (poolModes[i] != null) terms.add(i + ":" + poolModes[i].spec());
            if (attention[i] == AttentionRule.ATTN) terms.add(i + ":" + attention[i].spec()); // cp is the default: old specs stay as they were
        }
        return String.join(";", terms);
    }

    /** What layer i does with relevance, as shown in the describe table. */
    public String describe(int i, Layer layer) {
        if (rules[i] != null) return rules[i].spec();
        if (poolModes[i] != null) return poolModes[i] == MaxPoolMode.AVG ? "avg (max as average)" : "wta (winner takes all)";
        if (layer instanceof org.lrpaudit.model.Activation) return "pass";
        if (attention[i] == AttentionRule.ATTN) {
            return layer instanceof Softmax ? "attn: x ⊙ (R − s·ΣR)" : "attn: half to each operand";
        }
        if (layer instanceof MatMul m && m.probabilities() < 0) return "cp: none reaches it";
        return switch (layer.type()) {
            case "relu", "clip", "scale" -> "pass";
            case "gate" -> "all to the signal";
            case "pad" -> "crop";
            case "add" -> "split by contribution";
            case "concat" -> "split by slice";
            case "slice" -> "put back";
            case "flatten", "reshape", "transpose" -> "reshape";
            case "avgpool", "globalavgpool", "shift" -> "z-rule";
            case "layernorm" -> "z-rule, 1/σ constant";
            case "softmax" -> "cp: none (probabilities constant)";
            case "matmul" -> "cp: z-rule to the values";
            case "concat-const" -> "split by slice, constants absorb";
            default -> "-";
        };
    }

    @Override public String toString() { return source + " = " + canonicalSpec(); }

    /** Mutable assembly used by parsing and presets. */
    static final class Builder {
        final Network net;
        final String source;
        final Rule[] rules;
        final MaxPoolMode[] poolModes;
        final AttentionRule[] attention;

        Builder(Network net, String source) {
            this.net = net;
            this.source = source;
            this.rules = new Rule[net.size()];
            this.poolModes = new MaxPoolMode[net.size()];
            this.attention = new AttentionRule[net.size()];
        }

        void defaultPool(MaxPoolMode mode) {
            for (int i = 0; i < net.size(); i++) if (net.layer(i) instanceof MaxPool2d && poolModes[i] == null) poolModes[i] = mode;
        }

        int firstParametric() {
            for (int i = 0; i < net.size(); i++) if (net.layer(i) instanceof Conv2d || net.layer(i) instanceof Dense) return i;
            throw new IllegalArgumentException("network has no conv or dense layer");
        }

        Composite build() {
            for (int i = 0; i < net.size(); i++) if (isAttention(net.layer(i)) && attention[i] == null) attention[i] = AttentionRule.CP;
            return new Composite(source, rules.clone(), poolModes.clone(), attention.clone());
        }
    }

    @Override public boolean equals(Object o) {
        return o instanceof Composite c && Arrays.equals(rules, c.rules) && Arrays.equals(poolModes, c.poolModes)
                && Arrays.equals(attention, c.attention);
    }

    @Override public int hashCode() { return 31 * (31 * Arrays.hashCode(rules) + Arrays.hashCode(poolModes)) + Arrays.hashCode(attention); }
}
