package org.lrpaudit.compare;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * The warn and fail thresholds of every check, with defaults calibrated on the Clever-Hans fixture (a model retrained
 * from another seed passes; a model that learned a planted mark fails) and overridable per check and per class from
 * a properties file:
 * <pre>
 * evidence_shift.fail = 0.4            # every class
 * evidence_shift.fail.trouser = 0.5    # one class (the class name after the level)
 * </pre>
 */
public final class Thresholds {

    /** Every check, what its value measures, and its default thresholds (the value grows with the change). */
    public enum Kind {
        EVIDENCE_SHIFT("evidence_shift", 0.35, 0.50, "share of the class's mean positive relevance that lies elsewhere than in the "
                + "baseline (total variation between the class-mean R+ maps, at the SpRAy resolution)"),
        CONCENTRATION("concentration_increase", 0.10, 0.20, "rise in the share of the class's mean positive relevance that falls in "
                + "its most relevant 5% of the image"),
        BORDER_SHARE("border_share_increase", 0.10, 0.20, "rise in the class's mean share of positive relevance in the 10% border"),
        ABSORBED_SHARE("absorbed_share_change", 0.10, 0.25, "change (either way) in the class's mean share of the logit absorbed by "
                + "biases and epsilon"),
        ACCURACY("accuracy_drop", 0.10, 0.20, "drop in the share of the class's labelled images predicted correctly"),
        PREDICTION_SHARE("prediction_share_change", 0.03, 0.06, "change (either way) in the share of all images explained as this class"),
        FINDINGS("new_finding", 0.30, 0.50, "score of the class's strongest finding that is new or more severe than in the baseline "
                + "(the findings' own medium and high levels)"),
        NEW_STRATEGY("new_strategy", 0.20, 0.40, "share of the class's images in SpRAy clusters with no counterpart in the baseline "
                + "(no baseline cluster of the class within the match distance of its mean map)"),
        HEATMAP_CHANGED("heatmap_changed", 0.50, 0.90, "share of the images in both runs (same id and content) that kept their "
                + "prediction and whose heatmaps' rank correlation fell below the changed-heatmap correlation"),
        PREDICTION_FLIPS("prediction_flips", 0.15, 0.30, "share of the images in both runs whose predicted class changed");

        public final String id, description;
        final double warn, fail;

        Kind(String id, double warn, double fail, String description) {
            this.id = id;
            this.warn = warn;
            this.fail = fail;
            this.description = description;
        }

        static Kind of(String id) {
            for (Kind k : values()) if (k.id.equals(id)) return k;
            return null;
        }
    }

    /** Two clusters are the same strategy when the total variation between their mean R+ maps is below this. */
    public static final String MATCH_DISTANCE = "cluster_match_distance";
    /** A heatmap counts as changed when its Spearman correlation with the baseline's is below this. */
    public static final String CHANGED_CORRELATION = "changed_heatmap_correlation";
    static final Map<String, Double> PARAMETER_DEFAULTS = Map.of(MATCH_DISTANCE, 0.45, CHANGED_CORRELATION, 0.5);

    public record Limits(double warn, double fail) {}

    private final Map<String, Double> values;

    private Thresholds(Map<String, Double> values) { this.values = values; }

    public static Thresholds defaults() { return new Thresholds(Map.of()); }

    /** The limits of a check for a class (null: the dataset-level row): the class's override, the check's, or the default. */
    public Limits limits(Kind kind, String className) {
        return new Limits(level(kind, "warn", className, kind.warn), level(kind, "fail", className, kind.fail));
    }

    public double parameter(String name) { return values.getOrDefault(name, PARAMETER_DEFAULTS.get(name)); }

    private double level(Kind kind, String level, String className, double fallback) {
        String key = kind.id + "." + level;
        if (className != null && values.containsKey(key + "." + className)) return values.get(key + "." + className);
        return values.getOrDefault(key, fallback);
    }

    /** Reads a thresholds file; an unknown check, level or parameter is an error listing the known ones. */
    public static Thresholds read(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read thresholds file " + file + ": " + e.getMessage());
        }
        Map<String, Double> values = new HashMap<>();
        for (String key : p.stringPropertyNames()) {
            String k = key.trim();
            double v;
            try {
                v = Double.parseDouble(p.getProperty(key).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("thresholds file " + file + ": '" + k + "' must be a number, got '" + p.getProperty(key) + "'");
            }
            if (!PARAMETER_DEFAULTS.containsKey(k)) {
                String[] parts = k.split("\\.", 3);
                if (parts.length < 2 || Kind.of(parts[0]) == null || !(parts[1].equals("warn") || parts[1].equals("fail"))) {
                    throw new IllegalArgumentException("thresholds file " + file + ": unknown key '" + k + "'; use CHECK.warn, CHECK.fail or "
                            + "CHECK.fail.CLASS with CHECK one of " + Arrays.stream(Kind.values()).map(c -> c.id).collect(Collectors.joining(", "))
                            + ", or " + String.join(", ", PARAMETER_DEFAULTS.keySet()));
                }
            }
            values.put(k, v);
        }
        return new Thresholds(values);
    }

    /** The thresholds in force, as written in the summary. */
    public Map<String, Object> describe() {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        for (Kind k : Kind.values()) out.put(k.id, Map.of("warn", limits(k, null).warn(), "fail", limits(k, null).fail()));
        PARAMETER_DEFAULTS.keySet().stream().sorted().forEach(name -> out.put(name, parameter(name)));
        values.keySet().stream().filter(key -> key.split("\\.", 3).length == 3).sorted()
                .forEach(key -> out.put(key, values.get(key))); // per-class overrides
        return out;
    }

    @Override public String toString() { return String.format(Locale.ROOT, "%s", describe()); }
}
