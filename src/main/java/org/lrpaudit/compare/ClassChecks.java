package org.lrpaudit.compare;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.lrpaudit.audit.ClassAggregates;
import org.lrpaudit.audit.Findings;
import org.lrpaudit.audit.spray.HeatmapVectors;
import org.lrpaudit.audit.spray.SpectralAnalysis;
import org.lrpaudit.compare.Thresholds.Kind;
import org.lrpaudit.output.Columns;

/**
 * The checks that compare two audits class by class from their aggregates alone (classes/, clusters/, findings/),
 * whatever images each run saw: where the evidence lies, how concentrated it is, the border and absorbed shares,
 * accuracy and prediction share, the findings and the SpRAy strategies.
 */
final class ClassChecks {
    /** Class-mean maps are compared at SpRAy's default resolution: where evidence lies, not pixel jitter. */
    static final int MAP_SIZE = 16;

    private final AuditOutput baseline, current;
    private final Thresholds thresholds;
    private final int height, width;

    ClassChecks(AuditOutput baseline, AuditOutput current, Thresholds thresholds, int height, int width) {
        this.baseline = baseline;
        this.current = current;
        this.thresholds = thresholds;
        this.height = height;
        this.width = width;
    }

    List<Check> run() {
        Map<Integer, Row> base = byTarget(baseline.classes()), cur = byTarget(current.classes());
        long baseTotal = total(baseline.classes()), curTotal = total(current.classes());
        List<Check> out = new ArrayList<>();
        for (int t : new TreeSet<>(union(base.keySet(), cur.keySet()))) {
            Row b = base.get(t), c = cur.get(t);
            String name = (c != null ? c : b).getString((c != null ? c : b).fieldIndex(Columns.TARGET_NAME));
            out.add(predictionShare(name, count(b) / (double) Math.max(1, baseTotal), count(c) / (double) Math.max(1, curTotal)));
            if (b == null || c == null) continue;
            double[] pb = positiveMap(b), pc = positiveMap(c);
            int[] hw = HeatmapVectors.shape(height, width, MAP_SIZE);
            double tv = totalVariation(pb, pc);
            out.add(Check.judged(name, Kind.EVIDENCE_SHIFT.id, tv, null, thresholds.limits(Kind.EVIDENCE_SHIFT, name), tv < 0.005
                    ? name + ": the class's mean positive relevance lies where the baseline's does" : String.format(Locale.ROOT,
                    "%s: %.0f%% of the class's mean positive relevance lies elsewhere than in the baseline, most of it %s", name, 100 * tv,
                    Findings.where(pc, pb, hw[0], hw[1]))));
            double topB = Findings.topShare(pb, 0.05), topC = Findings.topShare(pc, 0.05);
            out.add(Check.judged(name, Kind.CONCENTRATION.id, topC - topB, topB, thresholds.limits(Kind.CONCENTRATION, name), String.format(Locale.ROOT,
                    "%s: %.0f%% of the class's positive relevance falls in 5%% of the image (baseline %.0f%%), most of it %s", name, 100 * topC,
                    100 * topB, Findings.where(pc, new double[pc.length], hw[0], hw[1]))));
            increase(out, name, Kind.BORDER_SHARE, b, c, "mean_" + Columns.BORDER_SHARE, "of positive relevance lies in the 10% image border", false);
            increase(out, name, Kind.ABSORBED_SHARE, b, c, "mean_" + Columns.ABSORBED_SHARE, "of the logit is absorbed by biases and epsilon", true);
            if (!b.isNullAt(b.fieldIndex(ClassAggregates.ACCURACY)) && !c.isNullAt(c.fieldIndex(ClassAggregates.ACCURACY))) {
                double accB = b.getDouble(b.fieldIndex(ClassAggregates.ACCURACY)), accC = c.getDouble(c.fieldIndex(ClassAggregates.ACCURACY));
                out.add(Check.judged(name, Kind.ACCURACY.id, accB - accC, accB, thresholds.limits(Kind.ACCURACY, name), String.format(Locale.ROOT,
                        "%s: %.1f%% of its labelled images predicted correctly (baseline %.1f%%)", name, 100 * accC, 100 * accB)));
            }
            if (baseline.hasSpray() && current.hasSpray()) {
                out.add(newFindings(t, name));
                out.add(newStrategies(t, name));
            }
        }
        return out;
    }

    private Check predictionShare(String name, double before, double now) {
        return Check.judged(name, Kind.PREDICTION_SHARE.id, Math.abs(now - before), before, thresholds.limits(Kind.PREDICTION_SHARE, name),
                String.format(Locale.ROOT, "%s: %.1f%% of all explained images (baseline %.1f%%)", name, 100 * now, 100 * before));
    }

    private void increase(List<Check> out, String name, Kind kind, Row b, Row c, String column, String what, boolean eitherWay) {
        if (b.isNullAt(b.fieldIndex(column)) || c.isNullAt(c.fieldIndex(column))) return;
        double before = b.getDouble(b.fieldIndex(column)), now = c.getDouble(c.fieldIndex(column));
        out.add(Check.judged(name, kind.id, eitherWay ? Math.abs(now - before) : now - before, before, thresholds.limits(kind, name),
                String.format(Locale.ROOT, "%s: %.1f%% %s (baseline %.1f%%)", name, 100 * now, what, 100 * before)));
    }

