package org.lrpaudit.job;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.lrpaudit.audit.ClassAggregates;
import org.lrpaudit.audit.Findings;
import org.lrpaudit.audit.spray.SpectralAnalysis;
import org.lrpaudit.output.Columns;
import org.lrpaudit.output.FaithfulnessColumns;
import org.lrpaudit.render.FaithfulnessPlot;
import org.lrpaudit.render.Report;
import org.lrpaudit.backend.NativeBackend;
import org.lrpaudit.cli.ExplainSetup;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.cli.Settings.Key;
import org.lrpaudit.data.DatasetSources;
import org.lrpaudit.data.ImageDecoder;
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
            "_manifest.json", ChunkedExplain.DIR, FaithfulnessColumns.DIR);
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

    public static Result run(Settings s) { return run(s, FailureCollector.DEFAULT_CAP); }

    /** @param failureCap failures kept on the driver for errors/; beyond it errors/ is written by a second pass */
    static Result run(Settings s, int failureCap) {
        Instant start = Instant.now();
        Phases phases = new Phases();
        String runId = UUID.randomUUID().toString();
        ExplainSetup setup = ExplainSetup.from(s);
        LrpAudit.Options options = new LrpAudit.Options(s.intValue(Key.BATCH_SIZE, 32), s.intValue(Key.GRID, 4),
                s.longValue(Key.MAX_PIXELS, ImageDecoder.DEFAULT_MAX_PIXELS));
        if (options.grid() > Math.min(setup.preprocessing().height(), setup.preprocessing().width())) {
            throw new IllegalArgumentException("--grid " + options.grid() + " is finer than the " + setup.preprocessing().height() + "x"
                    + setup.preprocessing().width() + " heatmap");
        }
        boolean sprayOn = s.enabled(Key.SPRAY, true);
        SpectralAnalysis.Options sprayOptions = DatasetAudit.options(s); // validated before any task runs
        Faithfulness.Setup faith = Faithfulness.from(s, setup, options.batchSize()); // null unless --faithfulness
        String input = s.require(Key.INPUT), output = s.require(Key.OUTPUT);
        String format = s.get(Key.INPUT_FORMAT, "auto");
        if (!format.equals("auto")) DatasetSources.parseFormat(format);

        SparkSession spark = session(s);
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        if (s.flag(Key.RESUME)) ChunkedExplain.requireResumable(hadoop, output);
        Baseline baseline = Baseline.open(hadoop, s.get(Key.BASELINE), output); // before --overwrite empties the output
        if (!s.flag(Key.RESUME)) prepareOutput(hadoop, output, s.flag(Key.OVERWRITE));
        DatasetSources.requireNonEmpty(spark, input);
        DatasetSources.Format fmt = format.equals("auto") ? DatasetSources.detect(spark, input) : DatasetSources.parseFormat(format);
        DatasetSources.Source source = switch (fmt) {
            case IMAGES -> DatasetSources.imageFolder(spark, input, setup.classNames());
            case IDX -> DatasetSources.idx(spark, input, setup.classNames());
            case PARQUET -> DatasetSources.parquet(spark, input, s.get(Key.ID_COLUMN, "image_id"), s.get(Key.IMAGE_COLUMN, "image"),
                    s.get(Key.LABEL_COLUMN, "label"), setup.classNames());
        };
        NativeBackend.Info nativeInfo = NativeBackend.ensureLoaded();
        log.info("lrp-audit run {}: {} ({} input) -> {}; model {} with {}", runId, input, fmt, output, setup.modelPath(), setup.composite());
        String modelSha256 = Manifest.sha256(setup.modelFile());
        phases.mark("setup and listing");
        Baseline.Matcher unchanged = baseline == null ? null
                : baseline.matcher(spark, Baseline.compared(setup, options, modelSha256), input);
        if (baseline != null) phases.mark("baseline keys");

        LongAccumulator done = spark.sparkContext().longAccumulator("lrp-audit images");
        FailureCollector failures = new FailureCollector(failureCap);
        spark.sparkContext().register(failures, "lrp-audit failures");
        Dataset<Row> result = LrpAudit.explain(source.rows(), setup, options, done, failures, unchanged); // one pass: not cached
        long total = source.count();
        ChunkedExplain chunks = ChunkedExplain.plan(s, source, output, runId, setup, hadoop);
        ScheduledExecutorService progress = Progress.start(done, total);
        OutputLock lock = null;
        try {
            lock = OutputLock.acquire(hadoop, output, runId); // held to the end, a failed run's end included
            if (!chunks.resuming()) claimOutput(hadoop, output, s.flag(Key.OVERWRITE));
            String images = child(output, "images"), errors = child(output, "errors"), classes = child(output, "classes");
            if (chunks.single()) {
                LrpAudit.writeImages(result, images, SaveMode.Overwrite);
                if (baseline != null) baseline.copyMatched(spark, images);
            } else {
                chunks.explain(spark, runId, setup, options, done, failureCap, progress, baseline, unchanged); // writes errors/ too
            }
            long carried = baseline == null ? 0 : baseline.carried();
            phases.mark(EXPLAIN_PHASE);
            progress.shutdownNow(); // every image is explained; later phases would log a falling rate
            if (chunks.single() && failures.overflowed()) { // more failures than the driver keeps: a second pass writes them
                log.warn("{} inputs failed, more than the {} kept on the driver: explaining again to write errors/", failures.count(),
                        failureCap);
                LrpAudit.failures(result).coalesce(1).write().mode(SaveMode.Overwrite).parquet(errors);
            } else if (chunks.single()) {
                spark.createDataFrame(failures.value(), Columns.ERRORS).coalesce(1).write().mode(SaveMode.Overwrite).parquet(errors);
            }
            phases.mark("errors/");
            Dataset<Row> written = spark.read().parquet(literal(images));
            ClassAggregates.of(written).coalesce(1).write().mode(SaveMode.Overwrite).parquet(classes);
            phases.mark("classes/");

            // explained images counted from classes/ as read back (itself summed from images/ as read back): one scan fewer
            List<Row> classRows = spark.read().parquet(literal(classes)).orderBy("target").collectAsList();
            long explained = classRows.stream().mapToLong(c -> c.getLong(c.fieldIndex(ClassAggregates.COUNT))).sum();
            long failed = spark.read().parquet(literal(errors)).count();
            if (explained + failed != total) {
                throw new IllegalStateException("count mismatch: " + total + " inputs but " + explained + " explained + " + failed + " failed");
            }
            Double accuracy = overallAccuracy(classRows);
            phases.mark("counts");
            DatasetAudit.Outcome audit = sprayOn
                    ? DatasetAudit.run(spark, written, classRows, sprayOptions, output)
                    : new DatasetAudit.Outcome(List.of(), List.of(), List.of());
            phases.mark("dataset audit");
            Faithfulness.Outcome faithful = faith == null ? null : Faithfulness.run(spark, written, source.rows(), setup, faith.composites(),
                    faith.options(), sprayOn ? spark.read().parquet(literal(child(output, "image_clusters"))) : null, options.maxPixels(), output);
            if (faith != null) phases.mark("faithfulness");
            Instant end = Instant.now();

            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("run_id", runId);
            manifest.put("start", start.toString());
            lock.tookOver().ifPresent(stale -> manifest.put("took_over_lock", stale.toMap()));
            manifest.put("end", end.toString());
            manifest.put("duration_seconds", Duration.between(start, end).toMillis() / 1000.0);
            manifest.put("counts", Manifest.counts(total, explained, carried, failed));
            manifest.put("accuracy", accuracy);
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("path", setup.modelFile().toAbsolutePath().toString());
            model.put("sha256", modelSha256);
            model.put("classes", setup.classNames());
            model.put("notes", setup.network().notes());
            manifest.put("model", model);
            manifest.put("input", Map.of("path", input, "format", fmt.name().toLowerCase()));
            manifest.put("settings", s.asMap());
            manifest.put("baseline", baseline == null ? null : baseline.describe());
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("rules", setup.composite().canonicalSpec());
            config.put("rules_source", setup.composite().source());
            config.put("layers", Manifest.layers(setup.network(), setup.composite()));
            config.put("preprocessing", setup.preprocessing().toString());
            config.put("target", setup.target().toString());
            config.put("batch_size", options.batchSize());
            config.put("grid", options.grid());
            config.put("max_pixels", options.maxPixels());
            manifest.put("configuration", config);
            var v = Manifest.versions();
            manifest.put("versions", Map.of("lrp_audit", v.getProperty("project", "unknown"), "spark", spark.version(),
                    "nd4j", v.getProperty("nd4j", "unknown"), "java", System.getProperty("java.version")));
            manifest.put("native", Map.of("onednn", nativeInfo.onednn(), "description", nativeInfo.describe()));
            manifest.put("spark_master", spark.sparkContext().master());
            Map<String, Object> outputs = new LinkedHashMap<>();
            for (String name : OUTPUTS) {
                if (!name.startsWith("_") && (sprayOn || !SPRAY_OUTPUTS.contains(name)) && (faith != null || !name.equals(FaithfulnessColumns.DIR))) {
                    outputs.put(name, child(output, name));
                }
            }
            if (faith != null) manifest.put("faithfulness", faith.describe());
            manifest.put("outputs", outputs);
            manifest.put("findings", audit.findings().stream().map(f -> Map.of("class", f.targetName(), "clusters", f.clusters(), "kind", f.kind(),
                    "severity", f.severity(), "score", f.score(), "region", f.region(), "reason", f.reason())).toList());
            String report = Report.write(hadoop, output, manifest, classRows, audit.clusters(), audit.findings(),
                    sprayOn ? DatasetAudit.members(written, output, s.intValue(Key.REPORT_SAMPLES, 8)) : java.util.Collections.emptyIterator(),
                    faithful == null ? null : FaithfulnessPlot.section(faithful.summary(), faithful.curves()));
            phases.mark("report");
            manifest.putAll(chunks.manifestEntries());
            manifest.put("phase_seconds", phases.seconds());
            manifest.put("phase_cpu_seconds", phases.cpuSeconds());
            log.info("phases: {}", phases);
            Manifest.write(hadoop, child(output, "_manifest.json"), manifest);
            chunks.finish(hadoop);
            return new Result(output, total, explained, failed, accuracy, Duration.between(start, end), classRows, audit.findings(), report, phases.seconds(),
                    carried);
        } finally {
            progress.shutdownNow();
            if (lock != null) lock.close();
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

    public static SparkSession session(Settings s) { return SparkSession.builder().config(sessionConf(s)).getOrCreate(); }

    /** Honours spark-submit's master and settings; defaults to local[*] for a run on one machine. */
    static SparkConf sessionConf(Settings s) {
        SparkConf conf = new SparkConf();
        if (s.has(Key.MASTER)) conf.setMaster(s.get(Key.MASTER));
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
