package org.lrpaudit.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The comparison's arithmetic and its thresholds file, without Spark. */
class ThresholdsTest {
    @TempDir Path tmp;

    /** conf/compare-thresholds.example.properties lists every check and parameter with its default, so it stays true. */
    @Test
    void theExampleThresholdsFileHoldsTheDefaults() throws IOException {
        java.util.Properties example = new java.util.Properties();
        try (var in = Files.newBufferedReader(Path.of("conf/compare-thresholds.example.properties"))) {
            example.load(in);
        }
        Thresholds defaults = Thresholds.defaults();
        for (Thresholds.Kind k : Thresholds.Kind.values()) {
            assertEquals(defaults.limits(k, null).warn(), Double.parseDouble(example.getProperty(k.id + ".warn")), k.id + ".warn");
            assertEquals(defaults.limits(k, null).fail(), Double.parseDouble(example.getProperty(k.id + ".fail")), k.id + ".fail");
        }
        for (String p : List.of(Thresholds.MATCH_DISTANCE, Thresholds.CHANGED_CORRELATION)) {
            assertEquals(defaults.parameter(p), Double.parseDouble(example.getProperty(p)), p);
        }
        assertEquals(2 * Thresholds.Kind.values().length + 2, example.size(), "nothing else in the file");
        Thresholds.read(Path.of("conf/compare-thresholds.example.properties")); // and it reads as a thresholds file
    }

    @Test
    void rankCorrelationAndDistance() {
        assertEquals(1.0, SameImageChecks.spearman(new double[] {1, 2, 3, 4}, new double[] {10, 20, 30, 40}), 1e-12);
        assertEquals(-1.0, SameImageChecks.spearman(new double[] {1, 2, 3, 4}, new double[] {4, 3, 2, 1}), 1e-12);
        assertEquals(List.of(1.5, 1.5, 3.0), java.util.Arrays.stream(SameImageChecks.ranks(new double[] {0, 0, 5})).boxed().collect(Collectors.toList()));
        assertEquals(1.0, SameImageChecks.spearman(new double[] {0, 0}, new double[] {0, 0}));
        assertEquals(0.5, ClassChecks.totalVariation(new double[] {1, 0}, new double[] {0.5, 0.5}), 1e-12);
    }

    @Test
    void overridesApplyPerCheckAndPerClassAndTyposAreRefused() throws IOException {
        Path file = tmp.resolve("t.properties");
        Files.writeString(file, "evidence_shift.fail = 0.6\nevidence_shift.warn.trouser = 0.05\n");
        Thresholds t = Thresholds.read(file);
        assertEquals(new Thresholds.Limits(0.35, 0.6), t.limits(Thresholds.Kind.EVIDENCE_SHIFT, "bag"));
        assertEquals(new Thresholds.Limits(0.05, 0.6), t.limits(Thresholds.Kind.EVIDENCE_SHIFT, "trouser"));
        assertEquals(Check.Status.WARN, Check.judged("trouser", "evidence_shift", 0.1, null, t.limits(Thresholds.Kind.EVIDENCE_SHIFT, "trouser"), "").status());
        assertEquals(Check.Status.PASS, Check.judged("bag", "evidence_shift", 0.1, null, t.limits(Thresholds.Kind.EVIDENCE_SHIFT, "bag"), "").status());
        Files.writeString(file, "evidence_shift.fail = high\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Thresholds.read(file));
        assertTrue(e.getMessage().contains("must be a number"), e.getMessage());
    }
}
