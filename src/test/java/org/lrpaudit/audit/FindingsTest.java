package org.lrpaudit.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.junit.jupiter.api.Test;
import org.lrpaudit.audit.spray.ClusterTable;

/** Findings on hand-made clusters/ and classes/ rows whose answers are known. */
class FindingsTest {
    static final int SIDE = 4;

    /** A clusters/ row whose mean positive map has the given mass per cell of a 4x4 grid. */
    static Row cluster(int target, String name, int cluster, long size, double share, double border, double... cells) {
        Object[] v = new Object[ClusterTable.SCHEMA.size()];
        List<Double> vec = new ArrayList<>();
        for (double c : cells) vec.add(c);
        Object[] values = {target, name, cluster, size, share, 2, seq(List.of(0.0, 0.1, 0.5)), 0.4, "analysed", size, 1.0, border, 0.9, SIDE,
                SIDE, seq(Arrays.asList(new Float[SIDE * SIDE])), SIDE, SIDE, seq(vec)};
        System.arraycopy(values, 0, v, 0, v.length);
        return new GenericRowWithSchema(v, ClusterTable.SCHEMA);
    }

    /** Spark rows hold arrays as Scala sequences. */
    static <T> scala.collection.immutable.Seq<T> seq(List<T> list) { return scala.jdk.javaapi.CollectionConverters.asScala(list).toList(); }

    static double[] spread() {
        double[] c = new double[SIDE * SIDE];
        Arrays.fill(c, 1.0 / c.length);
        return c;
    }

    static double[] only(int cell) {
        double[] c = new double[SIDE * SIDE];
        c[cell] = 1;
        return c;
    }

    static double[] rows(int from, int to) {
        double[] c = new double[SIDE * SIDE];
        for (int i = from * SIDE; i < to * SIDE; i++) c[i] = 1.0 / ((to - from) * SIDE);
        return c;
    }

    @Test
    void aClassWhoseEvidenceSitsInOneSpotIsTheTopFinding() {
        List<Row> clusters = List.of(cluster(0, "a", 0, 100, 1, 0.2, spread()), cluster(1, "b", 0, 100, 1, 0.2, spread()),
                cluster(2, "c", 0, 100, 1, 0.2, spread()), cluster(3, "hans", 0, 100, 1, 0.6, only(15)));
        List<Findings.Finding> f = Findings.concentratedRelevance(clusters);
        Findings.Finding hans = f.stream().filter(x -> x.targetName().equals("hans")).findFirst().orElseThrow();
        // 5% of 16 cells = 1 cell: hans has all its evidence there, the median class 1/16
        assertEquals(1 - 1.0 / 16, hans.score(), 1e-12);
        assertEquals("high", hans.severity());
        assertTrue(hans.reason().contains("bottom right"), hans.reason());
        assertEquals(0, f.stream().filter(x -> !x.targetName().equals("hans")).mapToDouble(Findings.Finding::score).max().orElseThrow(), 1e-12);
    }

    @Test
    void aMinorityClusterLookingElsewhereIsScoredByTotalVariation() {
        List<Row> clusters = List.of(cluster(0, "a", 0, 70, 0.7, 0.2, rows(0, 2)), cluster(0, "a", 1, 28, 0.28, 0.5, rows(3, 4)),
                cluster(0, "a", 2, 2, 0.02, 0.5, only(0)), // two odd images are not a strategy: below 3 images
                cluster(1, "b", 0, 50, 0.5, 0.2, rows(0, 2)), cluster(1, "b", 1, 50, 0.5, 0.2, rows(0, 2)));
        List<Findings.Finding> f = Findings.divergentClusters(clusters);
        assertEquals(2, f.size(), f.toString());
        Findings.Finding a = f.get(0);
        assertEquals(1, a.cluster());
        assertEquals(1.0, a.score(), 1e-12, "disjoint supports");
        assertTrue(a.reason().contains("at the bottom"), a.reason());
        assertTrue(a.reason().contains("image border (main cluster 20%)"), a.reason());
        assertEquals(0.0, f.get(1).score(), 1e-12, "same map as the main cluster");
    }

    @Test
    void rankingKeepsOnlyReportableFindingsMostSuspiciousFirst() {
        List<Row> clusters = List.of(cluster(0, "a", 0, 100, 1, 0.2, spread()), cluster(1, "b", 0, 100, 1, 0.2, spread()),
                cluster(2, "c", 0, 60, 0.6, 0.2, rows(0, 2)), cluster(2, "c", 1, 40, 0.4, 0.2, rows(1, 3)),
                cluster(3, "hans", 0, 100, 1, 0.6, only(15)));
        List<Findings.Finding> f = Findings.of(List.of(), clusters);
        assertEquals(List.of("hans", "c"), f.stream().map(Findings.Finding::targetName).toList());
        assertEquals(0.5, f.get(1).score(), 1e-12);
        assertEquals("high", f.get(1).severity());
        List<Row> table = Findings.rows(f);
        assertEquals(1, (int) table.get(0).getInt(0));
        assertEquals(2, (int) table.get(1).getInt(0));
    }
}
