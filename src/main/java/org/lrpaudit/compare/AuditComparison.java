package org.lrpaudit.compare;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.lrpaudit.compare.Check.Status;
import org.lrpaudit.output.Columns;

/**
 * Compares a current audit with a baseline audit (two --output folders, any Hadoop path) and says what changed, check
 * by check, with a status a scheduler can act on:
 *
 * <pre>{@code
 * AuditComparison.Result r = AuditComparison.compare(spark, "audits/2026-11-25", "audits/2026-12-02", Thresholds.defaults(), false);
 * ComparisonOutput.write(spark, r, "audits/2026-12-02");
 * System.exit(r.exitCode(AuditComparison.FailOn.FAIL)); // 0 pass, 1 a check failed, 2 not comparable
 * }</pre>
 */
public final class AuditComparison {
    /** Exit codes: the comparison passed (warnings allowed unless failing on them), a check failed, not comparable or bad usage. */
    public static final int PASSED = 0, FAILED = 1, NOT_COMPARABLE = 2;

    /** Which status fails the gate. */
    public enum FailOn {
        FAIL, WARN;

        public static FailOn parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "fail" -> FAIL;
                case "warn" -> WARN;
                default -> throw new IllegalArgumentException("--fail-on must be fail or warn, got '" + s + "'");
            };
        }
    }

    /**
     * @param comparable whether the runs measure the same thing (else {@code problems} says why and, unless compared anyway,
     *                   no check was made)
     * @param notes      what the comparison could not do (e.g. SpRAy off in one run)
     */
    public record Result(String baseline, String current, String baselineRunId, String currentRunId, boolean comparable, boolean comparedAnyway,
                         List<String> problems, List<String> differences, List<String> notes, List<Check> checks, Thresholds thresholds) {

        /** The worst status of any check. */
        public Status status() { return checks.stream().map(Check::status).max(Comparator.naturalOrder()).orElse(Status.PASS); }

        public long count(Status s) { return checks.stream().filter(c -> c.status() == s).count(); }

        public int exitCode(FailOn failOn) {
            if (!comparable && !comparedAnyway) return NOT_COMPARABLE;
            Status worst = status();
            return worst == Status.FAIL || (worst == Status.WARN && failOn == FailOn.WARN) ? FAILED : PASSED;
        }

        /** The checks that warned or failed, worst first. */
        public List<Check> flagged() {
            return checks.stream().filter(c -> c.status() != Status.PASS)
                    .sorted(Comparator.comparing(Check::status).reversed().thenComparing(Comparator.comparingDouble(Check::value).reversed())).toList();
        }

        /** One line for a log or a console: the verdict and the counts. */
        public String headline(FailOn failOn) {
            if (!comparable && !comparedAnyway) return "NOT COMPARABLE: " + String.join("; ", problems);
            return String.format(Locale.ROOT, "%s: %d checks failed, %d warned, %d passed%s (exit %d)", status().name(), count(Status.FAIL),
                    count(Status.WARN), count(Status.PASS), comparable ? "" : ", compared although not comparable", exitCode(failOn));
        }
    }

    private AuditComparison() {}

    /**
     * Reads both audits, decides whether they are comparable and, if so (or if {@code anyway}), runs every check.
     * A folder that is not a finished audit is an IllegalArgumentException naming it.
     */
    public static Result compare(SparkSession spark, String baselinePath, String currentPath, Thresholds thresholds, boolean anyway) {
        AuditOutput baseline = AuditOutput.read(spark, baselinePath, "baseline"), current = AuditOutput.read(spark, currentPath, "current");
        int[] gb = geometry(baseline), gc = geometry(current);
        Comparability comparability = Comparability.of(baseline, current, gb, gc);
        List<String> notes = new ArrayList<>();
        List<Check> checks = new ArrayList<>();
        boolean sameGeometry = gb[0] == gc[0] && gb[1] == gc[1];
        if ((comparability.comparable() || anyway) && sameGeometry) {
            checks.addAll(new ClassChecks(baseline, current, thresholds, gc[0], gc[1]).run());
            if (!baseline.hasSpray() || !current.hasSpray()) notes.add("SpRAy was off in " + (baseline.hasSpray() ? "the current run" : "the baseline")
                    + ": the strategy and findings checks were not made");
            checks.addAll(SameImageChecks.run(baseline, current, thresholds, notes));
        } else if (anyway) {
            notes.add("heatmaps of different sizes cannot be compared: no check was made");
        }
        return new Result(baselinePath, currentPath, baseline.runId(), current.runId(), comparability.comparable(), anyway && !comparability.comparable(),
                comparability.problems(), comparability.differences(), notes, checks, thresholds);
    }

    /** Heatmap height and width, from one explained image. */
    private static int[] geometry(AuditOutput run) {
        List<Row> one = run.images().select(Columns.HEATMAP_HEIGHT, Columns.HEATMAP_WIDTH).limit(1).collectAsList();
        if (one.isEmpty()) throw new IllegalArgumentException(run.path() + " has no explained image to compare");
        return new int[] {one.get(0).getInt(0), one.get(0).getInt(1)};
    }

    /** The summary written as comparison.json. */
    public static Map<String, Object> summary(Result r, FailOn failOn) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", r.comparable() || r.comparedAnyway() ? r.status().label() : "not_comparable");
        out.put("exit_code", r.exitCode(failOn));
        out.put("fail_on", failOn.name().toLowerCase(Locale.ROOT));
        out.put("baseline", Map.of("path", r.baseline(), "run_id", r.baselineRunId()));
        out.put("current", Map.of("path", r.current(), "run_id", r.currentRunId()));
        out.put("comparable", r.comparable());
        out.put("not_comparable_because", r.problems());
        out.put("differences", r.differences());
        out.put("notes", r.notes());
        out.put("counts", Map.of("fail", r.count(Status.FAIL), "warn", r.count(Status.WARN), "pass", r.count(Status.PASS)));
        out.put("flagged", r.flagged().stream().map(c -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("class", c.className());
            m.put("check", c.check());
            m.put("status", c.status().label());
            m.put("value", c.value());
            m.put("baseline_value", c.baselineValue());
            m.put("warn_threshold", c.warnAt());
            m.put("fail_threshold", c.failAt());
            m.put("reason", c.reason());
            return m;
        }).toList());
        out.put("thresholds", r.thresholds().describe());
        return out;
    }
}
