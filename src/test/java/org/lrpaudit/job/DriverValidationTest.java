package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.lrpaudit.TestImages;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.model.ModelFormatException;

/** Mistakes a user can make are refused on the driver, before any task, with a message that names the fix. */
class DriverValidationTest extends SparkTest {
    @TempDir static Path tmp;
    static Path input;

    @BeforeAll
    static void sample() throws IOException {
        input = tmp.resolve("in");
        TestImages.copySample(input, 1);
    }

    static RuntimeException fails(String... args) {
        return assertThrows(RuntimeException.class, () -> AuditJob.run(Requests.audit(Settings.parse(args))));
    }

    static void assertMessage(RuntimeException e, String fragment) {
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void emptyInputFolder() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertMessage(fails("--config", TestImages.SAMPLE_CONFIG, "--input", empty.toString(), "--output", tmp.resolve("o1").toString()),
                "holds no files");
    }

    @Test
    void badSpectralAnalysisSettingsAreRefusedBeforeAnyTask() {
        Path out = tmp.resolve("spray-bad");
        assertMessage(fails("--config", TestImages.SAMPLE_CONFIG, "--input", input.toString(), "--output", out.toString(),
                "--spray-normalisation", "l2"), "--spray-normalisation abs|positive: 'l2' is not allowed; each heatmap sums to 1");
        assertMessage(fails("--config", TestImages.SAMPLE_CONFIG, "--input", input.toString(), "--output", out.toString(),
                "--spray-max-clusters", "1"), "at least 2");
        assertMessage(fails("--config", TestImages.SAMPLE_CONFIG, "--input", input.toString(), "--output", out.toString(), "--spray", "maybe"),
                "on or off");
        assertTrue(!Files.exists(out.resolve("images")), "a task ran before the settings were checked");
    }

    @Test
    void missingInput() {
        assertMessage(fails("--config", TestImages.SAMPLE_CONFIG, "--input", tmp.resolve("nope").toString(), "--output",
                tmp.resolve("o2").toString()), "does not exist");
    }

    @Test
    void existingOutputWithoutOverwrite() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(out.resolve("keep.txt"), "someone's file");
        assertMessage(fails("--config", TestImages.SAMPLE_CONFIG, "--input", input.toString(), "--output", out.toString()), "--overwrite");
        assertTrue(Files.exists(out.resolve("keep.txt")));
    }

    @Test
    void overwriteRemovesOnlyWhatTheJobWrites() throws IOException {
        Path out = tmp.resolve("again");
        String[] args = {"--config", TestImages.SAMPLE_CONFIG, "--input", input.toString(), "--output", out.toString()};
        AuditJob.run(Requests.audit(Settings.parse(args)));
        Files.writeString(out.resolve("notes.md"), "the user's own notes");
        String[] again = {"--config", TestImages.SAMPLE_CONFIG, "--input", input.toString(), "--output", out.toString(), "--overwrite"};
        AuditJob.run(Requests.audit(Settings.parse(again)));
        assertTrue(Files.exists(out.resolve("notes.md")));
        assertTrue(Files.exists(out.resolve("_manifest.json")));
    }

    @Test
    void outputPathWithGlobCharactersIsTakenLiterally() {
        Path out = tmp.resolve("run[1]{a,b}");
        AuditJob.Result r = AuditJob.run(Requests.audit(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG, "--input", input.toString(),
                "--output", out.toString()})));
        assertTrue(r.explained() == 10 && Files.exists(out.resolve("_manifest.json")), "explained " + r.explained());
    }

    @Test
    void unknownConfigKey() throws IOException {
        Path conf = tmp.resolve("bad.properties");
        Files.writeString(conf, "model = x.onnx\nbatchsize = 3\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Settings.parse(new String[] {"--config", conf.toString()}));
        assertMessage(e, "unknown key 'batchsize'");
        assertMessage(e, "batch-size");
    }

    @Test
    void unknownFlag() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Settings.parse(new String[] {"--modle", "x"}));
        assertMessage(e, "unknown option --modle");
        assertMessage(e, "--model");
    }

    @Test
    void badRuleSpec() {
        assertMessage(fails("--config", TestImages.SAMPLE_CONFIG, "--preset", "", "--rules", "0:zb;1-:gama=0.25", "--input", input.toString(),
                "--output", tmp.resolve("o3").toString()), "either --rules or --preset");
        Path conf = tmp.resolve("norules.properties");
        assertMessage(fails("--model", TestImages.SAMPLE.resolve("model.onnx").toString(), "--rules", "0:zb;1-:gama=0.25",
                "--input", input.toString(), "--output", tmp.resolve("o3").toString()), "unknown rule 'gama=0.25'");
    }

    @Test
    void missingOrBrokenModel() throws IOException {
        assertMessage(fails("--model", tmp.resolve("none.onnx").toString(), "--input", input.toString(), "--output",
                tmp.resolve("o4").toString()), "cannot read model file");
        Path junk = tmp.resolve("junk.onnx");
        Files.writeString(junk, "garbage");
        RuntimeException e = fails("--model", junk.toString(), "--input", input.toString(), "--output", tmp.resolve("o4").toString());
        assertTrue(e instanceof ModelFormatException, e.toString());
    }

    @Test
    void preprocessingThatDoesNotFitTheModel() {
        assertMessage(fails("--config", TestImages.SAMPLE_CONFIG, "--color", "rgb", "--input", input.toString(), "--output",
                tmp.resolve("o5").toString()), "set --color and --size to match");
        assertMessage(fails("--config", TestImages.SAMPLE_CONFIG, "--classes", "a,b,c", "--input", input.toString(), "--output",
                tmp.resolve("o6").toString()), "names 3 classes but the model has 10");
    }
}
