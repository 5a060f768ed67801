package org.lrpaudit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.TestImages;

/** The command line as a user types it: describe, explain one image, and one-line errors with exit status 2. */
class MainTest {
    @TempDir Path tmp;
    final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    int run(String... args) {
        return Main.run(args, new PrintStream(out, true), new PrintStream(err, true));
    }

    @Test
    void describePrintsTheLayerTableWithRules() {
        assertEquals(0, run("describe", "--config", TestImages.SAMPLE_CONFIG));
        String s = out.toString();
        assertTrue(s.contains("zb") && s.contains("epsilon=0.25") && s.contains("avg (max as average)"), s);
        assertTrue(s.contains("52,138 parameters"), s);
        assertTrue(s.contains("memory at --batch-size 32") && s.contains("model weights   204 KB") && s.contains("for 32 images (measured"), s);
    }

    @Test
    void explainWritesAHeatmapAndReportsThePrediction() throws Exception {
        Path png = tmp.resolve("h.png");
        String image = TestImages.SAMPLE_IMAGES.resolve("ankle_boot/t10k-00000.png").toString();
        assertEquals(0, run("explain", "--config", TestImages.SAMPLE_CONFIG, "--image", image, "--heatmap", png.toString()), err.toString());
        assertTrue(out.toString().contains("predicted  9 ankle_boot"), out.toString());
        var img = ImageIO.read(png.toFile());
        assertEquals(224, img.getWidth());
    }

    @Test
    void errorsAreOneLineWithStatus2() throws Exception {
        assertEquals(2, run("describe", "--model", tmp.resolve("missing.onnx").toString()));
        assertTrue(err.toString().startsWith("lrp-audit: cannot read model file"), err.toString());
        Path junk = Files.writeString(tmp.resolve("x.png"), "no");
        err.reset();
        assertEquals(2, run("explain", "--config", TestImages.SAMPLE_CONFIG, "--image", junk.toString()));
        assertTrue(err.toString().contains("not an image"), err.toString());
        err.reset();
        assertEquals(2, run("describe", "--config", TestImages.SAMPLE_CONFIG, "--preset", "zennit"));
        assertTrue(err.toString().startsWith("lrp-audit: --preset NAME: 'zennit' is not allowed; rule preset: tutorial"), err.toString());
        assertEquals(2, run("frobnicate"));
    }
}
