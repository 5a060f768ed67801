package org.lrpaudit.audit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.lrpaudit.audit.spray.ClusterTable;
import org.lrpaudit.audit.spray.SpectralAnalysis;
import org.lrpaudit.job.Columns;

/**
 * Ranks classes and clusters by how suspicious their prediction strategy looks, with the reason in words.
 * Every score is a share of relevance (0…1), so findings of different kinds rank on one scale:
 * <ul>
 * <li>{@code divergent_cluster}: a minority cluster whose mean relevance lies elsewhere than the class's main
 *     cluster's — the total-variation distance ½Σ|p − p₀| between their normalised mean heatmaps, i.e. the share of
 *     the cluster's relevance that would have to move to look like the main strategy (the Clever-Hans signature:
 *     a tag in a corner, a watermark, a background);</li>
 * <li>{@code concentrated_relevance}: a class whose mean evidence (R⁺) is packed into a small area — the share
 *     in its most relevant 5% of the image, minus the median class's share (a fixed mark gets a lot; an object
 *     whose shape varies from image to image does not);</li>
 * <li>{@code border_relevance}: a class whose images put more of their positive relevance in the 10% border than
 *     the median class does — the excess share.</li>
 * </ul>
 * Severity: high ≥ {@value #HIGH}, medium ≥ {@value #MEDIUM}; weaker signals are not reported. The thresholds are
 * heuristics, calibrated on the planted Clever-Hans fixture (README: "Findings").
 */
public final class Findings {
    public static final double HIGH = 0.5, MEDIUM = 0.3;
    public static final String RANK = "rank", KIND = "kind", SCORE = "score", SEVERITY = "severity", IMAGES = "images", REASON = "reason";
    public static final StructType SCHEMA = new StructType()
            .add(RANK, DataTypes.IntegerType, false)
            .add(Columns.TARGET, DataTypes.IntegerType, false)
            .add(Columns.TARGET_NAME, DataTypes.StringType, false)
            .add(SpectralAnalysis.CLUSTER, DataTypes.IntegerType, true)
            .add(KIND, DataTypes.StringType, false)
            .add(SCORE, DataTypes.DoubleType, false)
            .add(SEVERITY, DataTypes.StringType, false)
            .add(IMAGES, DataTypes.LongType, false)
            .add(REASON, DataTypes.StringType, false);

    /** One finding before ranking. */
    public record Finding(int target, String targetName, Integer cluster, String kind, double score, long images, String reason) {
        public String severity() { return score >= HIGH ? "high" : score >= MEDIUM ? "medium" : "low"; }
    }

    private Findings() {}

    /** All findings at or above MEDIUM, most suspicious first, as rows of findings/. */
    public static List<Row> rows(List<Finding> findings) {
        List<Row> out = new ArrayList<>();
        int rank = 1;
        for (Finding f : findings) {
            out.add(RowFactory.create(rank++, f.target(), f.targetName(), f.cluster(), f.kind(), f.score(), f.severity(), f.images(), f.reason()));
        }
        return out;
    }

    /**
     * @param classes  rows of classes/
     * @param clusters rows of clusters/ ordered by target, cluster (cluster 0 = the main cluster)
     */
    public static List<Finding> of(List<Row> classes, List<Row> clusters) {
        List<Finding> all = new ArrayList<>(divergentClusters(clusters));
        all.addAll(concentratedRelevance(clusters));
        all.addAll(borderRelevance(classes));
        all.removeIf(f -> f.score() < MEDIUM);
        all.sort(Comparator.comparingDouble(Finding::score).reversed().thenComparingInt(Finding::target));
        return all;
    }

    /** Every candidate cluster finding with its score, unfiltered (for the report and for calibration). */
    public static List<Finding> divergentClusters(List<Row> clusters) {
        List<Finding> out = new ArrayList<>();
        Row main = null;
        for (Row c : clusters) {
            int cluster = c.getInt(c.fieldIndex(SpectralAnalysis.CLUSTER));
            if (cluster == 0) {
                main = c;
                continue;
            }
            if (main == null || main.getInt(main.fieldIndex(Columns.TARGET)) != c.getInt(c.fieldIndex(Columns.TARGET))) continue;
            long size = c.getLong(c.fieldIndex(SpectralAnalysis.SIZE));
            long classSize = Math.round(size / c.getDouble(c.fieldIndex(SpectralAnalysis.SHARE)));
            if (size < Math.max(3, 0.02 * classSize)) continue; // a handful of odd images is not a strategy
            double[] p = vector(c), p0 = vector(main);
            int h = c.getInt(c.fieldIndex(SpectralAnalysis.VECTOR_HEIGHT)), w = c.getInt(c.fieldIndex(SpectralAnalysis.VECTOR_WIDTH));
            double tv = 0;
            for (int i = 0; i < p.length; i++) tv += Math.abs(p[i] - p0[i]);
            tv /= 2;
            String name = c.getString(c.fieldIndex(Columns.TARGET_NAME));
            StringBuilder reason = new StringBuilder(String.format(Locale.ROOT,
                    "cluster %d of %s (%d images, %.0f%% of the class): %.0f%% of its relevance lies where the main cluster's does not, most of it %s",
                    cluster, name, size, 100 * c.getDouble(c.fieldIndex(SpectralAnalysis.SHARE)), 100 * tv, where(p, p0, h, w)));
            double border = c.getDouble(c.fieldIndex(ClusterTable.MEAN_BORDER_SHARE)), border0 = main.getDouble(main.fieldIndex(ClusterTable.MEAN_BORDER_SHARE));
            if (border > border0 + 0.1) reason.append(String.format(Locale.ROOT, "; %.0f%% of its positive relevance is in the image border (main cluster %.0f%%)",
                    100 * border, 100 * border0));
            int ai = c.fieldIndex(ClusterTable.LABEL_AGREEMENT);
            if (!c.isNullAt(ai) && c.getDouble(ai) < 0.9) {
                reason.append(String.format(Locale.ROOT, "; %.0f%% of its labelled images belong to other classes", 100 * (1 - c.getDouble(ai))));
            }
            out.add(new Finding(c.getInt(c.fieldIndex(Columns.TARGET)), name, cluster, "divergent_cluster", tv, size, reason.toString()));
        }
        return out;
    }

