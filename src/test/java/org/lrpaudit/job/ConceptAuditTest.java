package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.lrpaudit.audit.concepts.ConceptAudit;
import org.lrpaudit.model.OnnxImporter;

/**
 * --concept-layers on the Clever-Hans fixture (a "(c)" mark on every training trouser), explaining the label so that
 * the trouser class holds 50 marked and 50 unmarked trousers, which SpRAy separates into clusters (CleverHansAuditTest).
 * The concept tables are checked against what they must say (the mark's channel finds marked images) and against a
 * brute-force recomputation from images/ on the driver.
 */
class ConceptAuditTest extends SparkTest {
    static final Path FIXTURE = CleverHansAuditTest.FIXTURE;
    @TempDir static Path tmp;
    static Path out;
    static Map<String, Boolean> marks = new HashMap<>();
    static String layer;

    @BeforeAll
    static void audit() throws IOException {
        for (String line : Files.readAllLines(FIXTURE.resolve("marks.csv")).subList(1, 401)) {
            String[] f = line.split(",");
            marks.put(f[0].substring("images/".length()), f[2].equals("1"));
        }
        out = tmp.resolve("marked-label");
        CleverHansAuditTest.audit("marked.onnx", out, "--target", "label", "--concept-layers");
        var net = OnnxImporter.load(FIXTURE.resolve("marked.onnx"));
        layer = org.lrpaudit.lrp.ConceptLayers.names(net, org.lrpaudit.lrp.ConceptLayers.resolve("auto", net)).get(0);
    }

    /** cluster -> {marked, all} among the trousers. */
    static Map<Integer, int[]> trouserClusters() {
        Map<Integer, int[]> counts = new HashMap<>();
        for (Row r : spark.read().parquet(out.resolve("image_clusters").toString()).where("target = 1").collectAsList()) {
            int[] c = counts.computeIfAbsent(r.getAs("cluster"), k -> new int[2]);
            if (marks.get(r.<String>getAs("image_id"))) c[0]++;
            c[1]++;
        }
        return counts;
    }

    /** The channel a cluster uses most more than its class (largest share − class_share) in concepts/. */
    static int mostOverUsed(int cluster) {
        return spark.read().parquet(out.resolve("concepts").toString()).where("target = 1 and cluster = " + cluster + " and layer = '" + layer + "'")
                .collectAsList().stream().max(Comparator.comparingDouble(r -> r.<Double>getAs("share") - r.<Double>getAs("class_share")))
                .orElseThrow().<Integer>getAs("channel");
    }

    static List<String> references(int target, int channel) {
        return spark.read().parquet(out.resolve("concept_references").toString())
                .where("target = " + target + " and layer = '" + layer + "' and channel = " + channel).orderBy("rank").collectAsList()
                .stream().map(r -> r.<String>getAs("image_id")).toList();
    }

    @Test
    void theMarkedClustersChannelFindsMarkedImagesTheUnmarkedOnesDoesNot() {
        Map<Integer, int[]> clusters = trouserClusters();
        int markedCluster = -1, unmarkedCluster = -1;
        for (var e : clusters.entrySet()) { // the largest mostly-marked and the largest mostly-unmarked cluster
            int[] c = e.getValue();
            if (2 * c[0] > c[1] && (markedCluster < 0 || c[1] > clusters.get(markedCluster)[1])) markedCluster = e.getKey();
            if (2 * c[0] < c[1] && (unmarkedCluster < 0 || c[1] > clusters.get(unmarkedCluster)[1])) unmarkedCluster = e.getKey();
        }
        assertTrue(markedCluster >= 0 && unmarkedCluster >= 0, "SpRAy did not separate marked from unmarked trousers: " + describe(clusters));
        int marked = mostOverUsed(markedCluster), unmarked = mostOverUsed(unmarkedCluster);
        List<String> markedRefs = references(1, marked), unmarkedRefs = references(1, unmarked);
        assertEquals(8, markedRefs.size());
        assertEquals(8, unmarkedRefs.size());
        long a = markedRefs.stream().filter(marks::get).count(), b = unmarkedRefs.stream().filter(marks::get).count();
        System.out.printf("trouser clusters %s; marked cluster %d: channel %d, %d of 8 references marked; unmarked cluster %d: channel %d, %d of 8%n",
                describe(clusters), markedCluster, marked, a, unmarkedCluster, unmarked, b);
        assertTrue(a >= 6, a + " of the marked cluster's channel " + marked + " references are marked: " + markedRefs);
        assertTrue(b <= 4, b + " of the unmarked cluster's channel " + unmarked + " references are marked: " + unmarkedRefs);
        assertTrue(marked != unmarked);
    }

    private static String describe(Map<Integer, int[]> clusters) {
        StringBuilder s = new StringBuilder();
        clusters.forEach((k, v) -> s.append(k).append('=').append(v[0]).append('/').append(v[1]).append(' '));
        return s.toString().trim();
    }

