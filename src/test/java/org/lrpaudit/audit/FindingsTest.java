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
import org.lrpaudit.output.Columns;

/** Findings on hand-made clusters/ and classes/ rows whose answers are known. */
class FindingsTest {
    static final int SIDE = 4;

    /** A clusters/ row whose mean positive map has the given mass per cell of a 4x4 grid. */
    static Row cluster(int target, String name, int cluster, long size, double share, double border, double... cells) {
        return cluster(SIDE, target, name, cluster, size, share, border, cells);
    }

    /** The same on a side x side grid. */
    static Row cluster(int side, int target, String name, int cluster, long size, double share, double border, double... cells) {
        Object[] v = new Object[ClusterTable.SCHEMA.size()];
        List<Double> vec = new ArrayList<>();
        for (double c : cells) vec.add(c);
        Object[] values = {target, name, cluster, size, share, 2, seq(List.of(0.0, 0.1, 0.5)), 0.4, "analysed", size, 1.0, border, 0.9, side,
                side, seq(Arrays.asList(new Float[side * side])), side, side, seq(vec)};
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
        List<Findings.Finding> f = new ClusterFindings(clusters).divergent();
        assertEquals(2, f.size(), f.toString());
        Findings.Finding a = f.get(0);
        assertEquals(1, a.cluster(), "the bottom row (4 cells) is more concentrated than the top half (8 cells)");
        assertEquals(List.of(0, 1), a.clusters());
        assertEquals(1.0, a.score(), 1e-12, "disjoint supports");
        assertEquals("bottom left", a.region(), "4x4 cells: columns 0-1 are the left third");
        // both sides are described, each by where it looks more than the other
        assertTrue(a.reason().contains("cluster 1 (28 images, 28%) looks more at the bottom left than cluster 0, 25% of its relevance"), a.reason());
        assertTrue(a.reason().contains("cluster 0 (70 images, 70%) looks more at the top left than cluster 1, 13% of its relevance"), a.reason());
        assertTrue(a.reason().contains("image border: cluster 1 50%, cluster 0 20%"), a.reason());
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

    /** A 6x6 map: {@code mark} of the mass on the two bottom-centre cells (row 5, columns 2-3), the rest on the central 4x4 block. */
    static double[] markAndObject(double mark) {
        double[] c = new double[36];
        c[5 * 6 + 2] = c[5 * 6 + 3] = mark / 2;
        for (int y = 1; y < 5; y++) for (int x = 1; x < 5; x++) c[y * 6 + x] += (1 - mark) / 16;
        return c;
    }

    /**
     * A partial shortcut: the marked images are the class's largest cluster (0) and a small one (2), the unmarked
     * images look at the object (1). The finding names the marked clusters together and the mark's region; the
     * unmarked cluster is described, never the subject of a finding.
     */
    @Test
    void aMarkedMajorityIsNamedAndTheUnmarkedMinorityIsNotCalledTheCheat() {
        List<Row> clusters = List.of(cluster(6, 0, "a", 0, 100, 1, 0.2, spread(36)), cluster(6, 1, "b", 0, 100, 1, 0.2, spread(36)),
                cluster(6, 2, "c", 0, 100, 1, 0.2, spread(36)),
                cluster(6, 3, "trouser", 0, 50, 0.5, 0.2, markAndObject(0.8)), cluster(6, 3, "trouser", 1, 40, 0.4, 0.2, markAndObject(0)),
                cluster(6, 3, "trouser", 2, 10, 0.1, 0.2, markAndObject(0.9)));
        List<Findings.Finding> f = Findings.of(List.of(), clusters);
        Findings.Finding top = f.get(0);
        assertEquals(Findings.CONCENTRATED, top.kind(), f.toString());
        assertEquals(List.of(0, 2), top.clusters());
        assertEquals(0, top.cluster());
        assertEquals("bottom centre", top.region());
        assertEquals(60, top.images());
        // 5% of 36 cells = 2 cells: (50·0.8 + 10·0.9)/60 of the pooled map; the median class 2/36
        assertEquals((50 * 0.8 + 10 * 0.9) / 60 - 2.0 / 36, top.score(), 1e-12);
        assertEquals(1, f.size(), "the divergence of 1 from 0 is said by the top finding; the class-level concentration too: " + f);
        assertTrue(top.reason().startsWith("clusters 0 and 2 of trouser (60 images, 60% of the class) look at a small fixed region at the bottom centre"),
                top.reason());
        assertTrue(top.reason().contains("cluster 1 (40 images, 40%) puts 13% there, most of its relevance in the centre"), top.reason());
        // the divergence is a candidate, about the concentrated side, with both sides described
        List<Findings.Finding> all = Findings.candidates(List.of(), clusters);
        Findings.Finding divergent = all.stream().filter(x -> x.kind().equals(Findings.DIVERGENT) && x.clusters().contains(1)).findFirst().orElseThrow();
        assertEquals(0, divergent.cluster());
        assertEquals(List.of(0, 1), divergent.clusters());
        assertEquals(0.8, divergent.score(), 1e-12);
        assertTrue(divergent.reason().contains("cluster 1 (40 images, 40%) looks more in the centre than cluster 0"), divergent.reason());
        Findings.Finding classLevel = all.stream().filter(x -> x.target() == 3 && x.cluster() == null).findFirst().orElseThrow();
        assertTrue(classLevel.score() >= Findings.MEDIUM && classLevel.score() < top.score(), classLevel.toString());
        assertTrue(f.stream().noneMatch(x -> x.target() == 3 && x.cluster() == null), f.toString());
    }

    /** Size does not hide a strategy: four images of a hundred that all look at one corner are named. */
    @Test
    void aSmallClusterOnAFixedSpotIsNamedWhateverItsSize() {
        List<Row> clusters = List.of(cluster(0, "a", 0, 100, 1, 0.2, spread()), cluster(1, "b", 0, 100, 1, 0.2, spread()),
                cluster(2, "c", 0, 96, 0.96, 0.2, spread()), cluster(2, "c", 1, 4, 0.04, 0.2, only(0)),
                cluster(3, "d", 0, 98, 0.98, 0.2, spread()), cluster(3, "d", 1, 2, 0.02, 0.2, only(0)));
        List<Findings.Finding> f = Findings.of(List.of(), clusters);
        Findings.Finding c = f.stream().filter(x -> x.kind().equals(Findings.CONCENTRATED)).findFirst().orElseThrow();
        assertEquals("c", c.targetName());
        assertEquals(List.of(1), c.clusters());
        assertEquals("top left", c.region());
        assertTrue(c.reason().startsWith("cluster 1 of c (4 images, 4% of the class) looks at a small fixed region at the top left: 100% of its"), c.reason());
        assertTrue(f.stream().noneMatch(x -> x.targetName().equals("d")), "two images are not a strategy: " + f);
    }

    @Test
    void aClusterLookingAtTheBorderIsNamed() {
        List<Row> classes = List.of(classRow(0, "a", 0.2), classRow(1, "b", 0.25), classRow(2, "c", 0.3));
        List<Row> clusters = List.of(cluster(0, "a", 0, 100, 1, 0.2, spread()), cluster(1, "b", 0, 100, 1, 0.25, spread()),
                cluster(2, "c", 0, 80, 0.8, 0.2, spread()), cluster(2, "c", 1, 20, 0.2, 0.7, spread()));
        List<Findings.Finding> f = Findings.of(classes, clusters);
        assertEquals(1, f.size(), f.toString());
        Findings.Finding c = f.get(0);
        assertEquals(Findings.BORDER, c.kind());
        assertEquals(List.of(1), c.clusters());
        assertEquals(0.7 - 0.25, c.score(), 1e-12);
        assertEquals("border", c.region());
        assertTrue(c.reason().contains("70% of its positive relevance lies in the 10% border, the median class has 25%; cluster 0 (80 images, 80%) 20%"),
                c.reason());
    }

    static double[] spread(int n) {
        double[] c = new double[n];
        Arrays.fill(c, 1.0 / n);
        return c;
    }

    /** A classes/ row with the given mean border share (the other columns as the findings do not read them). */
    static Row classRow(int target, String name, double border) {
        Object[] v = new Object[ClassAggregates.SCHEMA.size()];
        v[ClassAggregates.SCHEMA.fieldIndex(Columns.TARGET)] = target;
        v[ClassAggregates.SCHEMA.fieldIndex(Columns.TARGET_NAME)] = name;
        v[ClassAggregates.SCHEMA.fieldIndex(ClassAggregates.COUNT)] = 100L;
        v[ClassAggregates.SCHEMA.fieldIndex("mean_" + Columns.BORDER_SHARE)] = border;
        return new GenericRowWithSchema(v, ClassAggregates.SCHEMA);
    }
}