    /** Classes whose mean positive relevance packs into a small area, by the excess over the median class. */
    public static List<Finding> concentratedRelevance(List<Row> clusters) {
        java.util.Map<Integer, double[]> sums = new java.util.TreeMap<>();
        java.util.Map<Integer, Row> first = new java.util.HashMap<>();
        java.util.Map<Integer, Long> counts = new java.util.HashMap<>();
        for (Row c : clusters) {
            int t = c.getInt(c.fieldIndex(Columns.TARGET));
            long size = c.getLong(c.fieldIndex(SpectralAnalysis.SIZE));
            double[] v = vector(c), acc = sums.computeIfAbsent(t, k -> new double[v.length]);
            for (int i = 0; i < v.length; i++) acc[i] += size * v[i];
            first.putIfAbsent(t, c);
            counts.merge(t, size, Long::sum);
        }
        java.util.Map<Integer, Double> top = new java.util.HashMap<>();
        for (var e : sums.entrySet()) top.put(e.getKey(), topShare(e.getValue(), 0.05));
        if (top.size() < 3) return List.of();
        double median = median(top.values().stream().mapToDouble(Double::doubleValue).toArray());
        List<Finding> out = new ArrayList<>();
        for (var e : sums.entrySet()) {
            Row c = first.get(e.getKey());
            int h = c.getInt(c.fieldIndex(SpectralAnalysis.VECTOR_HEIGHT)), w = c.getInt(c.fieldIndex(SpectralAnalysis.VECTOR_WIDTH));
            double[] p = e.getValue(), none = new double[p.length];
            String name = c.getString(c.fieldIndex(Columns.TARGET_NAME));
            double share = top.get(e.getKey());
            out.add(new Finding(e.getKey(), name, null, "concentrated_relevance", share - median, counts.get(e.getKey()), String.format(Locale.ROOT,
                    "%s: %.0f%% of the class's positive relevance falls in 5%% of the image (%d of %d cells), most of it %s; the median class puts %.0f%% there",
                    name, 100 * share, cells(p.length, 0.05), p.length, where(p, none, h, w), 100 * median)));
        }
        return out;
    }

    private static int cells(int n, double fraction) { return Math.max(1, (int) Math.ceil(fraction * n)); }

    /** Share of the total in the largest fraction of the cells. */
    public static double topShare(double[] v, double fraction) {
        double[] sorted = v.clone();
        java.util.Arrays.sort(sorted);
        double total = 0, top = 0;
        for (double x : sorted) total += x;
        for (int i = 0; i < cells(v.length, fraction); i++) top += sorted[sorted.length - 1 - i];
        return total > 0 ? top / total : 0;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Classes whose border holds more positive relevance than the median class's, by the excess share. */
    public static List<Finding> borderRelevance(List<Row> classes) {
        String col = "mean_" + Columns.BORDER_SHARE;
        double[] shares = classes.stream().filter(r -> !r.isNullAt(r.fieldIndex(col))).mapToDouble(r -> r.getDouble(r.fieldIndex(col))).sorted().toArray();
        if (shares.length < 3) return List.of();
        double median = median(shares);
        List<Finding> out = new ArrayList<>();
        for (Row r : classes) {
            if (r.isNullAt(r.fieldIndex(col))) continue;
            double share = r.getDouble(r.fieldIndex(col));
            String name = r.getString(r.fieldIndex(Columns.TARGET_NAME));
            out.add(new Finding(r.getInt(r.fieldIndex(Columns.TARGET)), name, null, "border_relevance", share - median,
                    r.getLong(r.fieldIndex(ClassAggregates.COUNT)), String.format(Locale.ROOT,
                    "%s: %.0f%% of positive relevance lies in the 10%% image border, the median class has %.0f%%", name, 100 * share, 100 * median)));
        }
        return out;
    }

    /** A clusters/ row's mean R⁺ map, summing to 1. */
    public static double[] vector(Row r) {
        List<Double> v = r.getList(r.fieldIndex(SpectralAnalysis.MEAN_VECTOR));
        double[] out = new double[v.size()];
        double sum = 0;
        for (int i = 0; i < out.length; i++) sum += out[i] = v.get(i);
        if (sum > 0) for (int i = 0; i < out.length; i++) out[i] /= sum;
        return out;
    }

    /** The third of the image (top/middle/bottom × left/centre/right) where p exceeds p0 most. */
    public static String where(double[] p, double[] p0, int h, int w) {
        double[] excess = new double[9];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double d = p[y * w + x] - p0[y * w + x];
                if (d > 0) excess[Math.min(2, 3 * y / h) * 3 + Math.min(2, 3 * x / w)] += d;
            }
        }
        int best = 0;
        for (int i = 1; i < 9; i++) if (excess[i] > excess[best]) best = i;
        String[] rows = {"top", "middle", "bottom"}, cols = {"left", "centre", "right"};
        String region = best == 4 ? "in the centre" : "at the " + rows[best / 3] + " " + cols[best % 3];
        return region.replace("middle centre", "centre");
    }
}
