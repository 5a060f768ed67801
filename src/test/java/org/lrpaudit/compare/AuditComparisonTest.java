package org.lrpaudit.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.compare.Check.Status;
import org.lrpaudit.job.AuditJob;

/**
 * Comparisons of real audits of the Clever-Hans fixture (src/test/resources/fixtures/clever-hans): the clean CNN
 * against itself, against the same CNN retrained from another seed (ordinary retraining: must not fail the gate), and
 * against the CNN that learned the planted mark on trousers (must fail, naming trouser and why).
 */
class AuditComparisonTest extends SparkTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/clever-hans");
    @TempDir static Path tmp;

    static String run(String name, String model, String... extra) {
        List<String> args = new ArrayList<>(List.of("--model", FIXTURE.resolve(model).toString(), "--input", FIXTURE.resolve("images").toString(),
                "--classes", FIXTURE.resolve("classes.txt").toString(), "--color", "gray", "--mean", "0.286", "--std", "0.353",
                "--output", tmp.resolve(name).toString()));
        args.addAll(List.of(extra));
        AuditJob.run(Requests.audit(Settings.parse(args.toArray(new String[0]))));
        return tmp.resolve(name).toString();
    }

    static String clean, cleanAgain, seed2, marked, otherPreset;

    @BeforeAll
    static void audits() {
        clean = run("clean", "clean.onnx");
        cleanAgain = run("clean-again", "clean.onnx");
        seed2 = run("seed2", "clean_seed2.onnx");
        marked = run("marked", "marked.onnx");
        otherPreset = run("epsilon-plus", "clean.onnx", "--preset", "epsilon-plus", "--spray", "off");
    }

    static AuditComparison.Result compare(String baseline, String current) {
        AuditComparison.Result r = AuditComparison.compare(spark, baseline, current, Thresholds.defaults(), false);
        System.out.println(Path.of(baseline).getFileName() + " -> " + Path.of(current).getFileName() + ": " + r.headline(AuditComparison.FailOn.FAIL));
        r.checks().stream().sorted(java.util.Comparator.comparing(Check::check)).forEach(c -> System.out.println("  " + c));
        return r;
    }

    @Test
    void theSameModelOnTheSameImagesPassesWithNothingWarned() {
        AuditComparison.Result r = compare(clean, cleanAgain);
        assertTrue(r.comparable(), r.problems().toString());
        assertEquals(List.of(), r.flagged());
        assertEquals(0, r.exitCode(AuditComparison.FailOn.WARN));
        Check flips = r.checks().stream().filter(c -> c.className() == null && c.check().equals("prediction_flips")).findFirst().orElseThrow();
        assertEquals(0.0, flips.value(), "a rerun flips no prediction");
        assertTrue(r.differences().stream().noneMatch(d -> d.startsWith("model")), r.differences().toString());
    }

    @Test
    void aModelRetrainedFromAnotherSeedDoesNotFail() {
        AuditComparison.Result r = compare(clean, seed2);
        assertTrue(r.comparable(), r.problems().toString());
        assertEquals(0, r.count(Status.FAIL), r.flagged().toString());
        assertEquals(0, r.exitCode(AuditComparison.FailOn.FAIL));
        assertTrue(r.differences().stream().anyMatch(d -> d.startsWith("model (SHA-256)")), r.differences().toString());
        assertTrue(r.checks().stream().anyMatch(c -> c.check().equals("prediction_flips") && c.value() > 0), "another seed flips some predictions");
    }

    @Test
    void theCleverHansModelFailsOnTroserWithTheReason() {
        AuditComparison.Result r = compare(clean, marked);
        assertEquals(1, r.exitCode(AuditComparison.FailOn.FAIL));
        List<Check> failed = r.checks().stream().filter(c -> c.status() == Status.FAIL).toList();
        assertEquals("trouser", r.flagged().get(0).className(), r.flagged().toString());
        assertTrue(failed.stream().anyMatch(c -> "trouser".equals(c.className()) && c.check().equals("concentration_increase")
                && c.reason().contains("bottom")), failed.toString());
        assertTrue(failed.stream().anyMatch(c -> "trouser".equals(c.className()) && (c.check().equals("new_strategy") || c.check().equals("new_finding"))),
                failed.toString());
    }

    @Test
    void anotherPresetIsNotComparable() {
        AuditComparison.Result r = compare(clean, otherPreset);
        assertFalse(r.comparable());
        assertEquals(2, r.exitCode(AuditComparison.FailOn.FAIL));
        assertTrue(r.problems().stream().anyMatch(p -> p.startsWith("rules")), r.problems().toString());
        assertTrue(r.checks().isEmpty(), "no check made without --compare-anyway");
        AuditComparison.Result anyway = AuditComparison.compare(spark, clean, otherPreset, Thresholds.defaults(), true);
        assertFalse(anyway.checks().isEmpty());
        assertTrue(anyway.notes().stream().anyMatch(n -> n.contains("SpRAy was off")), anyway.notes().toString());
        assertTrue(anyway.headline(AuditComparison.FailOn.FAIL).contains("compared although not comparable"));
    }

    @Test
    void theCommandWritesTheTableTheSummaryAndThePageAndExitsWithTheGate() throws IOException {
        Path thresholds = tmp.resolve("thresholds.properties");
        Files.writeString(thresholds, "concentration_increase.fail.trouser = 0.99\nconcentration_increase.warn.trouser = 0.98\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        String dir = tmp.resolve("gate").toString();
        int code = org.lrpaudit.cli.MainAccess.run(new String[] {"compare", "--baseline", clean, "--current", marked, "--output", dir,
                "--thresholds", thresholds.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String console = out.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, console + err);
        assertTrue(console.contains("FAIL"), console);
        List<Row> table = spark.read().parquet(dir + "/comparison").collectAsList();
        Row concentration = table.stream().filter(r -> "trouser".equals(r.getAs("class")) && r.getAs("check").equals("concentration_increase"))
                .findFirst().orElseThrow();
        assertEquals(0.99, concentration.<Double>getAs("fail_threshold"), "the per-class override applies");
        assertEquals("pass", concentration.getAs("status"));
        Row other = table.stream().filter(r -> "bag".equals(r.getAs("class")) && r.getAs("check").equals("concentration_increase")).findFirst().orElseThrow();
        assertEquals(Thresholds.Kind.CONCENTRATION.fail, other.<Double>getAs("fail_threshold"), "other classes keep the default");
        JsonNode summary = new ObjectMapper().readTree(Path.of(dir, "comparison.json").toFile());
        assertEquals("fail", summary.at("/status").asText());
        assertEquals(1, summary.at("/exit_code").asInt());
        assertEquals(table.stream().filter(r -> r.getAs("status").equals("fail")).count(), summary.at("/counts/fail").asLong());
        String page = Files.readString(Path.of(dir, "comparison.html"));
        assertTrue(page.contains("data-class=\"trouser\""), "the page shows trouser side by side");
        assertTrue(page.contains("data:image/png;base64,"), "with its heatmaps inline");

        Files.writeString(thresholds, "evidence_shift.fial = 0.3\n");
        code = org.lrpaudit.cli.MainAccess.run(new String[] {"compare", "--baseline", clean, "--current", marked, "--output", dir, "--thresholds",
                thresholds.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown key 'evidence_shift.fial'"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aFolderThatIsNoAuditIsNamed() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> AuditComparison.compare(spark, tmp.resolve("nothing").toString(), clean, Thresholds.defaults(), false));
        assertTrue(e.getMessage().contains("--baseline") && e.getMessage().contains("_manifest.json"), e.getMessage());
    }
}