    /**
     * The Spark aggregation against a brute force on the driver over images/: every reference list (overall and per
     * class) is the k best by the channel's relevance, ties by image id; the class profile's shares are the mean shares.
     */
    @Test
    void tablesEqualABruteForceOverImages() {
        List<Row> images = spark.read().parquet(out.resolve("images").toString()).select("image_id", "target", "concepts").collectAsList();
        assertEquals(400, images.size());
        Map<String, float[]> vectors = new HashMap<>();
        Map<String, Integer> targets = new HashMap<>();
        for (Row r : images) {
            Map<String, scala.collection.Seq<Float>> m = r.getJavaMap(2);
            assertEquals(List.of(layer), new ArrayList<>(m.keySet()));
            List<Float> v = scala.jdk.javaapi.CollectionConverters.asJava(m.get(layer));
            float[] f = new float[v.size()];
            for (int i = 0; i < f.length; i++) f[i] = v.get(i);
            vectors.put(r.getString(0), f);
            targets.put(r.getString(0), r.getInt(1));
        }
        int channels = vectors.values().iterator().next().length;
        assertTrue(channels >= 8, channels + " channels");
        Map<List<Object>, List<String>> stored = new HashMap<>();
        for (Row r : spark.read().parquet(out.resolve("concept_references").toString()).orderBy("rank").collectAsList()) {
            stored.computeIfAbsent(List.of(r.isNullAt(0) ? -1 : r.getInt(0), r.<Integer>getAs("channel")), k -> new ArrayList<>()).add(r.getAs("image_id"));
        }
        assertEquals((10 + 1) * channels, stored.size(), "one list per channel overall and per class");
        for (var e : stored.entrySet()) {
            int scope = (Integer) e.getKey().get(0), c = (Integer) e.getKey().get(1);
            List<String> expected = vectors.keySet().stream().filter(id -> scope < 0 || targets.get(id) == scope)
                    .sorted(Comparator.<String>comparingDouble(id -> -share(vectors.get(id), c)).thenComparing(id -> id)).limit(8).toList();
            assertEquals(expected, e.getValue(), "scope " + scope + " channel " + c);
        }
        // trouser's class profile: the mean of the images' positive-relevance shares
        double[] mean = new double[channels];
        int n = 0;
        for (var e : vectors.entrySet()) {
            if (targets.get(e.getKey()) != 1) continue;
            List<Float> v = new ArrayList<>();
            for (float x : e.getValue()) v.add(x);
            double[] s = ConceptAudit.shares(v);
            for (int c = 0; c < channels; c++) mean[c] += s[c];
            n++;
        }
        List<Row> profile = spark.read().parquet(out.resolve("concepts").toString()).where("target = 1 and cluster is null").collectAsList();
        assertFalse(profile.isEmpty());
        for (Row r : profile) {
            int c = r.getAs("channel");
            assertEquals(mean[c] / n, r.<Double>getAs("share"), 1e-9, "channel " + c);
            assertEquals((long) n, r.<Long>getAs("images"));
        }
    }

    /**
     * --baseline with an images/ written before the concepts column existed (simulated: the column dropped, the
     * manifest's concept_layers removed): a run without concept layers carries every image over, concepts null; a run
     * with them cannot use it (its vectors are missing) and explains every image.
     */
    @Test
    void aBaselineWithoutConceptsStillServes() throws IOException {
        Path old = tmp.resolve("older");
        spark.read().parquet(out.resolve("images").toString()).drop("concepts").write().parquet(old.resolve("images").toString());
        String manifest = Files.readString(out.resolve("_manifest.json"));
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(manifest);
        ((com.fasterxml.jackson.databind.node.ObjectNode) json.get("configuration")).remove("concept_layers");
        Files.writeString(old.resolve("_manifest.json"), json.toString());
        AuditJob.Result plain = CleverHansAuditTest.audit("marked.onnx", tmp.resolve("plain"), "--target", "label", "--baseline", old.toString());
        assertEquals(400, plain.carriedOver());
        assertEquals(400, spark.read().parquet(tmp.resolve("plain/images").toString()).where("concepts is null").count());
        AuditJob.Result with = CleverHansAuditTest.audit("marked.onnx", tmp.resolve("with"), "--target", "label", "--baseline", old.toString(),
                "--concept-layers", "auto");
        assertEquals(0, with.carriedOver());
        assertEquals(0, spark.read().parquet(tmp.resolve("with/images").toString()).where("concepts is null").count());
    }

    static double share(float[] v, int c) {
        double total = 0;
        for (float x : v) total += Math.max(0, x);
        return total > 0 ? Math.max(0, v[c]) / total : 0;
    }

    @Test
    void theReportShowsTheFlaggedClustersConcepts() throws IOException {
        String page = Files.readString(out.resolve("report/index.html"));
        assertTrue(page.contains("id=\"concepts\""), "no concept section");
        java.util.regex.Matcher img = java.util.regex.Pattern.compile("<img src=\"(img/concept-[^\"]+)\"").matcher(page);
        int shown = 0, inputs = 0;
        while (img.find()) {
            assertTrue(Files.isRegularFile(out.resolve("report").resolve(img.group(1))), img.group(1));
            shown++;
            if (img.group(1).contains("-input.")) inputs++;
        }
        assertTrue(shown > 0 && inputs * 2 == shown, shown + " concept images, " + inputs + " inputs: each reference shows input and heatmap");
        assertNotNull(spark.read().parquet(out.resolve("concepts").toString()).schema().apply("lift"));
    }
}
