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
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrpaudit.SparkTest;
import org.lrpaudit.audit.Findings;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.render.HeadlessBrowser;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The audit's proof on a planted Clever Hans (src/test/resources/fixtures/clever-hans, python/fixtures/make_clever_hans.py):
 * a CNN trained with a "(c)" mark at the bottom edge of every trouser image, and the same CNN trained without it;
 * the same pair for a vision transformer (torchvision's VisionTransformer, 7x7 patches, explained with CP-LRP):
 * marked_vit.onnx, clean_vit.onnx. The finding tests run on both; the SpRAy, report and output tests on the CNN.
 */
class CleverHansAuditTest extends SparkTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/clever-hans");
    @TempDir static Path tmp;
    static AuditJob.Result marked, clean;
    /** The audit of each model by its file name without ".onnx": marked, clean, marked_vit, clean_vit. */
    static Map<String, AuditJob.Result> audits = new HashMap<>();
    static Map<String, Boolean> marks = new HashMap<>();

    static AuditJob.Result audit(String model, Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("--model", FIXTURE.resolve(model).toString(), "--input",
                FIXTURE.resolve("images").toString(), "--classes", FIXTURE.resolve("classes.txt").toString(), "--color", "gray",
                "--mean", "0.286", "--std", "0.353", "--output", out.toString()));
        args.addAll(List.of(extra));
        return AuditJob.run(Requests.audit(Settings.parse(args.toArray(new String[0]))));
    }

    @BeforeAll
    static void audits() throws IOException {
        for (String line : Files.readAllLines(FIXTURE.resolve("marks.csv")).subList(1, 401)) {
            String[] f = line.split(",");
            marks.put(f[0].substring("images/".length()), f[2].equals("1"));
        }
        for (String model : List.of("marked", "clean", "marked_vit", "clean_vit")) {
            AuditJob.Result result = audit(model + ".onnx", tmp.resolve(model));
            audits.put(model, result);
            System.out.println(model + ".onnx findings:");
            result.findings().forEach(f -> System.out.println("  " + f));
        }
        marked = audits.get("marked");
        clean = audits.get("clean");
    }

    /** "" = the CNN pair (marked, clean), "_vit" = the ViT pair (marked_vit, clean_vit). */
    @ParameterizedTest(name = "marked{0}")
    @ValueSource(strings = {"", "_vit"})
    void theMarkedClassIsTheTopFinding(String family) {
        AuditJob.Result result = audits.get("marked" + family);
        Findings.Finding top = result.findings().get(0);
        assertEquals("trouser", top.targetName(), result.findings().toString());
        assertEquals("high", top.severity(), top.toString());
        assertTrue(top.reason().contains("bottom"), top.reason());
        // one concentration finding for the class: about all its clusters, which cover it, or about the class
        assertEquals(1, result.findings().stream().filter(f -> f.target() == 1 && f.kind().equals(Findings.CONCENTRATED)).count(),
                result.findings().toString());
        List<Row> table = spark.read().parquet(tmp.resolve("marked" + family + "/findings").toString()).orderBy("rank").collectAsList();
        assertEquals(result.findings().size(), table.size());
        assertEquals("trouser", table.get(0).getAs("target_name"));
        assertEquals(1, (int) table.get(0).getAs("rank"));
    }

    @Test
    void theModelTrainedWithoutTheMarkRaisesNoSuchFinding() {
        assertTrue(clean.findings().stream().noneMatch(f -> f.targetName().equals("trouser")), clean.findings().toString());
        assertTrue(clean.findings().stream().noneMatch(f -> f.severity().equals("high")), clean.findings().toString());
    }

    /**
     * The ViT control. Unlike the CNN control it does raise a (medium) trouser finding: SpRAy puts a group of
     * unmarked trousers whose relevance sits at the bottom centre and the border into a cluster of its own, a
     * divergent_cluster finding (about that cluster, against the largest) ranked below other classes. What must not
     * appear is the shortcut: nothing high, no trouser finding on top, no concentrated relevance on trouser, and no
     * trouser cluster made of marked images.
     */
    @Test
    void theViTTrainedWithoutTheMarkRaisesNoSuchFinding() {
        List<Findings.Finding> findings = audits.get("clean_vit").findings();
        assertTrue(findings.stream().noneMatch(f -> f.severity().equals("high")), findings.toString());
        assertFalse(!findings.isEmpty() && findings.get(0).targetName().equals("trouser"), findings.toString());
        List<Findings.Finding> trouser = findings.stream().filter(f -> f.targetName().equals("trouser")).toList();
        assertTrue(trouser.stream().allMatch(f -> f.kind().equals("divergent_cluster") && f.cluster() != null), trouser.toString());
        for (Findings.Finding f : trouser) {
            int markedMembers = 0, members = 0, named = 0; // of the cluster the finding is about; of all it names
            for (Row r : spark.read().parquet(tmp.resolve("clean_vit/image_clusters").toString()).where("target = 1").collectAsList()) {
                int cluster = r.getAs("cluster");
                if (f.clusters().contains(cluster)) named++;
                if (cluster != f.cluster()) continue;
                members++;
                if (marks.get(r.<String>getAs("image_id"))) markedMembers++;
            }
            assertEquals(f.images(), named, f.toString());
            assertTrue(2 * markedMembers < members, markedMembers + " of " + members + " marked in " + f);
        }
    }

    /** Explaining the label, the trouser class holds 50 marked and 50 unmarked trousers: SpRAy must tell them apart. */
    @Test
    void sprayClustersSeparateMarkedFromUnmarkedTrousers() {
        Path out = tmp.resolve("marked-label");
        audit("marked.onnx", out, "--target", "label");
        Map<Integer, int[]> counts = new HashMap<>(); // cluster -> {marked, unmarked}
        for (Row r : spark.read().parquet(out.resolve("image_clusters").toString()).where("target = 1").collectAsList()) {
            Boolean m = marks.get(r.<String>getAs("image_id"));
            counts.computeIfAbsent(r.getAs("cluster"), k -> new int[2])[m ? 0 : 1]++;
        }
        int total = 0, majority = 0;
        for (int[] c : counts.values()) {
            total += c[0] + c[1];
            majority += Math.max(c[0], c[1]);
        }
        assertEquals(100, total);
        assertTrue(counts.size() >= 2, "one cluster only");
        double purity = (double) majority / total;
        System.out.printf("SpRAy purity on marked vs unmarked trousers: %.3f over %d clusters%n", purity, counts.size());
        assertTrue(purity >= 0.9, "purity " + purity + " " + counts.entrySet().stream().map(e -> e.getKey() + "=" + java.util.Arrays.toString(e.getValue())).toList());
    }

    /** The report in a real browser: it loads from disk, every heatmap decodes, the findings table leads with trouser. */
    @Test
    void theReportShowsTheFindingInABrowser() throws Exception {
        Path page = tmp.resolve("marked/report/index.html");
        HeadlessBrowser browser = HeadlessBrowser.find();
        String dom = browser.dom(page);
        Matcher loaded = Pattern.compile("data-images=\"(\\d+)\"").matcher(dom), decoded = Pattern.compile("data-images-loaded=\"(\\d+)\"").matcher(dom);
        assertTrue(loaded.find() && decoded.find(), "the page's load handler did not run");
        int images = Integer.parseInt(loaded.group(1));
        assertEquals(images, Integer.parseInt(decoded.group(1)), "heatmaps that did not decode");
        // a mean heatmap per class, one per cluster, at most 8 members per cluster each with its input; a finding's clusters are shown twice
        long clusters = spark.read().parquet(tmp.resolve("marked/clusters").toString()).count();
        Matcher src = Pattern.compile("<img src=\"(img/[^\"]+)\"").matcher(Files.readString(page));
        java.util.Set<String> files = new java.util.HashSet<>();
        int shown = 0;
        for (; src.find(); shown++) files.add(src.group(1));
        assertEquals(images, shown);
        assertTrue(files.size() >= 10 + clusters && files.size() <= 10 + 17 * clusters, files.size() + " images for " + clusters + " clusters");
        assertEquals(files.stream().filter(f -> f.startsWith("img/member-")).count(), files.stream().filter(f -> f.startsWith("img/input-")).count(),
                "an input image per member heatmap");
        for (String f : files) assertTrue(Files.isRegularFile(page.resolveSibling(f)), f);
        Matcher first = Pattern.compile("<tr class=\"finding\" data-class=\"([^\"]+)\"").matcher(dom);
        assertTrue(first.find(), "no findings table");
        assertEquals("trouser", first.group(1));
        for (String id : List.of("id=\"run\"", "id=\"findings\"", "id=\"classes\"", "class=\"eigenvalues\"", "class=\"embedding\"", "id=\"counts\"", "id=\"class-1\"")) {
            assertTrue(dom.contains(id), "missing " + id);
        }
        assertFalse(Pattern.compile("(src|href)=\"[a-z]+:").matcher(Files.readString(page)).find(), "the report must load nothing from elsewhere");
        Path shot = tmp.resolve("report.png");
        browser.screenshot(page, shot, 1280, 1600);
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(shot.toFile());
        assertEquals(1280, img.getWidth());
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 7) for (int x = 0; x < img.getWidth(); x += 7) colours.add(img.getRGB(x, y));
        assertTrue(colours.size() > 50, "a blank-looking screenshot: " + colours.size() + " colours");
    }

    @Test
    void everyOutputIsWrittenAndCounted() {
        for (String table : List.of("clusters", "image_clusters", "findings")) assertTrue(Files.isDirectory(tmp.resolve("marked").resolve(table)), table);
        long members = spark.read().parquet(tmp.resolve("marked/image_clusters").toString()).count();
        assertEquals(marked.explained(), members, "every explained image has a cluster");
        List<Row> clusters = spark.read().parquet(tmp.resolve("marked/clusters").toString()).collectAsList();
        Map<Integer, Long> sizes = new HashMap<>();
        for (Row c : clusters) sizes.merge(c.getAs("target"), c.<Long>getAs("size"), Long::sum);
        for (Row c : marked.classes()) assertEquals(c.<Long>getAs("count"), sizes.get(c.<Integer>getAs("target")), "cluster sizes add up");
        assertFalse(clusters.isEmpty());
    }
}
