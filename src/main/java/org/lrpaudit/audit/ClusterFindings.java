package org.lrpaudit.audit;

import static org.lrpaudit.audit.Findings.MEDIUM;
import static org.lrpaudit.audit.Findings.TOP;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.lrpaudit.audit.Findings.Finding;
import org.lrpaudit.audit.spray.ClusterTable;
import org.lrpaudit.audit.spray.SpectralAnalysis;
import org.lrpaudit.output.Columns;

/**
 * Findings about SpRAy clusters, each cluster being one prediction strategy of its class. A strategy is judged by
 * what it looks at — its region and how concentrated its evidence is — not by its size: when most images of a class
 * carry a mark, the mark's clusters are the largest, and comparing every cluster with the largest one would call the
 * honest minority the odd one out. Only classes SpRAy split into two or more clusters are judged here; a class of
 * one cluster is covered by the class-level findings.
 */
final class ClusterFindings {
    /** A cluster of clusters/: its mean R⁺ map (summing to 1) and what the findings say about it. */
    record Strategy(int target, String name, int cluster, long size, double share, double[] p, int h, int w, double border, Double agreement) {
        double concentration() { return Findings.topShare(p, TOP); }

        /** Where its most relevant 5% of the image lies. */
        String hotRegion() { return Findings.region(Findings.top(p, TOP), h, w); }

        /** Fewer images than this are a handful of odd images, not a strategy. */
        boolean counts() { return size >= 3; }

        String label() { return String.format(Locale.ROOT, "cluster %d (%d images, %.0f%%)", cluster, size, 100 * share); }
    }

    /** Per target class in order, its clusters in order (cluster 0 = the largest). */
    private final Map<Integer, List<Strategy>> classes = new TreeMap<>();

    ClusterFindings(List<Row> clusters) {
        for (Row c : clusters) {
            int agreement = c.fieldIndex(ClusterTable.LABEL_AGREEMENT);
            Strategy s = new Strategy(c.getInt(c.fieldIndex(Columns.TARGET)), c.getString(c.fieldIndex(Columns.TARGET_NAME)),
                    c.getInt(c.fieldIndex(SpectralAnalysis.CLUSTER)), c.getLong(c.fieldIndex(SpectralAnalysis.SIZE)),
                    c.getDouble(c.fieldIndex(SpectralAnalysis.SHARE)), Findings.vector(c), c.getInt(c.fieldIndex(SpectralAnalysis.VECTOR_HEIGHT)),
                    c.getInt(c.fieldIndex(SpectralAnalysis.VECTOR_WIDTH)), c.getDouble(c.fieldIndex(ClusterTable.MEAN_BORDER_SHARE)),
                    c.isNullAt(agreement) ? null : c.getDouble(agreement));
            classes.computeIfAbsent(s.target(), k -> new ArrayList<>()).add(s);
        }
        classes.values().removeIf(l -> l.size() < 2);
    }

    /**
     * Clusters whose evidence sits in a small fixed region: the share of their mean R⁺ in its top 5%, minus the median
     * class's. Clusters of one class concentrating on the same region are one finding (one strategy split by SpRAy).
     */
    List<Finding> concentrated(double median) {
        List<Finding> out = new ArrayList<>();
        for (List<Strategy> own : classes.values()) {
            Map<String, List<Strategy>> byRegion = new LinkedHashMap<>();
            for (Strategy s : own) {
                if (s.counts() && s.concentration() - median >= MEDIUM) byRegion.computeIfAbsent(s.hotRegion(), k -> new ArrayList<>()).add(s);
            }
            for (var e : byRegion.entrySet()) {
                List<Strategy> group = e.getValue();
                double[] p = pooled(group);
                double share = Findings.topShare(p, TOP);
                StringBuilder reason = new StringBuilder(String.format(Locale.ROOT,
                        "%s %s at a small fixed region %s: %.0f%% of %s positive relevance falls in 5%% of the image (%d of %d cells); "
                                + "the median class puts %.0f%% there", names(group), look(group), Findings.at(e.getKey()), 100 * share,
                        group.size() == 1 ? "its" : "their", Findings.cells(p.length, TOP), p.length, 100 * median));
                for (Strategy s : own) {
                    if (group.contains(s)) continue;
                    reason.append(String.format(Locale.ROOT, "; %s puts %.0f%% there, most of its relevance %s", s.label(), 100 * s.concentration(),
                            Findings.where(s.p(), new double[s.p().length], s.h(), s.w())));
                }
                out.add(finding(group, Findings.CONCENTRATED, share - median, e.getKey(), reason.toString()));
            }
        }
        return out;
    }

