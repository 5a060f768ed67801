package org.lrpaudit.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;
import org.lrpaudit.cli.Settings.Key;
import org.lrpaudit.ml.LrpExplainer;
import org.lrpaudit.ml.Naming;
import org.lrpaudit.ml.ParamChecks;
import org.lrpaudit.ml.SprayAudit;

/**
 * The thin layer between flags and Params: a flag that maps onto an {@link LrpExplainer} or {@link SprayAudit} Param
 * is parsed into the Param's type and set on a stage, so the command line resolves its setup exactly as the Spark ML
 * API does, and its help is the Param's doc. Errors name the flag, the value typed and what the flag takes.
 */
final class ParamFlags {
    private ParamFlags() {}

    enum Stage { EXPLAINER, SPRAY }

    /**
     * The Param a flag sets.
     *
     * @param note what the command line adds to the Param's doc about its own syntax, or null
     */
    record Mapped(Stage stage, String param, String note) {}

    static Mapped param(String name) { return new Mapped(Stage.EXPLAINER, name, null); }

    static Mapped param(String name, String note) { return new Mapped(Stage.EXPLAINER, name, note); }

    static Mapped sprayParam(String name) { return new Mapped(Stage.SPRAY, name, null); }

    /** Resolution errors name each Param by the flag that sets it. */
    static final Naming FLAGS = new Naming("", param -> {
        for (Key k : Key.values()) if (k.param != null && k.param.stage() == Stage.EXPLAINER && k.param.param().equals(param)) return "--" + k.name;
        return param;
    });

    /** Default stages, read for their Params' docs; created on first use, not when the flags are declared. */
    private static final class Docs {
        static final LrpExplainer EXPLAINER = new LrpExplainer();
        static final SprayAudit SPRAY = new SprayAudit();
    }

    static Param<?> paramOf(Mapped m) { return (m.stage() == Stage.EXPLAINER ? Docs.EXPLAINER : Docs.SPRAY).getParam(m.param()); }

    /** A mapped flag's help: its Param's doc, with the command line's note on its syntax. */
    static String help(Mapped m) {
        return (m.stage() == Stage.SPRAY ? "SpRAy: " : "") + paramOf(m).doc() + (m.note() == null ? "" : "; " + m.note());
    }

    /** An explainer with every explanation flag given set as its Param. */
    static LrpExplainer explainer(Settings s) {
        LrpExplainer e = new LrpExplainer();
        setAll(s, Stage.EXPLAINER, e);
        return e;
    }

    /** A SprayAudit with every spray-* flag given set as its Param. */
    static SprayAudit spray(Settings s) {
        SprayAudit a = new SprayAudit();
        setAll(s, Stage.SPRAY, a);
        return a;
    }

    @SuppressWarnings("unchecked")
    private static void setAll(Settings s, Stage stage, Params target) {
        for (Key k : Key.values()) {
            if (k.param == null || k.param.stage() != stage || !s.has(k)) continue;
            Param<Object> p = (Param<Object>) target.getParam(k.param.param());
            Object value = parse(s, k, p);
            if (!ParamChecks.accepts(p, value)) {
                throw new IllegalArgumentException("--" + k.name + " " + k.value + ": '" + s.get(k) + "' is not allowed; " + p.doc());
            }
            target.set(p, value);
        }
    }

    /** The flag's text as the Param's type: numbers, lists and the two syntaxes of the command line's own (HxW, FILE). */
    private static Object parse(Settings s, Key k, Param<?> p) {
        if (p instanceof IntParam) return s.intValue(k, 0);
        if (p instanceof LongParam) return s.longValue(k, 0);
        if (p instanceof DoubleArrayParam) return s.doubles(k, null);
        if (p instanceof IntArrayParam) return heightWidth(k, s.get(k));
        if (p instanceof StringArrayParam) return names(k, s.get(k));
        return s.get(k);
    }

    private static int[] heightWidth(Key k, String text) {
        String[] hw = text.toLowerCase().split("x");
        try {
            if (hw.length != 2) throw new NumberFormatException();
            return new int[] {Integer.parseInt(hw[0].trim()), Integer.parseInt(hw[1].trim())};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + k.name + " needs " + k.value + ", e.g. 224x224, got '" + text + "'");
        }
    }

    /** A file with one name per line, or the names separated by commas. */
    private static String[] names(Key k, String spec) {
        List<String> names = new ArrayList<>();
        Path file = Path.of(spec);
        if (!spec.contains(",") && Files.isRegularFile(file)) {
            try {
                for (String line : Files.readAllLines(file)) if (!line.isBlank()) names.add(line.trim());
            } catch (IOException e) {
                throw new IllegalArgumentException("--" + k.name + ": cannot read class list " + file + ": " + e.getMessage());
            }
        } else {
            for (String n : spec.split(",")) names.add(n.trim());
        }
        return names.toArray(new String[0]);
    }
}
