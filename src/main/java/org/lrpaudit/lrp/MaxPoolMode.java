package org.lrpaudit.lrp;

/** How relevance passes back through max pooling. */
public enum MaxPoolMode {
    /** Treated as average pooling in the backward pass (the tutorial's choice; the default). */
    AVG,
    /** Winner-take-all: relevance follows the maximum, as the gradient does. */
    WTA;

    public String spec() { return this == AVG ? "avg" : "wta"; }

    public static MaxPoolMode parse(String text) {
        return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "avg", "average" -> AVG;
            case "wta", "max", "winner-take-all" -> WTA;
            default -> throw new IllegalArgumentException("unknown max-pool mode '" + text + "'; use avg or wta");
        };
    }
}
