package org.lrpaudit.cli;

import static org.lrpaudit.cli.ParamFlags.param;
import static org.lrpaudit.cli.ParamFlags.sprayParam;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * The job's settings in one place: every key with its documentation (for a flag that sets an {@code ml} Param, that
 * Param's doc: see {@link ParamFlags}), read from a configuration file
 * ({@code --config FILE}, Java properties syntax, keys as the flags without dashes) and the command line, which wins.
 * An unknown key or flag is an error that lists the known ones.
 */
public final class Settings {

    public enum Key {
        MODEL("model", "PATH.onnx", param("modelPath")),
        INPUT("input", "PATH", "images: a folder tree (label = parent folder), IDX files, or a Parquet table"),
        OUTPUT("output", "DIR", "where the audit is written"),
        BASELINE("baseline", "DIR", "an earlier run's --output: images it explained that are unchanged (same id, label and content "
                + "SHA-256; same model and settings) are copied from it, not explained again; compare: the audit to compare with"),
        CONFIG("config", "FILE", "a properties file with any of these keys (the command line wins)"),
        RULES("rules", "SPEC", param("rules")),
        PRESET("preset", "NAME", param("preset")),
        MAXPOOL("maxpool", "avg|wta", param("maxPoolMode")),
        ATTENTION("attention", "cp|attn", param("attention")),
        TARGET("target", "predicted|label|INDEX", param("target")),
        BATCH_SIZE("batch-size", "N", param("batchSize")),
        OVERWRITE("overwrite", null, "replace an existing output"),
        RESUME("resume", null, "continue an interrupted run on the same --output: keep its committed chunks, explain the rest"),
        COMMIT_EVERY("commit-every", "N", "images per committed chunk, what a lost driver costs at most (default 100000)"),
        COLOR("color", "gray|rgb", param("color")),
        SIZE("size", "HxW", param("imageSize")),
        RESIZE("resize", "N", param("resizeShorter")),
        MEAN("mean", "a,b,c", param("mean")),
        STD("std", "a,b,c", param("std")),
        CLASSES("classes", "FILE|a,b,c", param("classNames", "a file has one per line")),
        MAX_PIXELS("max-pixels", "N", param("maxPixels")),
        INPUT_FORMAT("input-format", "auto|images|idx|parquet", "how to read --input (default auto)"),
        ID_COLUMN("id-column", "NAME", "Parquet input: the image id column (default image_id)"),
        IMAGE_COLUMN("image-column", "NAME", "Parquet input: the image bytes column (default image)"),
        LABEL_COLUMN("label-column", "NAME", "Parquet input: the integer label column, if any (default label)"),
        GRID("grid", "G", param("gridSize")),
        SPRAY("spray", "on|off", "spectral relevance analysis per class: clusters/, image_clusters/, findings/, report/ (default on)"),
        SPRAY_SIZE("spray-size", "N", sprayParam("vectorSize")),
        SPRAY_NORMALISATION("spray-normalisation", "abs|positive", sprayParam("normalisation")),
        SPRAY_NEIGHBOURS("spray-neighbours", "K", sprayParam("neighbours")),
        SPRAY_MAX_CLUSTERS("spray-max-clusters", "K", sprayParam("maxClusters")),
        SPRAY_CELL_SIZE("spray-cell-size", "N", sprayParam("cellSize")),
        FAITHFULNESS("faithfulness", "off|on|P1,P2", "region-perturbation check per class: on = the run's rules; a list adds "
                + "composites to compare (presets, lrp-0); writes faithfulness/ (default off; docs/faithfulness.md)"),
        FAITHFULNESS_SAMPLE("faithfulness-sample", "N", "faithfulness: images per class, spread over its SpRAy clusters (default 32)"),
        FAITHFULNESS_PATCH("faithfulness-patch", "P", "faithfulness: patch side in input pixels (default: 1/8 of the shorter side, rounded up)"),
        FAITHFULNESS_STEPS("faithfulness-steps", "L", "faithfulness: steps from the image to all patches removed (default 16)"),
        CONCEPT_LAYERS("concept-layers", "[auto|LAYER[,LAYER]]", "relevance per channel of one or two layers (names or indices from "
                + "describe; auto or no value: the last convolution): images/ concepts, concepts/, concept_references/ (docs/concepts.md)"),
        CONCEPT_REFERENCES("concept-references", "K", "reference images per channel, overall and per class (default 8)"),
        REPORT_SAMPLES("report-samples", "N", "report/: member heatmaps shown per cluster (default 8)"),
        MASTER("master", "URL", "Spark master when launched by scripts/lrp-audit (default local[*]; spark-submit sets its own)"),
        CURRENT("current", "DIR", "compare: the audit to check against the baseline (default output: this folder)"),
        THRESHOLDS("thresholds", "FILE", "compare: a properties file overriding check thresholds (CHECK.warn, CHECK.fail, CHECK.fail.CLASS)"),
        FAIL_ON("fail-on", "fail|warn", "compare: exit 1 when a check fails (default) or also when one warns"),
        COMPARE_ANYWAY("compare-anyway", null, "compare: run the checks even if rules or preprocessing differ (exit 2 otherwise)"),
        IMAGE("image", "FILE", "explain: the image to explain"),
        HEATMAP("heatmap", "FILE.png", "explain: where to write the heatmap (default: beside nothing, not written)");

