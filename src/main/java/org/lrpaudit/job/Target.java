package org.lrpaudit.job;

import java.io.Serializable;

/** Which class to explain: the prediction, the true label, or a fixed class index. */
public record Target(Kind kind, int index) implements Serializable {
    public enum Kind { PREDICTED, LABEL, INDEX }

    public static Target parse(String s) {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("predicted")) return new Target(Kind.PREDICTED, -1);
        if (t.equals("label")) return new Target(Kind.LABEL, -1);
        try {
            int i = Integer.parseInt(t);
            if (i < 0) throw new NumberFormatException();
            return new Target(Kind.INDEX, i);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--target must be predicted, label or a class index >= 0, got '" + s + "'");
        }
    }

    /** The class index to hand the engine for an image with this label (null if unknown); -1 means predicted. */
    public int resolve(Integer label) {
        return switch (kind) {
            case PREDICTED -> -1;
            case INDEX -> index;
            case LABEL -> {
                if (label == null) throw new IllegalArgumentException("--target label needs a label, and this image has none");
                yield label;
            }
        };
    }

    @Override public String toString() { return kind == Kind.INDEX ? String.valueOf(index) : kind.name().toLowerCase(java.util.Locale.ROOT); }
}
