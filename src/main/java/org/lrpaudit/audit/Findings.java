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
import org.lrpaudit.output.Columns;

/**
 * Ranks classes and SpRAy clusters (strategies) by how suspicious their evidence looks, with the reason in words.
 * Every score is a share of relevance (0…1), so findings of different kinds rank on one scale:
 * <ul>
 * <li>{@code concentrated_relevance}: mean evidence (R⁺) packed into a small area — the share in the most relevant
 *     5% of the image, minus the median class's share (a fixed mark gets a lot; an object whose shape varies from
 *     image to image does not). Per class, and per group of clusters of a class that concentrate on one region
 *     ({@link ClusterFindings}): a strategy that looks at a mark is named whatever its size;</li>
 * <li>{@code border_relevance}: more positive relevance in the 10% border than the median class — the excess
 *     share; per class and per group of clusters;</li>
 * <li>{@code divergent_cluster}: a cluster of a class whose mean R⁺ map lies apart from the largest cluster's — the
 *     total-variation distance ½Σ|p − q|; stated for both sides (where each looks, how concentrated) and about the
 *     more concentrated one, whichever is larger.</li>
 * </ul>
 * Findings that another reported finding already states are left out ({@link #says}). Severity: high ≥ {@value #HIGH}, medium ≥ {@value #MEDIUM};
 * weaker signals are not reported. The thresholds are heuristics, calibrated on the planted Clever-Hans fixtures.
 */
public final class Findings {
    public static final double HIGH = 0.5, MEDIUM = 0.3;
    public static final String RANK = "rank", KIND = "kind", SCORE = "score", SEVERITY = "severity", IMAGES = "images", REASON = "reason",
            NAMED_CLUSTERS = "named_clusters", REGION = "region";
    public static final String CONCENTRATED = "concentrated_relevance", BORDER = "border_relevance", DIVERGENT = "divergent_cluster";
    /** The share of the image whose relevance measures concentration. */
    public static final double TOP = 0.05;
    public static final StructType SCHEMA = new StructType()
            .add(RANK, DataTypes.IntegerType, false)
            .add(Columns.TARGET, DataTypes.IntegerType, false)
            .add(Columns.TARGET_NAME, DataTypes.StringType, false)
            .add(SpectralAnalysis.CLUSTER, DataTypes.IntegerType, true)
            .add(KIND, DataTypes.StringType, false)
            .add(SCORE, DataTypes.DoubleType, false)
            .add(SEVERITY, DataTypes.StringType, false)
            .add(IMAGES, DataTypes.LongType, false)
            .add(REASON, DataTypes.StringType, false)
            // added later, at the end: older findings/ tables have neither
            .add(NAMED_CLUSTERS, DataTypes.createArrayType(DataTypes.IntegerType, false), true)
            .add(REGION, DataTypes.StringType, true);

    /**
     * One finding before ranking. {@code cluster} is the cluster the finding is about (the more concentrated one of a
     * divergent pair), null for a class; {@code clusters} every cluster it names (empty for a class); {@code region}
     * where the named evidence lies ("bottom centre", "centre", "border").
     */
    public record Finding(int target, String targetName, Integer cluster, List<Integer> clusters, String kind, double score, long images,
                          String region, String reason) {
        public Finding {
            clusters = List.copyOf(clusters);
        }

        /** A class-level finding. */
        public Finding(int target, String targetName, String kind, double score, long images, String region, String reason) {
            this(target, targetName, null, List.of(), kind, score, images, region, reason);
        }

        public String severity() { return score >= HIGH ? "high" : score >= MEDIUM ? "medium" : "low"; }
    }

    private Findings() {}

    /** All findings at or above MEDIUM, most suspicious first, as rows of findings/. */
    public static List<Row> rows(List<Finding> findings) {
        List<Row> out = new ArrayList<>();
        int rank = 1;
        for (Finding f : findings) {
            out.add(RowFactory.create(rank++, f.target(), f.targetName(), f.cluster(), f.kind(), f.score(), f.severity(), f.images(), f.reason(),
                    scala.jdk.javaapi.CollectionConverters.asScala(f.clusters()).toList(), f.region()));
        }
        return out;
    }

    /**
     * @param classes  rows of classes/
     * @param clusters rows of clusters/ ordered by target, cluster (cluster 0 = the main cluster)
     */
    public static List<Finding> of(List<Row> classes, List<Row> clusters) {
        List<Finding> all = candidates(classes, clusters);
        all.removeIf(f -> f.score() < MEDIUM);
        all.removeIf(f -> all.stream().anyMatch(c -> says(c, f)));
        all.sort(Comparator.comparingDouble(Finding::score).reversed().thenComparingInt(Finding::target));
        return all;
    }

    /**
     * Whether reported finding c already says what f says, about fewer images or in more detail: a class-level finding
     * by a cluster-level one of the same kind that scores at least as much; a divergence by the concentration finding
     * that names its concentrated side, which says what that side looks at and what the class's other clusters do.
     */
    private static boolean says(Finding c, Finding f) {
        if (c == f || c.target() != f.target() || c.cluster() == null) return false;
        // 1e-9: clusters covering the whole class pool to the class's own map, the same score but for rounding
        if (f.cluster() == null) return c.kind().equals(f.kind()) && c.score() >= f.score() - 1e-9;
        return f.kind().equals(DIVERGENT) && c.kind().equals(CONCENTRATED) && c.clusters().contains(f.cluster());
    }

