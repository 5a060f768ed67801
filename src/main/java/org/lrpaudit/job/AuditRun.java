package org.lrpaudit.job;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.lrpaudit.audit.ClassAggregates;
import org.lrpaudit.backend.NativeBackend;
import org.lrpaudit.data.DatasetSources;
import org.lrpaudit.data.InputImages;
import org.lrpaudit.output.Columns;
import org.lrpaudit.output.FaithfulnessColumns;
import org.lrpaudit.render.FaithfulnessPlot;
import org.lrpaudit.render.Report;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of the job, phase by phase, in the order {@link AuditJob#run} calls them: open (validate, list, plan),
 * explain (images/), errors/, classes/, counts, the dataset audit, the report and the manifest. Each phase reads what
 * the one before wrote back from Parquet, so what the report and manifest say is what the tables hold.
 */
final class AuditRun implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AuditRun.class);

    private final AuditRequest request;
    private final ExplainSetup setup;
    private final String output, runId = UUID.randomUUID().toString();
    private final Instant start = Instant.now();
    private final Phases phases = new Phases();
    private final SparkSession spark;
    private final Configuration hadoop;
    private final Baseline baseline;
    private final DatasetSources.Format format;
    private final DatasetSources.Source source;
    private final NativeBackend.Info nativeInfo;
    private final String modelSha256;
    private final Baseline.Matcher unchanged;
    private final int failureCap;
    private final FailureCollector failures;
    private final LongAccumulator done;
    private final ChunkedExplain chunks;
    private final long total;
    private ScheduledExecutorService progress;
    private OutputLock lock;
    // what the phases find
    private long carried, explained, failed;
    private Dataset<Row> written;
    private List<Row> classRows;
    private Double accuracy;
    private DatasetAudit.Outcome audit = new DatasetAudit.Outcome(List.of(), List.of(), List.of());
    private String report;
    private Faithfulness.Outcome faithfulness;
    private Report.Section concepts; // the report's concept section; null without concept layers

    /** Validates the output, the baseline and the input, lists the input and plans the chunks; nothing is written yet. */
    AuditRun(AuditRequest request, int failureCap) {
        this.request = request;
        this.setup = request.setup();
        this.output = request.output();
        this.failureCap = failureCap;
        String input = request.input();
        spark = AuditJob.session(request.master());
        hadoop = spark.sparkContext().hadoopConfiguration();
        if (request.resume()) ChunkedExplain.requireResumable(hadoop, output);
        baseline = Baseline.open(hadoop, request.baseline(), output); // before --overwrite empties the output
        if (!request.resume()) AuditJob.prepareOutput(hadoop, output, request.overwrite());
        DatasetSources.requireNonEmpty(spark, input);
        format = request.inputFormat().equals("auto") ? DatasetSources.detect(spark, input) : DatasetSources.parseFormat(request.inputFormat());
        source = switch (format) {
            case IMAGES -> DatasetSources.imageFolder(spark, input, setup.classNames());
            case IDX -> DatasetSources.idx(spark, input, setup.classNames());
            case PARQUET -> DatasetSources.parquet(spark, input, request.parquetColumns().id(), request.parquetColumns().image(),
                    request.parquetColumns().label(), setup.classNames());
        };
        nativeInfo = NativeBackend.ensureLoaded();
        log.info("lrp-audit run {}: {} ({} input) -> {}; model {} with {}", runId, input, format, output, setup.modelPath(), setup.composite());
        modelSha256 = Manifest.sha256(setup.modelFile());
        phases.mark("setup and listing");
        unchanged = baseline == null ? null : baseline.matcher(spark, Baseline.compared(setup, request.options(), modelSha256), input);
        if (baseline != null) phases.mark("baseline keys");
        done = spark.sparkContext().longAccumulator("lrp-audit images");
        failures = new FailureCollector(failureCap);
        spark.sparkContext().register(failures, "lrp-audit failures");
        total = source.count();
        chunks = ChunkedExplain.plan(request, source, runId, hadoop);
    }

    /** Takes the output's lock (held to the end, a failed run's end included) and writes images/ (and, chunked, errors/). */
    void explain() {
        Dataset<Row> result = LrpAudit.explain(source.rows(), setup, request.options(), done, failures, unchanged); // one pass: not cached
        progress = AuditJob.Progress.start(done, total);
        lock = OutputLock.acquire(hadoop, output, runId);
        if (!chunks.resuming()) AuditJob.claimOutput(hadoop, output, request.overwrite());
        if (chunks.single()) {
            LrpAudit.writeImages(result, path("images"), SaveMode.Overwrite);
            if (baseline != null) baseline.copyMatched(spark, path("images"));
        } else {
            chunks.explain(spark, runId, setup, request.options(), done, failureCap, progress, baseline, unchanged);
        }
        carried = baseline == null ? 0 : baseline.carried();
        phases.mark(AuditJob.EXPLAIN_PHASE);
        progress.shutdownNow(); // every image is explained; later phases would log a falling rate
        if (chunks.single()) writeErrors(result);
        phases.mark("errors/");
    }

    private void writeErrors(Dataset<Row> result) {
        if (failures.overflowed()) { // more failures than the driver keeps: a second pass writes them
            log.warn("{} inputs failed, more than the {} kept on the driver: explaining again to write errors/", failures.count(), failureCap);
            LrpAudit.failures(result).coalesce(1).write().mode(SaveMode.Overwrite).parquet(path("errors"));
        } else {
            spark.createDataFrame(failures.value(), Columns.ERRORS).coalesce(1).write().mode(SaveMode.Overwrite).parquet(path("errors"));
        }
    }

    /** classes/ from images/ as written; the counts from classes/ and errors/ as read back must add up to the input. */
    void aggregateClasses() {
        written = spark.read().parquet(AuditJob.literal(path("images")));
        ClassAggregates.of(written).coalesce(1).write().mode(SaveMode.Overwrite).parquet(path("classes"));
        phases.mark("classes/");
        classRows = spark.read().parquet(AuditJob.literal(path("classes"))).orderBy("target").collectAsList();
        explained = classRows.stream().mapToLong(c -> c.getLong(c.fieldIndex(ClassAggregates.COUNT))).sum();
        failed = spark.read().parquet(AuditJob.literal(path("errors"))).count();
        if (explained + failed != total) {
            throw new IllegalStateException("count mismatch: " + total + " inputs but " + explained + " explained + " + failed + " failed");
        }
        accuracy = AuditJob.overallAccuracy(classRows);
        phases.mark("counts");
    }

    /** SpRAy per class, clusters/, image_clusters/ and findings/ (when asked for). */
    void auditDataset() {
        if (request.spray()) audit = DatasetAudit.run(spark, written, classRows, request.sprayOptions(), output);
        phases.mark("dataset audit");
        concepts = ConceptPhase.run(spark, written, setup, request.conceptReferences(), output, request.spray(), audit.findings());
        if (!setup.conceptLayers().isEmpty()) phases.mark("concepts");
    }

    /** faithfulness/ (when asked for): region perturbation per class on a sample, for each composite compared. */
    void measureFaithfulness() {
        Faithfulness.Setup f = request.faithfulness();
        if (f == null) return;
        faithfulness = Faithfulness.run(spark, written, source.rows(), setup, f.composites(), f.options(),
                request.spray() ? spark.read().parquet(AuditJob.literal(path("image_clusters"))) : null, request.options().maxPixels(), output);
        phases.mark("faithfulness");
    }

    /** report/ then _manifest.json, the run's last file: a run without one did not finish. */
    AuditJob.Result finish() {
        Instant end = Instant.now();
        RunManifest manifest = manifest(end);
        List<Report.Section> sections = new java.util.ArrayList<>();
        if (faithfulness != null) {
            String faithHtml = FaithfulnessPlot.section(faithfulness.summary(), faithfulness.curves());
            sections.add((html, fs, dir) -> html.append(faithHtml));
        }
        if (concepts != null) sections.add(concepts);
        report = Report.write(hadoop, output, Manifest.asMap(manifest), classRows, audit.clusters(), audit.findings(), !request.spray()
                ? Report.Samples.none() : DatasetAudit.samples(written, output, request.reportSamples(), classRows.size(), reportInputs()),
                sections.toArray(new Report.Section[0]));
        phases.mark("report");
        log.info("phases: {}", phases);
        Manifest.write(hadoop, path("_manifest.json"), manifest.withPhases(phases.seconds(), phases.cpuSeconds()));
        chunks.finish(hadoop);
        return new AuditJob.Result(output, total, explained, failed, accuracy, Duration.between(start, end), classRows, audit.findings(),
                report, phases.seconds(), carried);
    }

    /** Reads the report's sampled inputs again from their source, with this run's preprocessing. */
    private InputImages reportInputs() {
        return format == DatasetSources.Format.PARQUET
                ? InputImages.parquet(spark, setup.preprocessing(), request.options().maxPixels(), request.parquetColumns().id(),
                        request.parquetColumns().image())
                : InputImages.files(hadoop, setup.preprocessing(), request.options().maxPixels());
    }

    /** The manifest as of the report (phase times still empty: the report is a phase too). */
    private RunManifest manifest(Instant end) {
        var v = Manifest.versions();
        Map<String, String> outputs = new LinkedHashMap<>();
        for (String name : AuditJob.OUTPUTS) {
            boolean present = (request.spray() || !AuditJob.SPRAY_OUTPUTS.contains(name))
                    && (request.faithfulness() != null || !name.equals(FaithfulnessColumns.DIR))
                    && (!setup.conceptLayers().isEmpty() || !ConceptPhase.OUTPUTS.contains(name));
            if (!name.startsWith("_") && present) outputs.put(name, path(name));
        }
        return new RunManifest(runId, start.toString(), lock.tookOver().map(OutputLock.Holder::toMap).orElse(null), end.toString(),
                Duration.between(start, end).toMillis() / 1000.0, RunManifest.Counts.of(total, explained, carried, failed), accuracy,
                new RunManifest.Model(setup.modelFile().toAbsolutePath().toString(), modelSha256, setup.classNames(), setup.network().notes()),
                new RunManifest.Input(request.input(), format.name().toLowerCase()), request.settings(),
                baseline == null ? null : baseline.describe(),
                new RunManifest.Configuration(setup.composite().canonicalSpec(), setup.composite().source(),
                        Manifest.layers(setup.network(), setup.composite()), setup.preprocessing().toString(), setup.target().toString(),
                        request.options().batchSize(), request.options().grid(), request.options().maxPixels(),
                        setup.conceptLayers().isEmpty() ? null : ConceptPhase.names(setup)),
                new RunManifest.Versions(v.getProperty("project", "unknown"), spark.version(), v.getProperty("nd4j", "unknown"),
                        System.getProperty("java.version")),
                new RunManifest.Native(nativeInfo.onednn(), nativeInfo.describe()), spark.sparkContext().master(), outputs,
                audit.findings().stream().map(RunManifest.Finding::of).toList(),
                request.faithfulness() == null ? null : request.faithfulness().describe(),
                chunks.chunksEntry(), chunks.resumedEntry(), Map.of(), Map.of());
    }

    private String path(String name) { return AuditJob.child(output, name); }

    @Override public void close() {
        if (progress != null) progress.shutdownNow();
        if (lock != null) lock.close();
    }
}