        public final String name, value;
        private final String help; // a flag of the command line's own; null for one that sets a Param
        final ParamFlags.Mapped param; // the Param a flag sets, whose doc is its help; null for the command line's own

        Key(String name, String value, String help) {
            this.name = name;
            this.value = value;
            this.help = help;
            this.param = null;
        }

        Key(String name, String value, ParamFlags.Mapped param) {
            this.name = name;
            this.value = value;
            this.help = null;
            this.param = param;
        }

        /** What the flag does: for a flag that sets a Param, that Param's doc (one text for the API and the command line). */
        public String help() { return param == null ? help : ParamFlags.help(param); }

        boolean isFlag() { return value == null; }

        static Key of(String name) {
            for (Key k : values()) if (k.name.equals(name)) return k;
            return null;
        }
    }

    private final Map<Key, String> values;

    private Settings(Map<Key, String> values) { this.values = values; }

    /** Parses {@code --key value} and {@code --flag} arguments; a {@code --config FILE} is read first. */
    public static Settings parse(String[] args) {
        Map<Key, String> cli = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument '" + a + "'. " + usage());
            String name = a.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) { inline = name.substring(eq + 1); name = name.substring(0, eq); }
            Key key = Key.of(name);
            if (key == null) throw new IllegalArgumentException("unknown option --" + name + ". " + usage());
            if (key.isFlag()) { cli.put(key, "true"); continue; }
            String v = inline;
            if (v == null && key == Key.CONCEPT_LAYERS && (i + 1 >= args.length || args[i + 1].startsWith("--"))) v = "auto"; // value optional
            if (v == null) {
                if (i + 1 >= args.length) throw new IllegalArgumentException("--" + name + " needs a value " + key.value);
                v = args[++i];
            }
            cli.put(key, v);
        }
        Map<Key, String> merged = new LinkedHashMap<>();
        if (cli.containsKey(Key.CONFIG)) merged.putAll(readConfig(Path.of(cli.get(Key.CONFIG))));
        merged.putAll(cli);
        if (merged.containsKey(Key.RULES) && merged.containsKey(Key.PRESET)) {
            throw new IllegalArgumentException("give either --rules or --preset, not both");
        }
        if (Boolean.parseBoolean(merged.getOrDefault(Key.RESUME, "false")) && Boolean.parseBoolean(merged.getOrDefault(Key.OVERWRITE, "false"))) {
            throw new IllegalArgumentException("give either --resume (continue the interrupted run) or --overwrite (start again), not both");
        }
        return new Settings(merged);
    }

    static Map<Key, String> readConfig(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage());
        }
        Map<Key, String> out = new LinkedHashMap<>();
        for (String name : p.stringPropertyNames()) {
            Key key = Key.of(name.trim());
            if (key == null || key == Key.CONFIG) {
                throw new IllegalArgumentException("unknown key '" + name + "' in config file " + file + ". Known keys: "
                        + Arrays.stream(Key.values()).filter(k -> k != Key.CONFIG).map(k -> k.name).collect(Collectors.joining(", ")));
            }
            out.put(key, p.getProperty(name).trim());
        }
        return out;
    }

    public static String usage() {
        return "Options:\n" + Arrays.stream(Key.values())
                .map(Settings::usageLine)
                .collect(Collectors.joining("\n"));
    }

    static String usageLine(Key k) { return String.format("  --%-12s %-22s %s", k.name, k.value == null ? "" : k.value, k.help()); }

    public boolean has(Key key) { return values.containsKey(key); }

    public String get(Key key) { return values.get(key); }

    public String get(Key key, String dflt) { return values.getOrDefault(key, dflt); }

    public String require(Key key) {
        String v = values.get(key);
        if (v == null || v.isBlank()) throw new IllegalArgumentException("--" + key.name + " " + key.value + " is required (" + key.help() + ")");
        return v;
    }

    public boolean flag(Key key) { return Boolean.parseBoolean(values.getOrDefault(key, "false")); }

    /** An on/off setting (also true/false, yes/no). */
    public boolean enabled(Key key, boolean dflt) {
        String v = values.get(key);
        if (v == null) return dflt;
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes", "1" -> true;
            case "off", "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException("--" + key.name + " needs on or off, got '" + v + "'");
        };
    }

    public int intValue(Key key, int dflt) {
        String v = values.get(key);
        if (v == null) return dflt;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key.name + " needs a whole number, got '" + v + "'");
        }
    }

    public long longValue(Key key, long dflt) {
        String v = values.get(key);
        if (v == null) return dflt;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key.name + " needs a whole number, got '" + v + "'");
        }
    }

    public double[] doubles(Key key, double[] dflt) {
        String v = values.get(key);
        if (v == null) return dflt;
        try {
            return Arrays.stream(v.split(",")).mapToDouble(s -> Double.parseDouble(s.trim())).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key.name + " needs comma-separated numbers, got '" + v + "'");
        }
    }

    /** The effective settings, for logs and the manifest. */
    public Map<String, String> asMap() {
        Map<String, String> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k.name, v));
        return out;
    }

    @Override public String toString() { return asMap().toString().toLowerCase(Locale.ROOT); }
}
