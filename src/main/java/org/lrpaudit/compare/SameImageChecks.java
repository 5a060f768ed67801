package org.lrpaudit.compare;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.lrpaudit.audit.spray.HeatmapVectors;
import org.lrpaudit.compare.Thresholds.Kind;
import org.lrpaudit.output.Columns;
import scala.Tuple3;

/**
 * The checks on the images both runs explained (same image_id, and same content where both record its hash): per
 * current class and overall, the share whose prediction flipped and the share whose heatmap changed — the Spearman
 * correlation of the two R+ maps at the SpRAy resolution below a threshold. Computed on the executors; only counts
 * per class reach the driver.
 */
final class SameImageChecks {
    private static final String CONTENT_SHA256 = "content_sha256";

    /**
     * Counts per class (null: all) of the images in both runs: how many, how many flipped their prediction, and of those
     * that kept it (same explained target: heatmaps that compare), how many changed their heatmap.
     */
    record Counts(Integer target, String name, long images, long flipped, long changed) {
        long kept() { return images - flipped; }
    }

    private SameImageChecks() {}

    static List<Check> run(AuditOutput baseline, AuditOutput current, Thresholds thresholds, List<String> notes) {
        boolean byContent = baseline.hasColumn(CONTENT_SHA256) && current.hasColumn(CONTENT_SHA256);
        if (!byContent) notes.add("images matched by image_id alone: a run without the content_sha256 column cannot tell a changed file");
        List<Counts> counts = counts(baseline.images(), current.images(), byContent, thresholds.parameter(Thresholds.CHANGED_CORRELATION));
        List<Check> out = new ArrayList<>();
        if (counts.isEmpty()) {
            notes.add("no image is in both runs: the per-image checks (heatmap_changed, prediction_flips) were not made");
            return out;
        }
        double rho = thresholds.parameter(Thresholds.CHANGED_CORRELATION);
        for (Counts c : counts) {
            String name = c.name(), who = name == null ? "all classes" : name;
            double flipped = c.flipped() / (double) c.images(), changed = c.kept() == 0 ? 0 : c.changed() / (double) c.kept();
            out.add(Check.judged(name, Kind.PREDICTION_FLIPS.id, flipped, null, thresholds.limits(Kind.PREDICTION_FLIPS, name), String.format(Locale.ROOT,
                    "%s: %d of %d images in both runs predicted differently than in the baseline", who, c.flipped(), c.images())));
            out.add(Check.judged(name, Kind.HEATMAP_CHANGED.id, changed, null, thresholds.limits(Kind.HEATMAP_CHANGED, name), String.format(Locale.ROOT,
                    "%s: %d of the %d images in both runs that kept their prediction have a heatmap whose rank correlation with the "
                    + "baseline's is below %.2f", who, c.changed(), c.kept(), rho)));
        }
        return out;
    }

    /** Per current target class, then the total (target null), ordered by target. */
    static List<Counts> counts(Dataset<Row> baseline, Dataset<Row> current, boolean byContent, double changedBelow) {
        List<String> keys = byContent ? List.of(Columns.IMAGE_ID, CONTENT_SHA256) : List.of(Columns.IMAGE_ID);
        Dataset<Row> b = baseline.select(columns(keys, "b_")), c = current.select(columns(keys, ""));
        Column on = null;
        for (String k : keys) on = on == null ? col(k).equalTo(col("b_" + k)) : on.and(col(k).equalTo(col("b_" + k))); // b_ columns: unambiguous
        Dataset<Tuple3<Integer, Boolean, Double>> pairs = c.join(b, on).map((MapFunction<Row, Tuple3<Integer, Boolean, Double>>) r -> {
            int h = r.getInt(r.fieldIndex(Columns.HEATMAP_HEIGHT)), w = r.getInt(r.fieldIndex(Columns.HEATMAP_WIDTH));
            double[] now = HeatmapVectors.of(floats(r, Columns.HEATMAP), h, w, ClassChecks.MAP_SIZE, HeatmapVectors.Normalisation.POSITIVE);
            double[] before = HeatmapVectors.of(floats(r, "b_" + Columns.HEATMAP), r.getInt(r.fieldIndex("b_" + Columns.HEATMAP_HEIGHT)),
                    r.getInt(r.fieldIndex("b_" + Columns.HEATMAP_WIDTH)), ClassChecks.MAP_SIZE, HeatmapVectors.Normalisation.POSITIVE);
            double rho = before.length == now.length ? spearman(before, now) : Double.NaN;
            return new Tuple3<>(r.getInt(r.fieldIndex(Columns.TARGET)), r.getInt(r.fieldIndex(Columns.PREDICTED)) != r.getInt(r.fieldIndex("b_" + Columns.PREDICTED)), rho);
        }, Encoders.tuple(Encoders.INT(), Encoders.BOOLEAN(), Encoders.DOUBLE()));
        Dataset<Row> perImage = pairs.toDF("current_target", "flipped", "rho");
        Column changed = functions.when(functions.not(col("flipped")).and(col("rho").isNaN().or(col("rho").lt(changedBelow))), 1).otherwise(0);
        List<Row> rows = perImage.groupBy("current_target").agg(functions.count("*").as("images"),
                functions.sum(functions.when(col("flipped"), 1).otherwise(0)).as("flipped"), functions.sum(changed).as("changed")).collectAsList();
        java.util.Map<Integer, String> nameOf = new java.util.HashMap<>();
        for (Row n : current.select(Columns.TARGET, Columns.TARGET_NAME).distinct().collectAsList()) nameOf.put(n.getInt(0), n.getString(1));
        List<Counts> out = new ArrayList<>();
        long images = 0, flipped = 0, changedImages = 0;
        for (Row r : rows) {
            int t = r.getInt(0);
            out.add(new Counts(t, nameOf.get(t), r.getLong(1), r.getLong(2), r.getLong(3)));
            images += r.getLong(1);
            flipped += r.getLong(2);
            changedImages += r.getLong(3);
        }
        if (images > 0) out.add(new Counts(null, null, images, flipped, changedImages));
        out.sort(Comparator.comparing(Counts::target, Comparator.nullsLast(Comparator.naturalOrder())));
        return out;
    }

    private static Column[] columns(List<String> keys, String prefix) {
        List<String> names = new ArrayList<>(keys);
        names.addAll(List.of(Columns.TARGET, Columns.PREDICTED, Columns.HEATMAP, Columns.HEATMAP_HEIGHT, Columns.HEATMAP_WIDTH));
        if (prefix.isEmpty()) names.add(Columns.TARGET_NAME);
        return names.stream().distinct().map(n -> col(n).as(prefix + n)).toArray(Column[]::new);
    }

    private static float[] floats(Row r, String column) {
        List<Float> v = r.getList(r.fieldIndex(column));
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    /** Spearman's rank correlation, ties given their average rank; two constant maps agree (1), one constant map does not (0). */
    static double spearman(double[] a, double[] b) {
        double[] ra = ranks(a), rb = ranks(b);
        double ma = Arrays.stream(ra).average().orElse(0), mb = Arrays.stream(rb).average().orElse(0), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < ra.length; i++) {
            double da = ra[i] - ma, db = rb[i] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        if (saa == 0 || sbb == 0) return saa == sbb ? 1 : 0;
        return sab / Math.sqrt(saa * sbb);
    }

    static double[] ranks(double[] v) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble(i -> v[i]));
        double[] ranks = new double[v.length];
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) j++;
            for (int k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        return ranks;
    }
}
