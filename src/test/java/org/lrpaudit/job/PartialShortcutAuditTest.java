package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.audit.Findings;

/**
 * A partial shortcut (fixtures/partial-shortcut, python/fixtures/make_clever_hans.py --only partial): the Clever-Hans mark on
 * half the training shirts, so the model learns the mark and the garment. Predicted shirts on the fixture images are
 * marked shirts, marked other garments and unmarked shirts (and other garments mistaken for shirts). The audit must
 * name the strategies that look at the mark and where the mark is, and must not call the unmarked shirts the cheat.
 */
class PartialShortcutAuditTest extends SparkTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/partial-shortcut");
    static final int SHIRT = 6;
    @TempDir static Path tmp;
    static AuditJob.Result audit;
    /** Shirt cluster → {marked, unmarked} members. */
    static final Map<Integer, int[]> members = new TreeMap<>();

    @BeforeAll
    static void run() throws IOException {
        Map<String, Boolean> marks = new HashMap<>();
        for (String line : Files.readAllLines(FIXTURE.resolve("marks.csv")).subList(1, 401)) {
            String[] f = line.split(",");
            marks.put(f[0].substring("images/".length()), f[2].equals("1"));
        }
        audit = AuditJob.run(Requests.audit(org.lrpaudit.cli.Settings.parse(new String[] {"--model", FIXTURE.resolve("partial.onnx").toString(), "--input",
                FIXTURE.resolve("images").toString(), "--classes", FIXTURE.resolve("classes.txt").toString(), "--color", "gray", "--mean", "0.286",
                "--std", "0.353", "--output", tmp.resolve("partial").toString()})));
        audit.findings().forEach(f -> System.out.println("  " + f));
        for (Row r : spark.read().parquet(tmp.resolve("partial/image_clusters").toString()).where("target = " + SHIRT).collectAsList()) {
            members.computeIfAbsent(r.<Integer>getAs("cluster"), k -> new int[2])[marks.get(r.<String>getAs("image_id")) ? 0 : 1]++;
        }
        members.forEach((c, n) -> System.out.printf("shirt cluster %d: %d marked, %d unmarked%n", c, n[0], n[1]));
    }

    static boolean marked(int cluster) { return members.get(cluster)[0] > members.get(cluster)[1]; }

    @Test
    void theFixtureIsAPartialShortcut() {
        long markedImages = members.values().stream().mapToLong(n -> n[0]).sum(), unmarked = members.values().stream().mapToLong(n -> n[1]).sum();
        // both strategies present, the marked one the majority (the case where comparing with the largest cluster misleads)
        assertTrue(markedImages > unmarked && unmarked >= 30, markedImages + " marked, " + unmarked + " unmarked predicted shirts");
        assertTrue(members.keySet().stream().anyMatch(c -> !marked(c)), "no unmarked cluster: " + members);
        assertTrue(marked(0), "the largest shirt cluster is marked: " + members);
    }

    @Test
    void theTopFindingNamesTheMarkedClustersAndTheMarksRegion() {
        Findings.Finding top = audit.findings().get(0);
        assertEquals("shirt", top.targetName(), audit.findings().toString());
        assertTrue(top.cluster() != null && marked(top.cluster()), "the finding is about " + top.cluster() + ": " + members);
        assertEquals("bottom centre", top.region(), top.toString());
        // every marked cluster of more than a handful of images is named, and said to look at the mark's region
        List<Integer> markedClusters = members.entrySet().stream().filter(e -> marked(e.getKey()) && e.getValue()[0] + e.getValue()[1] >= 3)
                .map(Map.Entry::getKey).toList();
        assertTrue(top.clusters().containsAll(markedClusters), top.clusters() + " " + members);
        for (int c : top.clusters()) {
            Matcher said = Pattern.compile("cluster " + c + " \\(\\d+ images, \\d+%\\) looks more (at the [a-z ]+|in the centre) than").matcher(top.reason());
            assertTrue(said.find(), top.reason());
            assertEquals(marked(c), said.group(1).equals("at the bottom centre"), "cluster " + c + ": " + top.reason());
        }
        assertEquals(members.entrySet().stream().filter(e -> top.clusters().contains(e.getKey())).mapToLong(e -> e.getValue()[0] + e.getValue()[1]).sum(),
                top.images());
        List<Row> table = spark.read().parquet(tmp.resolve("partial/findings").toString()).orderBy("rank").collectAsList();
        assertEquals(top.clusters(), table.get(0).getList(table.get(0).fieldIndex(Findings.NAMED_CLUSTERS)));
        assertEquals(top.cluster(), table.get(0).<Integer>getAs("cluster"));
        assertEquals("bottom centre", table.get(0).getAs(Findings.REGION));
    }

    @Test
    void theUnmarkedClusterIsNotCalledTheCheat() {
        for (Findings.Finding f : audit.findings()) {
            if (f.target() != SHIRT) continue;
            assertTrue(f.cluster() == null || marked(f.cluster()), "a finding about an unmarked cluster: " + f + " " + members);
        }
    }

    /** Each named cluster's gallery sits right under its finding in the report. */
    @Test
    void theReportShowsTheNamedClustersUnderTheFinding() throws IOException {
        String html = Files.readString(tmp.resolve("partial/report/index.html"));
        int row = html.indexOf("<tr class=\"finding\""), galleries = html.indexOf("<tr class=\"finding-galleries\">"),
                next = html.indexOf("<tr class=\"finding\"", row + 1);
        assertTrue(row >= 0 && galleries > row && (next < 0 || galleries < next), "no gallery row right after the first finding");
        String under = html.substring(galleries, html.indexOf("</tr>", galleries));
        for (int c : audit.findings().get(0).clusters()) {
            assertTrue(under.contains("data-class=\"shirt\" data-cluster=\"" + c + "\""), "cluster " + c + " missing under the finding");
            assertTrue(under.contains("img/cluster-" + SHIRT + "-" + c + ".png"), "mean heatmap of cluster " + c);
            assertTrue(Files.exists(tmp.resolve("partial/report/img/cluster-" + SHIRT + "-" + c + ".png")));
        }
    }
}
