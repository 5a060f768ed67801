package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.data.InputImages;
import org.lrpaudit.data.Preprocessing;
import org.lrpaudit.render.Report;

/**
 * The report's content on a real audit (the Clever-Hans fixture's marked CNN over a copy of its 400 images): inputs
 * beside the sampled heatmaps, a source that cannot be read again, the embedding view, the findings' links and the
 * run summary's tables.
 */
class ReportContentTest extends SparkTest {
    static final Path FIXTURE = CleverHansAuditTest.FIXTURE;
    static final Pattern MEMBER = Pattern.compile("<figure class=\"member\" data-image-id=\"([^\"]+)\"><div class=\"pair\">(.*?)</div>");
    @TempDir static Path tmp;
    static Path out, images;
    static AuditJob.Result result;
    static String html;

    @BeforeAll
    static void audit() throws IOException {
        images = tmp.resolve("images");
        try (Stream<Path> files = Files.walk(FIXTURE.resolve("images"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path to = images.resolve(FIXTURE.resolve("images").relativize(f).toString());
                Files.createDirectories(to.getParent());
                Files.copy(f, to);
            }
        }
        out = tmp.resolve("out");
        result = AuditJob.run(Requests.audit(Settings.parse(new String[] {"--model", FIXTURE.resolve("marked.onnx").toString(), "--input", images.toString(),
                "--classes", FIXTURE.resolve("classes.txt").toString(), "--color", "gray", "--mean", "0.286", "--std", "0.353",
                "--output", out.toString()})));
        html = Files.readString(out.resolve("report/index.html"));
    }

    /** The class sections (each cluster's full gallery), without the galleries repeated under the findings. */
    static String sections(String page) { return page.substring(page.indexOf("<section class=\"class\"")); }

    @Test
    void eachSampledHeatmapHasItsInputImageBesideIt() throws IOException {
        Map<String, Long> sizes = new HashMap<>();
        for (Row k : spark.read().parquet(out.resolve("clusters").toString()).collectAsList()) {
            sizes.put(k.<Integer>getAs("target") + "-" + k.<Integer>getAs("cluster"), k.<Long>getAs("size"));
        }
        Map<String, Integer> clusterOf = new HashMap<>();
        for (Row r : spark.read().parquet(out.resolve("image_clusters").toString()).collectAsList()) {
            clusterOf.put(r.getAs("image_id"), r.<Integer>getAs("target") * 100 + r.<Integer>getAs("cluster"));
        }
        Matcher m = MEMBER.matcher(sections(html));
        Map<Integer, Integer> shown = new HashMap<>();
        while (m.find()) {
            String id = m.group(1), pair = m.group(2);
            Matcher input = Pattern.compile("<img src=\"(img/input-[^\"]+)\"").matcher(pair), heatmap = Pattern.compile("<img src=\"(img/member-[^\"]+)\"").matcher(pair);
            assertTrue(input.find() && heatmap.find() && pair.indexOf(input.group()) < pair.indexOf(heatmap.group()), "no input beside " + id + ": " + pair);
            BufferedImage in = ImageIO.read(out.resolve("report").resolve(input.group(1)).toFile()),
                    hm = ImageIO.read(out.resolve("report").resolve(heatmap.group(1)).toFile());
            assertNotNull(in, input.group(1));
            assertEquals(hm.getWidth(), in.getWidth(), "input and heatmap at one scale");
            assertEquals(hm.getHeight(), in.getHeight());
            // the input is this image's: its pixels, upscaled as the heatmap is (28x28, gray, no resize: the file's own values)
            BufferedImage source = ImageIO.read(FIXTURE.resolve("images").resolve(id).toFile());
            int cell = in.getWidth() / source.getWidth();
            for (int y = 0; y < source.getHeight(); y++) {
                for (int x = 0; x < source.getWidth(); x++) {
                    assertEquals(source.getRaster().getSample(x, y, 0), in.getRaster().getSample(x * cell + cell / 2, y * cell + cell / 2, 0), id);
                }
            }
            shown.merge(clusterOf.get(id), 1, Integer::sum);
        }
        assertFalse(shown.isEmpty(), "no member figures");
        for (Map.Entry<String, Long> e : sizes.entrySet()) {
            String[] tc = e.getKey().split("-");
            assertEquals(Math.min(8, e.getValue()), (long) shown.getOrDefault(Integer.parseInt(tc[0]) * 100 + Integer.parseInt(tc[1]), 0),
                    "members shown of cluster " + e.getKey());
        }
    }

    /** A source deleted or overwritten after the run: the report is still written, that member's heatmap shown alone with a note. */
    @Test
    void anUnreadableSourceShowsTheHeatmapAloneWithANote() throws IOException {
        Matcher m = MEMBER.matcher(sections(html));
        assertTrue(m.find());
        String gone = m.group(1);
        assertTrue(m.find());
        String broken = m.group(1);
        Path copy = tmp.resolve("images-changed");
        // the run's sources are under images/: change them in place, after keeping a copy for nothing else to use
        Files.createDirectories(copy);
        Files.move(images.resolve(gone), copy.resolve("moved.png"));
        Files.write(images.resolve(broken), new byte[] {'n', 'o', 't'});
        try {
            List<Row> classes = spark.read().parquet(out.resolve("classes").toString()).orderBy("target").collectAsList();
            List<Row> clusters = spark.read().parquet(out.resolve("clusters").toString()).orderBy("target", "cluster").collectAsList();
            Preprocessing pre = new Preprocessing(Preprocessing.Color.GRAY, 28, 28, 0, new double[] {0.286}, new double[] {0.353});
            Path again = tmp.resolve("again");
            Report.write(spark.sparkContext().hadoopConfiguration(), again.toString(), Map.of(), classes, clusters, result.findings(),
                    DatasetAudit.samples(spark.read().parquet(out.resolve("images").toString()), out.toString(), 8, classes.size(),
                            InputImages.files(spark.sparkContext().hadoopConfiguration(), pre, 1_000_000)));
            String page = sections(Files.readString(again.resolve("report/index.html")));
            Map<String, String> pairs = new HashMap<>();
            for (Matcher p = MEMBER.matcher(page); p.find(); ) pairs.put(p.group(1), p.group(2));
            for (String[] expect : List.of(new String[] {gone, "no longer exists"}, new String[] {broken, "no longer decodes"})) {
                String pair = pairs.get(expect[0]);
                assertTrue(pair.contains("class=\"no-input\"") && pair.contains(expect[1]), pair);
                assertTrue(pair.contains("<img src=\"img/member-") && !pair.contains("img/input-"), "the heatmap alone: " + pair);
            }
            assertEquals(pairs.size() - 2, pairs.values().stream().filter(p -> p.contains("img/input-")).count(), "the other inputs are shown");
        } finally {
            Files.move(copy.resolve("moved.png"), images.resolve(gone));
        }
    }

    /** Per analysed class one point per image (400 images: none left out), in its cluster's colour, as in the legend and the gallery. */
    @Test
    void theEmbeddingViewHasOnePointPerSampledImageInItsClusterColour() {
        Map<String, Row> assigned = new HashMap<>();
        for (Row r : spark.read().parquet(out.resolve("image_clusters").toString()).collectAsList()) assigned.put(r.getAs("image_id"), r);
        Matcher svg = Pattern.compile("<svg class=\"embedding\" data-class=\"(\\d+)\".*?</svg>").matcher(html);
        Set<Integer> drawn = new HashSet<>();
        while (svg.find()) {
            int target = Integer.parseInt(svg.group(1));
            drawn.add(target);
            Map<Integer, String> colours = new HashMap<>();
            Matcher point = Pattern.compile("<circle class=\"point\" data-cluster=\"(\\d+)\" cx=\"[^\"]+\" cy=\"[^\"]+\" r=\"[^\"]+\" fill=\"([^\"]+)\"><title>(.*?) \\(cluster")
                    .matcher(svg.group());
            int points = 0;
            for (; point.find(); points++) {
                Row r = assigned.get(point.group(3));
                assertEquals(target, r.<Integer>getAs("target"), point.group(3));
                assertEquals(r.<Integer>getAs("cluster"), Integer.parseInt(point.group(1)), point.group(3));
                String before = colours.put(Integer.parseInt(point.group(1)), point.group(2));
                assertTrue(before == null || before.equals(point.group(2)), "one colour per cluster");
            }
            long members = assigned.values().stream().filter(r -> r.<Integer>getAs("target") == target).count();
            assertEquals(members, points, "class " + target);
            assertTrue(svg.group().contains(String.format("%d of %d images", members, members)), svg.group().substring(0, 300));
            assertEquals(colours.size(), new HashSet<>(colours.values()).size(), "clusters share a colour: " + colours);
            colours.forEach((c, colour) -> {
                assertTrue(svg.group().contains("fill=\"" + colour + "\"/><text x=\"") , "legend colour of cluster " + c);
                assertTrue(html.contains("id=\"cluster-" + target + "-" + c + "\"><span class=\"swatch\" style=\"background:" + colour + "\">"),
                        "gallery heading of cluster " + c + " in its colour");
            });
        }
        Set<Integer> analysed = new HashSet<>();
        for (Row k : spark.read().parquet(out.resolve("clusters").toString()).collectAsList()) {
            if (k.<String>getAs("status").equals("analysed")) analysed.add(k.getAs("target"));
        }
        assertFalse(analysed.isEmpty());
        assertEquals(analysed, drawn, "an embedding view per analysed class");
    }

    @Test
    void findingsLinkToTheirClustersGalleries() {
        assertFalse(result.findings().isEmpty());
        Set<String> ids = new HashSet<>();
        for (Matcher id = Pattern.compile(" id=\"([^\"]+)\"").matcher(html); id.find(); ) ids.add(id.group(1));
        int links = 0;
        for (Matcher href = Pattern.compile("href=\"#([^\"]+)\"").matcher(html); href.find(); links++) {
            assertTrue(ids.contains(href.group(1)), "a link to a missing anchor: #" + href.group(1));
        }
        assertTrue(links > 0);
        String table = html.substring(html.indexOf("<table id=\"findings\">"), html.indexOf("</table>", html.indexOf("<table id=\"findings\">")));
        for (var f : result.findings()) {
            if (f.cluster() != null) assertTrue(table.contains("<a href=\"#cluster-" + f.target() + "-" + f.cluster() + "\">"), f.toString());
            for (int c : f.clusters()) assertTrue(table.contains("href=\"#cluster-" + f.target() + "-" + c + "\""), "named cluster " + c + " of " + f);
            assertTrue(table.contains("<a href=\"#class-" + f.target() + "\">"), f.toString());
        }
    }

    @Test
    void theRunSummaryIsTables() {
        String summary = html.substring(html.indexOf("<h2>Run</h2>"), html.indexOf("<h2>Findings</h2>"));
        assertFalse(summary.contains("={") || summary.contains("{input=") || summary.contains("explained="), summary);
        for (String row : List.of("<th>input</th><td>400</td>", "<th>explained</th><td>400</td>", "<th>failed</th><td>0</td>")) {
            assertTrue(summary.substring(summary.indexOf("<table id=\"counts\">")).contains(row), row + " in " + summary);
        }
        String input = summary.substring(summary.indexOf("<table id=\"input\">"));
        assertTrue(input.contains("<th>path</th><td>" + images + "</td>") && input.contains("<th>format</th><td>images</td>"), input);
        assertTrue(summary.contains("<th>model SHA-256</th><td>"), summary);
    }
}
