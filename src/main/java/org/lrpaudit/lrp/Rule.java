package org.lrpaudit.lrp;

import java.io.Serializable;
import java.util.Locale;

/**
 * An LRP rule for a layer with weights: the choice of ρ and ε in
 * R_j = Σ_k a_j ρ(w_jk) / (ε + Σ_j a_j ρ(w_jk)) · R_k. {@link #spec()} is the text form used in rule
 * specs, the describe table and the manifest; {@link #parse} reads it back.
 */
public sealed interface Rule extends Serializable {

    /** The tiny stabiliser of the rules that have no ε of their own. */
    double STABILISER = 1e-9;

    String spec();

    /** One method per rule: a new rule needs a {@code visit} here, and every visitor fails to compile until it has one. */
    interface Visitor<T> {
        T visit(Zero r);
        T visit(Epsilon r);
        T visit(EpsilonAbs r);
        T visit(Gamma r);
        T visit(AlphaBeta r);
        T visit(Flat r);
        T visit(WSquare r);
        T visit(ZBox r);
    }

    <T> T accept(Visitor<T> v);

    /** LRP-0: ρ = identity. */
    record Zero() implements Rule {
        @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
        public String spec() { return "zero"; }
    }

    /** LRP-ε with ε = k · RMS(z), RMS taken over each image's own z. */
    record Epsilon(double k) implements Rule {
        @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
        public Epsilon { requirePositive("epsilon", k); }
        public String spec() { return "epsilon=" + fmt(k); }
    }

    /** LRP-ε with an absolute ε (the Zennit/iNNvestigate form). */
    record EpsilonAbs(double epsilon) implements Rule {
        @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
        public EpsilonAbs { requirePositive("epsilon-abs", epsilon); }
        public String spec() { return "epsilon-abs=" + fmt(epsilon); }
    }

    /** LRP-γ: ρ(w) = w + γ·max(0, w), on weights and bias. */
    record Gamma(double gamma) implements Rule {
        @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
        public Gamma { requirePositive("gamma", gamma); }
        public String spec() { return "gamma=" + fmt(gamma); }
    }

    /** LRP-αβ with α − β = 1: positive and negative contributions redistributed separately. */
    record AlphaBeta(double alpha, double beta) implements Rule {
        @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
        public AlphaBeta {
            if (beta < 0 || Math.abs(alpha - beta - 1) > 1e-9) {
                throw new IllegalArgumentException("alpha-beta rule needs alpha - beta = 1 and beta >= 0, got alpha="
                        + alpha + " beta=" + beta);
            }
        }
        public String spec() {
            if (alpha == 1 && beta == 0) return "alpha1beta0";
            if (alpha == 2 && beta == 1) return "alpha2beta1";
            return "alphabeta=" + fmt(alpha) + "," + fmt(beta);
        }
    }

    /** Flat: every weight 1, inputs ignored; relevance spread evenly over the receptive field. */
    record Flat() implements Rule {
        @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
        public String spec() { return "flat"; }
    }

    /** w²: ρ(w) = w², inputs ignored. */
    record WSquare() implements Rule {
        @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
        public String spec() { return "wsquare"; }
    }

    /**
     * z^B (box) rule for the pixel layer. With null bounds, the bounds follow from the preprocessing
     * ((0 − mean)/std and (1 − mean)/std per channel); otherwise the same scalar bounds for every input.
     */
    record ZBox(Double low, Double high) implements Rule {
        @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
        public ZBox {
            if ((low == null) != (high == null)) throw new IllegalArgumentException("zb needs both bounds or none");
            if (low != null && !(low < high)) throw new IllegalArgumentException("zb needs low < high, got " + low + "," + high);
        }
        public static ZBox fromPreprocessing() { return new ZBox(null, null); }
        public String spec() { return low == null ? "zb" : "zb=" + fmt(low) + "," + fmt(high); }
    }

    String SYNTAX = "zero | epsilon=K (K·RMS(z) per image) | epsilon-abs=E | gamma=G | alpha1beta0 | alpha2beta1 | "
            + "alphabeta=A,B | flat | wsquare | zb | zb=LOW,HIGH";

    static Rule parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        String name = t, arg = null;
        int eq = t.indexOf('=');
        if (eq >= 0) { name = t.substring(0, eq).trim(); arg = t.substring(eq + 1).trim(); }
        try {
            Rule rule = switch (name) {
                case "zero", "lrp0", "lrp-0" -> noArg(name, arg, new Zero());
                case "epsilon" -> new Epsilon(number(name, arg));
                case "epsilon-abs" -> new EpsilonAbs(number(name, arg));
                case "gamma" -> new Gamma(number(name, arg));
                case "alpha1beta0", "zplus" -> noArg(name, arg, new AlphaBeta(1, 0));
                case "alpha2beta1" -> noArg(name, arg, new AlphaBeta(2, 1));
                case "alphabeta" -> { double[] ab = pair(name, arg); yield new AlphaBeta(ab[0], ab[1]); }
                case "flat" -> noArg(name, arg, new Flat());
                case "wsquare", "w2" -> noArg(name, arg, new WSquare());
                case "zb", "zbox" -> {
                    if (arg == null) yield ZBox.fromPreprocessing();
                    double[] lh = pair(name, arg);
                    yield new ZBox(lh[0], lh[1]);
                }
                default -> throw new IllegalArgumentException("unknown rule '" + text.trim() + "'");
            };
            return rule;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + "; rules are: " + SYNTAX, e);
        }
    }

    private static Rule noArg(String name, String arg, Rule rule) {
        if (arg != null) throw new IllegalArgumentException("rule '" + name + "' takes no value");
        return rule;
    }

    private static double number(String name, String arg) {
        if (arg == null || arg.isEmpty()) throw new IllegalArgumentException("rule '" + name + "' needs a value, e.g. " + name + "=0.25");
        try {
            return Double.parseDouble(arg);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("rule '" + name + "': '" + arg + "' is not a number");
        }
    }

    private static double[] pair(String name, String arg) {
        String[] parts = arg == null ? new String[0] : arg.split(",");
        if (parts.length != 2) throw new IllegalArgumentException("rule '" + name + "' needs two values, e.g. " + name + "=-1,1");
        return new double[] {number(name, parts[0]), number(name, parts[1])};
    }

    private static void requirePositive(String name, double v) {
        if (!(v > 0) || Double.isInfinite(v)) throw new IllegalArgumentException("rule '" + name + "' needs a positive value, got " + v);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }
}