    /** The strongest finding of the class that the baseline did not have at the same or a higher severity, by kind. */
    private Check newFindings(int target, String name) {
        Map<String, Double> before = strongestByKind(baseline.findings(), target), now = strongestByKind(current.findings(), target);
        double value = 0;
        Double baselineValue = null;
        String reason = name + ": no finding new or more severe than in the baseline";
        for (Row f : current.findings()) {
            if (f.getInt(f.fieldIndex(Columns.TARGET)) != target) continue;
            String kind = f.getString(f.fieldIndex(Findings.KIND));
            double score = f.getDouble(f.fieldIndex(Findings.SCORE));
            Double old = before.get(kind);
            if (score < now.get(kind) || (old != null && severity(old) >= severity(score)) || score <= value) continue;
            value = score;
            baselineValue = old;
            reason = String.format(Locale.ROOT, "%s %s (%s, %.2f; baseline %s): %s", old == null ? "new" : "more severe", kind,
                    f.getString(f.fieldIndex(Findings.SEVERITY)), score, old == null ? "none" : String.format(Locale.ROOT, "%.2f", old),
                    f.getString(f.fieldIndex(Findings.REASON)));
        }
        return Check.judged(name, Kind.FINDINGS.id, value, baselineValue, thresholds.limits(Kind.FINDINGS, name), reason);
    }

    private static Map<String, Double> strongestByKind(List<Row> findings, int target) {
        Map<String, Double> out = new HashMap<>();
        for (Row f : findings) {
            if (f.getInt(f.fieldIndex(Columns.TARGET)) == target) out.merge(f.getString(f.fieldIndex(Findings.KIND)), f.getDouble(f.fieldIndex(Findings.SCORE)), Math::max);
        }
        return out;
    }

    private static int severity(double score) { return score >= Findings.HIGH ? 2 : score >= Findings.MEDIUM ? 1 : 0; }

    /**
     * SpRAy clusters of the class matched to the baseline's by their mean R+ maps: a current cluster farther than the
     * match distance from every baseline cluster of the class is a strategy the baseline did not have.
     */
    private Check newStrategies(int target, String name) {
        List<Row> before = ofClass(baseline.clusters(), target), now = ofClass(current.clusters(), target);
        double match = thresholds.parameter(Thresholds.MATCH_DISTANCE), unmatched = 0, worst = -1;
        StringBuilder reason = new StringBuilder();
        for (Row c : now) {
            double[] p = Findings.vector(c);
            double nearest = Double.POSITIVE_INFINITY;
            int nearestCluster = -1;
            for (Row b : before) {
                double d = totalVariation(Findings.vector(b), p);
                if (d < nearest) { nearest = d; nearestCluster = b.getInt(b.fieldIndex(SpectralAnalysis.CLUSTER)); }
            }
            if (before.isEmpty() || nearest <= match) continue;
            double share = c.getDouble(c.fieldIndex(SpectralAnalysis.SHARE));
            unmatched += share;
            if (share > worst) {
                worst = share;
                int h = c.getInt(c.fieldIndex(SpectralAnalysis.VECTOR_HEIGHT)), w = c.getInt(c.fieldIndex(SpectralAnalysis.VECTOR_WIDTH));
                reason.setLength(0);
                reason.append(String.format(Locale.ROOT, "%s: cluster %d (%.0f%% of the class) has no counterpart in the baseline (nearest: "
                        + "baseline cluster %d, %.0f%% of its relevance elsewhere); its evidence lies most %s", name,
                        c.getInt(c.fieldIndex(SpectralAnalysis.CLUSTER)), 100 * share, nearestCluster, 100 * nearest,
                        Findings.where(p, Findings.vector(before.get(0)), h, w)));
            }
        }
        if (reason.isEmpty()) reason.append(before.isEmpty() || now.isEmpty() ? name + ": not clustered in one of the runs"
                : String.format(Locale.ROOT, "%s: each of its %d clusters has a counterpart in the baseline's %d", name, now.size(), before.size()));
        return Check.judged(name, Kind.NEW_STRATEGY.id, unmatched, null, thresholds.limits(Kind.NEW_STRATEGY, name), reason.toString());
    }

    private static List<Row> ofClass(List<Row> clusters, int target) {
        return clusters.stream().filter(r -> r.getInt(r.fieldIndex(Columns.TARGET)) == target).toList();
    }

    /** The class-mean R+ map (mean of max(R, 0) = (mean R + mean |R|) / 2), downsampled and summing to 1. */
    private double[] positiveMap(Row c) {
        List<Float> mean = c.getList(c.fieldIndex(ClassAggregates.MEAN_HEATMAP)), abs = c.getList(c.fieldIndex(ClassAggregates.MEAN_ABS_HEATMAP));
        float[] positive = new float[mean.size()];
        for (int i = 0; i < positive.length; i++) positive[i] = (mean.get(i) + abs.get(i)) / 2;
        if (positive.length != height * width) {
            throw new IllegalArgumentException("classes/ heatmaps hold " + positive.length + " values, not " + height + "x" + width);
        }
        return HeatmapVectors.of(positive, height, width, MAP_SIZE, HeatmapVectors.Normalisation.POSITIVE);
    }

    /** ½ Σ |p − q| of two maps that each sum to 1: the share of one that would have to move to look like the other. */
    static double totalVariation(double[] p, double[] q) {
        if (p.length != q.length) throw new IllegalArgumentException("maps of " + p.length + " and " + q.length + " cells");
        double d = 0;
        for (int i = 0; i < p.length; i++) d += Math.abs(p[i] - q[i]);
        return d / 2;
    }

    private static Map<Integer, Row> byTarget(List<Row> classes) {
        Map<Integer, Row> out = new HashMap<>();
        for (Row c : classes) out.put(c.getInt(c.fieldIndex(Columns.TARGET)), c);
        return out;
    }

    private static long total(List<Row> classes) { return classes.stream().mapToLong(ClassChecks::count).sum(); }

    private static long count(Row c) { return c == null ? 0 : c.getLong(c.fieldIndex(ClassAggregates.COUNT)); }

    private static <T> List<T> union(java.util.Collection<T> a, java.util.Collection<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