    /** Clusters with more positive relevance in the 10% border than the median class, by the excess (one finding per class). */
    List<Finding> border(double median) {
        List<Finding> out = new ArrayList<>();
        for (List<Strategy> own : classes.values()) {
            List<Strategy> group = own.stream().filter(s -> s.counts() && s.border() - median >= MEDIUM).toList();
            if (group.isEmpty()) continue;
            double border = group.stream().mapToDouble(s -> s.size() * s.border()).sum() / images(group);
            StringBuilder reason = new StringBuilder(String.format(Locale.ROOT,
                    "%s %s at the image border: %.0f%% of %s positive relevance lies in the 10%% border, the median class has %.0f%%",
                    names(group), look(group), 100 * border, group.size() == 1 ? "its" : "their", 100 * median));
            for (Strategy s : own) {
                if (!group.contains(s)) reason.append(String.format(Locale.ROOT, "; %s %.0f%%", s.label(), 100 * s.border()));
            }
            out.add(finding(group, Findings.BORDER, border - median, "border", reason.toString()));
        }
        return out;
    }

    /**
     * Each other cluster of a class against its largest: the total-variation distance ½Σ|p − q| between their mean
     * R⁺ maps, the share of relevance that would have to move to turn one into the other. Stated for both sides —
     * where each looks more than the other and how concentrated it is — and about the more concentrated side, the
     * likelier shortcut, whichever is larger. Every pair instead of pairs with the largest was tried: on the clean
     * ViT control it raised a trouser finding (0.44) about a cluster of marked and unmarked trousers; more pairs,
     * more divergences by chance.
     */
    List<Finding> divergent() {
        List<Finding> out = new ArrayList<>();
        for (List<Strategy> own : classes.values()) {
            Strategy main = own.get(0);
            long classSize = Math.round(main.size() / main.share());
            for (Strategy s : own.subList(1, own.size())) {
                if (s.counts() && s.size() >= 0.02 * classSize) out.add(pair(main, s)); // a handful of odd images is not a strategy
            }
        }
        return out;
    }

    private static Finding pair(Strategy a, Strategy b) {
        double tv = 0;
        for (int i = 0; i < a.p().length; i++) tv += Math.abs(a.p()[i] - b.p()[i]);
        tv /= 2;
        Strategy named = b.concentration() > a.concentration() ? b : a, other = named == b ? a : b;
        String region = Findings.excessRegion(named.p(), other.p(), named.h(), named.w());
        StringBuilder reason = new StringBuilder(String.format(Locale.ROOT,
                "clusters %d and %d of %s look at different places (%.0f%% of the relevance would have to move to turn one map into "
                        + "the other): %s; %s", a.cluster(), b.cluster(), a.name(), 100 * tv, side(named, other, region),
                side(other, named, Findings.excessRegion(other.p(), named.p(), other.h(), other.w()))));
        if (Math.abs(named.border() - other.border()) > 0.1) {
            reason.append(String.format(Locale.ROOT, "; image border: cluster %d %.0f%%, cluster %d %.0f%% of the positive relevance",
                    named.cluster(), 100 * named.border(), other.cluster(), 100 * other.border()));
        }
        for (Strategy x : List.of(named, other)) {
            if (x.agreement() != null && x.agreement() < 0.9) {
                reason.append(String.format(Locale.ROOT, "; %.0f%% of cluster %d's labelled images belong to other classes",
                        100 * (1 - x.agreement()), x.cluster()));
            }
        }
        return new Finding(a.target(), a.name(), named.cluster(), List.of(a.cluster(), b.cluster()), Findings.DIVERGENT, tv,
                a.size() + b.size(), region, reason.toString());
    }

    private static String side(Strategy s, Strategy other, String region) {
        return String.format(Locale.ROOT, "%s looks more %s than cluster %d, %.0f%% of its relevance in 5%% of the image", s.label(),
                Findings.at(region), other.cluster(), 100 * s.concentration());
    }

    private static Finding finding(List<Strategy> group, String kind, double score, String region, String reason) {
        Strategy first = group.get(0);
        return new Finding(first.target(), first.name(), first.cluster(), group.stream().map(Strategy::cluster).toList(), kind, score,
                images(group), region, reason);
    }

    /** "cluster 2 of bag (12 images, 30% of the class)", "clusters 0 and 2 of trouser (60 images, 70% of the class)". */
    private static String names(List<Strategy> group) {
        List<String> numbers = group.stream().map(s -> String.valueOf(s.cluster())).toList();
        String list = numbers.size() == 1 ? "cluster " + numbers.get(0)
                : "clusters " + String.join(", ", numbers.subList(0, numbers.size() - 1)) + " and " + numbers.get(numbers.size() - 1);
        double share = group.stream().mapToDouble(Strategy::share).sum();
        return String.format(Locale.ROOT, "%s of %s (%d images, %.0f%% of the class)", list, group.get(0).name(), images(group), 100 * share);
    }

    private static String look(List<Strategy> group) { return group.size() == 1 ? "looks" : "look"; }

    private static long images(List<Strategy> group) { return group.stream().mapToLong(Strategy::size).sum(); }

    /** The group's mean R⁺ map, each cluster weighted by its size. */
    private static double[] pooled(List<Strategy> group) {
        double[] p = new double[group.get(0).p().length];
        for (Strategy s : group) for (int i = 0; i < p.length; i++) p[i] += s.size() * s.p()[i] / images(group);
        return p;
    }
}
