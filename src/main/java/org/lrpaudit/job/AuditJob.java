package org.lrpaudit.job;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.lrpaudit.audit.ClassAggregates;
import org.lrpaudit.audit.Findings;
import org.lrpaudit.output.FaithfulnessColumns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch job: validates everything it can on the driver (model, rules, preprocessing, input, output) before any
 * task runs, explains the dataset, and writes images/, errors/, classes/ and _manifest.json under --output.
 */
public final class AuditJob {
    private static final Logger log = LoggerFactory.getLogger(AuditJob.class);
    /** What the job writes; --overwrite removes these and nothing else. */
    static final List<String> OUTPUTS = List.of("images", "errors", "classes", "clusters", "image_clusters", "findings", "report",
            "_manifest.json", ChunkedExplain.DIR, FaithfulnessColumns.DIR, "concepts", "concept_references");
    /** What `compare` may have written beside them (compare.ComparisonOutput.OUTPUTS): stale once the audit is replaced. */
    static final List<String> COMPARISON_OUTPUTS = List.of("comparison", "comparison.json", "comparison.html");
    /** The phase that decodes, explains and writes images/: the job's per-image cost. */
    public static final String EXPLAIN_PHASE = "explain and images/";
    static final List<String> SPRAY_OUTPUTS = List.of("clusters", "image_clusters", "findings");

    /** Where the outputs went and what they hold. */
    public record Result(String output, long input, long explained, long failed, Double accuracy, Duration duration,
                         List<Row> classes, List<Findings.Finding> findings, String report, Map<String, Double> phaseSeconds,
                         long carriedOver) {}

    private AuditJob() {}

    public static Result run(AuditRequest request) { return run(request, FailureCollector.DEFAULT_CAP); }

    /** @param failureCap failures kept on the driver for errors/; beyond it errors/ is written by a second pass */
    static Result run(AuditRequest request, int failureCap) {
        try (AuditRun run = new AuditRun(request, failureCap)) { // validates and lists before any task runs
            run.explain();
            run.aggregateClasses();
            run.auditDataset();
            run.measureFaithfulness();
            return run.finish();
        }
    }

    /** Accuracy over all labelled images, from the per-class counts already in classes/ (no second pass over images/). */
    static Double overallAccuracy(List<Row> classes) {
        long labelled = 0;
        double correct = 0;
        for (Row c : classes) {
            long n = c.getLong(c.fieldIndex(ClassAggregates.LABELLED));
            if (n == 0) continue;
            labelled += n;
            correct += n * c.getDouble(c.fieldIndex(ClassAggregates.ACCURACY));
        }
        return labelled == 0 ? null : correct / labelled;
    }

    /** @param master the Spark master when the launcher sets none (null: spark-submit's, else local[*]) */
    public static SparkSession session(String master) { return SparkSession.builder().config(sessionConf(master)).getOrCreate(); }

    /** Honours spark-submit's master and settings; defaults to local[*] for a run on one machine. */
    static SparkConf sessionConf(String master) {
        SparkConf conf = new SparkConf();
        if (master != null) conf.setMaster(master);
        else if (!conf.contains("spark.master")) conf.setMaster("local[*]");
        conf.setIfMissing("spark.app.name", "lrp-audit");
        if (conf.get("spark.master").startsWith("local")) { // one machine: stay on loopback
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        SESSION_DEFAULTS.forEach(conf::setIfMissing);
        return conf;
    }

    /**
     * Settings the job's session starts with unless the user sets them. The job adds no artifacts (classes or jars) to
     * a session, so Spark 4's per-session artifact isolation buys nothing and costs a class loader per session on
     * each executor that asks the driver over RPC for every class name Janino looks up while compiling generated
     * code: 2.6% of the task threads' wall time on the bundled sample, 0 without it (PySpark turns it off too).
     */
    public static final Map<String, String> SESSION_DEFAULTS = Map.of("spark.ui.showConsoleProgress", "false",
            "spark.sql.artifact.isolation.enabled", "false");

    /**
     * Refuses, before anything is listed or removed: an output another run is writing (its lock is live), a file, and
     * an existing, non-empty output without --overwrite. The run removes a previous run's files once it holds the lock.
     */
    static void prepareOutput(Configuration conf, String output, boolean overwrite) {
        Path dir = new Path(output);
        try {
            FileSystem fs = dir.getFileSystem(conf);
            if (fs.exists(dir)) {
                if (!fs.getFileStatus(dir).isDirectory()) throw new IllegalArgumentException("--output " + output + " is a file, not a folder");
                Optional<OutputLock.Holder> interrupted = OutputLock.requireNotInUse(conf, output);
                FileStatus[] children = fs.listStatus(dir);
                if (children.length > 0 && !overwrite) {
                    throw new IllegalArgumentException("--output " + output + " already exists and is not empty"
                            + interrupted.map(h -> " (it holds the interrupted run " + h.runId() + ", started "
                                    + h.start().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ")").orElse("")
                            + (fs.exists(new Path(new Path(dir, ChunkedExplain.DIR), ChunkedExplain.RUN_FILE)) ? "; pass --resume to continue it" : "")
                            + "; pass --overwrite to replace a previous run (only " + OUTPUTS + " are removed) or choose another folder");
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--output " + output + " cannot be used: " + e.getMessage());
        }
    }

    /**
     * Holding the lock: --overwrite removes what the job writes and nothing else; without it the output must still be
     * empty, as another run may have written there since {@link #prepareOutput} looked.
     */
    static void claimOutput(Configuration conf, String output, boolean overwrite) {
        Path dir = new Path(output);
        try {
            FileSystem fs = dir.getFileSystem(conf);
            if (overwrite) {
                for (String name : OUTPUTS) fs.delete(new Path(dir, name), true);
                for (String name : COMPARISON_OUTPUTS) fs.delete(new Path(dir, name), true);
            } else if (java.util.Arrays.stream(fs.listStatus(dir)).anyMatch(c -> !c.getPath().getName().startsWith(OutputLock.FILE))) {
                throw new IllegalArgumentException("--output " + output + " was written by another run after this one started; pass "
                        + "--overwrite to replace it or choose another folder");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--output " + output + " cannot be used: " + e.getMessage());
        }
    }

    static String child(String dir, String name) { return new Path(dir, name).toString(); }

    /** A path that Spark's reader takes literally: its glob characters escaped (an output may be called run[1]). */
    public static String literal(String path) { return path.replaceAll("([\\\\\\[\\]{}*?])", "\\\\$1"); }

    /** Driver-side progress: images done / total, rate and ETA, every 10 seconds while images are explained. */
    static final class Progress {
        static ScheduledExecutorService start(LongAccumulator done, long total) { return start(done, total, 0); }

        /** @param carried images an interrupted run already committed: counted as done, not in the rate */
        static ScheduledExecutorService start(LongAccumulator done, long total, long carried) {
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "lrp-audit-progress");
                t.setDaemon(true);
                return t;
            });
            long t0 = System.nanoTime();
            timer.scheduleAtFixedRate(() -> {
                long now = done.value(), n = carried + now;
                double seconds = (System.nanoTime() - t0) / 1e9, rate = now / Math.max(seconds, 1e-9);
                String eta = now == 0 ? "?" : String.format("%.0f s", (total - n) / Math.max(rate, 1e-9));
                log.info(String.format("progress: %,d / %,d images (%.0f%%), %.1f images/s, ETA %s", n, total,
                        100.0 * n / Math.max(total, 1), rate, eta));
            }, 10, 10, TimeUnit.SECONDS);
            return timer;
        }
    }
}