    /** Every candidate finding with its score, unfiltered (for the log and for calibration). */
    public static List<Finding> candidates(List<Row> classes, List<Row> clusters) {
        List<Finding> all = new ArrayList<>(concentratedRelevance(clusters));
        all.addAll(borderRelevance(classes));
        ClusterFindings strategies = new ClusterFindings(clusters);
        all.addAll(strategies.divergent());
        classConcentrations(clusters).ifPresent(m -> all.addAll(strategies.concentrated(m)));
        borderMedian(classes).ifPresent(m -> all.addAll(strategies.border(m)));
        return all;
    }

    /** Per class: its mean R⁺ map, each cluster's weighted by its size. */
    private static java.util.Map<Integer, double[]> classMaps(List<Row> clusters) {
        java.util.Map<Integer, double[]> sums = new java.util.TreeMap<>();
        for (Row c : clusters) {
            long size = c.getLong(c.fieldIndex(SpectralAnalysis.SIZE));
            double[] v = vector(c), acc = sums.computeIfAbsent(c.getInt(c.fieldIndex(Columns.TARGET)), k -> new double[v.length]);
            for (int i = 0; i < v.length; i++) acc[i] += size * v[i];
        }
        return sums;
    }

    /** The median class's concentration (share of R⁺ in its top 5%), if there are at least three classes to take it from. */
    static java.util.OptionalDouble classConcentrations(List<Row> clusters) {
        double[] top = classMaps(clusters).values().stream().mapToDouble(p -> topShare(p, TOP)).toArray();
        return top.length < 3 ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(median(top));
    }

    /** The median class's border share, if at least three classes have one. */
    static java.util.OptionalDouble borderMedian(List<Row> classes) {
        String col = "mean_" + Columns.BORDER_SHARE;
        double[] shares = classes.stream().filter(r -> !r.isNullAt(r.fieldIndex(col))).mapToDouble(r -> r.getDouble(r.fieldIndex(col))).toArray();
        return shares.length < 3 ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(median(shares));
    }

    /** Classes whose mean positive relevance packs into a small area, by the excess over the median class. */
    public static List<Finding> concentratedRelevance(List<Row> clusters) {
        java.util.OptionalDouble median = classConcentrations(clusters);
        if (median.isEmpty()) return List.of();
        java.util.Map<Integer, Row> first = new java.util.HashMap<>();
        java.util.Map<Integer, Long> counts = new java.util.HashMap<>();
        for (Row c : clusters) {
            int t = c.getInt(c.fieldIndex(Columns.TARGET));
            first.putIfAbsent(t, c);
            counts.merge(t, c.getLong(c.fieldIndex(SpectralAnalysis.SIZE)), Long::sum);
        }
        List<Finding> out = new ArrayList<>();
        for (var e : classMaps(clusters).entrySet()) {
            Row c = first.get(e.getKey());
            int h = c.getInt(c.fieldIndex(SpectralAnalysis.VECTOR_HEIGHT)), w = c.getInt(c.fieldIndex(SpectralAnalysis.VECTOR_WIDTH));
            double[] p = e.getValue();
            String name = c.getString(c.fieldIndex(Columns.TARGET_NAME)), region = region(top(p, TOP), h, w);
            double share = topShare(p, TOP);
            out.add(new Finding(e.getKey(), name, CONCENTRATED, share - median.getAsDouble(), counts.get(e.getKey()), region, String.format(Locale.ROOT,
                    "%s: %.0f%% of the class's positive relevance falls in 5%% of the image (%d of %d cells), most of it %s; the median class puts %.0f%% there",
                    name, 100 * share, cells(p.length, TOP), p.length, at(region), 100 * median.getAsDouble())));
        }
        return out;
    }

    static int cells(int n, double fraction) { return Math.max(1, (int) Math.ceil(fraction * n)); }

    /** Share of the total in the largest fraction of the cells. */
    public static double topShare(double[] v, double fraction) {
        double[] sorted = v.clone();
        java.util.Arrays.sort(sorted);
        double total = 0, top = 0;
        for (double x : sorted) total += x;
        for (int i = 0; i < cells(v.length, fraction); i++) top += sorted[sorted.length - 1 - i];
        return total > 0 ? top / total : 0;
    }

    /** The map with only its largest fraction of the cells kept: where its concentrated evidence lies. */
    public static double[] top(double[] v, double fraction) {
        double[] sorted = v.clone(), out = new double[v.length];
        java.util.Arrays.sort(sorted);
        double threshold = sorted[sorted.length - cells(v.length, fraction)];
        for (int i = 0; i < v.length; i++) if (v[i] >= threshold) out[i] = v[i];
        return out;
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
            out.add(new Finding(r.getInt(r.fieldIndex(Columns.TARGET)), name, BORDER, share - median,
                    r.getLong(r.fieldIndex(ClassAggregates.COUNT)), "border", String.format(Locale.ROOT,
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

    /** The ninth of the image where a map's mass lies most: "bottom centre", "centre", "top left", … */
    public static String region(double[] p, int h, int w) { return excessRegion(p, new double[p.length], h, w); }

    /** A region as a phrase: "in the centre", "at the bottom centre". */
    public static String at(String region) { return region.equals("centre") ? "in the centre" : "at the " + region; }

    /** The third of the image (top/middle/bottom × left/centre/right) where p exceeds p0 most, as a phrase. */
    public static String where(double[] p, double[] p0, int h, int w) { return at(excessRegion(p, p0, h, w)); }

    /** The ninth of the image where p exceeds p0 most: "bottom centre", "centre", "top left", … */
    public static String excessRegion(double[] p, double[] p0, int h, int w) {
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
        return best == 4 ? "centre" : rows[best / 3] + " " + cols[best % 3];
    }
}
