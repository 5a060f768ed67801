package org.lrpaudit.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.lrpaudit.data.DatasetSources;
import org.lrpaudit.output.Columns;
import org.lrpaudit.output.OutputFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The explain phase committed chunk by chunk, so that a lost driver costs at most one chunk and {@code --resume}
 * explains only the rest (docs/resume.md). The input is cut into chunks of {@code --commit-every} images, the same cut
 * on every run ({@link DatasetSources.Chunks}); each chunk is its own Spark write into
 * {@code <output>/_chunks/images/chunk-NNNNN/} and {@code _chunks/errors/chunk-NNNNN/}, committed once both hold
 * {@code _SUCCESS}. {@code _chunks/_run.json} records what the chunks are made with; a resume that differs is refused.
 * After the last chunk the files move into images/ and errors/; {@code _chunks} goes once the manifest is written, so
 * a run lost in a later phase resumes without explaining again. A run of one chunk writes images/ and errors/ directly.
 */
final class ChunkedExplain {
    private static final Logger log = LoggerFactory.getLogger(ChunkedExplain.class);
    static final String DIR = "_chunks", RUN_FILE = "_run.json", RUNS = "_runs", MERGING = "_merging";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Map<String, String> recordedSettings;
    private final DatasetSources.Source source;
    private final String output;
    private final long size;
    private final int count;
    private final boolean resume;
    private final Map<String, Object> record; // null for a single chunk
    private final Map<String, Object> manifest = new LinkedHashMap<>();

    private ChunkedExplain(AuditRequest request, DatasetSources.Source source, String runId) {
        this.recordedSettings = request.recordedSettings();
        this.source = source;
        this.output = request.output();
        this.size = request.commitEvery();
        this.count = DatasetSources.chunkCount(source.count(), size);
        this.resume = request.resume();
        ExplainSetup setup = request.setup();
        this.record = single() ? null : record(runId, setup);
    }

    /**
     * Cuts the input into chunks of --commit-every; on --resume also checks, before the lock is taken and anything is
     * removed, that the interrupted run was made with the same settings, model and input.
     */
    static ChunkedExplain plan(AuditRequest request, DatasetSources.Source source, String runId, Configuration conf) {
        ChunkedExplain plan = new ChunkedExplain(request, source, runId);
        if (plan.resume) {
            Path dir = new Path(plan.output, DIR);
            try {
                plan.checkAgainstInterrupted(dir.getFileSystem(conf), dir);
            } catch (IOException e) {
                throw new IllegalArgumentException("--output " + plan.output + " cannot be used: " + e.getMessage());
            }
        }
        return plan;
    }

    /** One chunk and nothing to resume: the job writes images/ and errors/ directly, at no extra cost. */
    boolean single() { return count == 1 && !resume; }

    boolean resuming() { return resume; }

    /** --resume, before anything is listed: the output must hold an interrupted chunked run whose driver is gone. */
    static void requireResumable(Configuration conf, String output) {
        Path run = new Path(new Path(output, DIR), RUN_FILE);
        try {
            FileSystem fs = run.getFileSystem(conf);
            if (!fs.exists(run)) {
                throw new IllegalArgumentException("--resume: --output " + output + " holds no interrupted run to resume (no " + DIR + "/"
                        + RUN_FILE + "); drop --resume" + (fs.exists(new Path(output)) ? ", with --overwrite to replace what is there" : ""));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--output " + output + " cannot be used: " + e.getMessage());
        }
        OutputLock.requireNotInUse(conf, output);
    }

    /**
     * Under the output lock: records this run (or checks it against the interrupted one), drops uncommitted chunks,
     * explains the rest and moves every chunk into images/ and errors/. {@code progress} (counting from zero) is
     * replaced by one that counts the chunks kept as done.
     */
    void explain(SparkSession spark, String runId, ExplainSetup setup, LrpAudit.Options options, LongAccumulator done, int failureCap,
                 ScheduledExecutorService progress, Baseline baseline, Baseline.Matcher unchanged) {
        progress.shutdownNow();
        Path dir = new Path(output, DIR);
        try {
            FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
            String from = resume ? checkAgainstInterrupted(fs, dir) : null; // again, now that the lock is ours
            if (!resume) writeJson(fs, new Path(dir, RUN_FILE), record); // the output is empty: nothing to lose if cut short
            OutputFiles.create(fs, new Path(new Path(dir, RUNS), String.format("%013d-%s", System.currentTimeMillis(), runId))).close();

            boolean merging = fs.exists(new Path(dir, MERGING)); // all chunks were committed before the move began
            List<Integer> todo = new ArrayList<>();
            long carried = 0;
            for (int k = 0; k < count && !merging; k++) {
                if (committed(fs, k)) {
                    carried += spark.read().parquet(AuditJob.literal(part(k, "images"))).count()
                            + spark.read().parquet(AuditJob.literal(part(k, "errors"))).count(); // footers only
                } else {
                    fs.delete(new Path(part(k, "images")), true); // a chunk cut short: its files are incomplete
                    fs.delete(new Path(part(k, "errors")), true);
                    todo.add(k);
                }
            }
            if (resume) log.info("resuming run {}: {} of {} chunks committed ({} inputs), {} to explain", from, count - todo.size(), count,
                    carried, todo.size());
            ScheduledExecutorService counting = AuditJob.Progress.start(done, source.count(), carried);
            try {
                for (int k : todo) explainChunk(spark, k, setup, options, done, failureCap, baseline, unchanged);
            } finally {
                counting.shutdownNow();
            }
            merge(spark, fs, dir);
            manifest.put("chunks", Map.of("commit_every", size, "count", count));
            if (resume) {
                Map<String, Object> resumed = new LinkedHashMap<>();
                resumed.put("from_run_id", from);
                resumed.put("chunks_kept", count - todo.size());
                resumed.put("chunks_explained", todo.size());
                resumed.put("inputs_kept", merging ? null : carried);
                resumed.put("inputs_explained", done.value());
                manifest.put("resumed", resumed);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the chunks of " + output, e);
        }
    }

    /** The manifest's chunks entry (commit size and count), or null for a run of one chunk. */
    @SuppressWarnings("unchecked")
    Map<String, Object> chunksEntry() { return (Map<String, Object>) manifest.get("chunks"); }

    /** The manifest's resumed entry (what a resumed run kept and explained), or null. */
    @SuppressWarnings("unchecked")
    Map<String, Object> resumedEntry() { return (Map<String, Object>) manifest.get("resumed"); }

    /** After the manifest: the run is complete and its chunk state goes. */
    void finish(Configuration conf) {
        if (single()) return;
        Path dir = new Path(output, DIR);
        try {
            dir.getFileSystem(conf).delete(dir, true);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", dir, e.toString());
        }
    }

    /** With a baseline, the chunk's carried rows are copied into it before its errors/ commit it: a chunk is whole or redone. */
    private void explainChunk(SparkSession spark, int k, ExplainSetup setup, LrpAudit.Options options, LongAccumulator done,
                              int failureCap, Baseline baseline, Baseline.Matcher unchanged) {
        FailureCollector failures = new FailureCollector(failureCap);
        spark.sparkContext().register(failures, "lrp-audit failures, chunk " + k);
        Dataset<Row> result = LrpAudit.explain(source.chunks().chunk(k, size), setup, options, done, failures, unchanged);
        LrpAudit.writeImages(result, part(k, "images"), SaveMode.Overwrite);
        if (baseline != null) baseline.copyMatched(spark, part(k, "images"));
        // as AuditJob writes errors/: from the driver, or by a second pass over this chunk when too many failed
        Dataset<Row> errors = failures.overflowed() ? LrpAudit.failures(result) : spark.createDataFrame(failures.value(), Columns.ERRORS);
        errors.coalesce(1).write().mode(SaveMode.Overwrite).parquet(part(k, "errors")); // its _SUCCESS commits the chunk
        log.info("chunk {} of {} committed ({} failed)", k + 1, count, failures.count());
    }

    /**
     * Moves the chunks into images/ (renames, no copy) and errors/ (one file, as a one-chunk run writes it). Begun only
     * with every chunk committed, and marked so: a run lost during the move resumes it.
     */
    private void merge(SparkSession spark, FileSystem fs, Path dir) throws IOException {
        OutputFiles.create(fs, new Path(dir, MERGING)).close();
        Path chunkErrors = new Path(dir, "errors");
        if (fs.exists(chunkErrors)) {
            String[] parts = new String[count];
            for (int k = 0; k < count; k++) parts[k] = AuditJob.literal(part(k, "errors"));
            spark.read().schema(Columns.ERRORS).parquet(parts).coalesce(1).write().mode(SaveMode.Overwrite)
                    .parquet(AuditJob.child(output, "errors"));
            fs.delete(chunkErrors, true);
        }
        Path images = new Path(output, "images");
        fs.mkdirs(images);
        for (int k = 0; k < count; k++) {
            Path chunk = new Path(part(k, "images"));
            if (!fs.exists(chunk)) continue; // moved before an interruption
            for (FileStatus f : fs.listStatus(chunk)) {
                String name = f.getPath().getName();
                if (name.startsWith("_") || name.startsWith(".")) continue;
                Path to = new Path(images, chunkName(k) + "-" + name); // unique across chunks
                if (!fs.rename(f.getPath(), to)) throw new IOException("cannot move " + f.getPath() + " to " + to);
            }
            fs.delete(chunk, true);
        }
        OutputFiles.create(fs, new Path(images, "_SUCCESS")).close();
    }

    private boolean committed(FileSystem fs, int k) throws IOException {
        return fs.exists(new Path(part(k, "images"), "_SUCCESS")) && fs.exists(new Path(part(k, "errors"), "_SUCCESS"));
    }

    private String part(int k, String table) { return new Path(new Path(new Path(output, DIR), table), chunkName(k)).toString(); }

    static String chunkName(int k) { return String.format("chunk-%05d", k); }

    /** The effective settings the chunks are made with: what a resume must match. */
    private Map<String, Object> record(String runId, ExplainSetup setup) {
        Map<String, Object> settingsMap = new LinkedHashMap<>(recordedSettings);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("run_id", runId);
        r.put("settings", settingsMap);
        r.put("model_sha256", Manifest.sha256(setup.modelFile()));
        r.put("input_count", source.count());
        r.put("input_listing", source.listing());
        r.put("commit_every", size);
        r.put("chunks", count);
        return r;
    }

    /** Refuses a resume whose settings, model or input differ from the interrupted run's; returns the run it continues. */
    @SuppressWarnings("unchecked")
    private String checkAgainstInterrupted(FileSystem fs, Path dir) throws IOException {
        Map<String, Object> now = record;
        Map<String, Object> before;
        try (InputStream in = fs.open(new Path(dir, RUN_FILE))) {
            before = JSON.readValue(in, Map.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("--resume: cannot read " + new Path(dir, RUN_FILE) + " (" + e.getMessage()
                    + "); start again with --overwrite instead of --resume");
        }
        Map<String, Object> was = (Map<String, Object>) before.getOrDefault("settings", Map.of()), is = (Map<String, Object>) now.get("settings");
        Set<String> names = new LinkedHashSet<>(was.keySet());
        names.addAll(is.keySet());
        for (String name : names) refuseIfDifferent("--" + name, was.get(name), is.get(name));
        for (String field : List.of("model_sha256", "input_count", "input_listing", "commit_every", "chunks")) {
            String what = switch (field) {
                case "model_sha256" -> "the model's SHA-256";
                case "input_count" -> "the input's size";
                case "input_listing" -> "the input's listing (files added, removed or rewritten)";
                case "commit_every" -> "--commit-every";
                default -> "the chunk count";
            };
            refuseIfDifferent(what, before.get(field), now.get(field));
        }
        FileStatus[] runs = fs.exists(new Path(dir, RUNS)) ? fs.listStatus(new Path(dir, RUNS)) : new FileStatus[0];
        return Arrays.stream(runs).map(f -> f.getPath().getName()).filter(n -> n.indexOf('-') > 0).sorted()
                .reduce((a, b) -> b).map(n -> n.substring(n.indexOf('-') + 1)).orElse(String.valueOf(before.get("run_id")));
    }

    private static void refuseIfDifferent(String what, Object was, Object is) {
        String a = was == null ? null : String.valueOf(was), b = is == null ? null : String.valueOf(is);
        if (Objects.equals(a, b)) return;
        throw new IllegalArgumentException("--resume: " + what + " differs from the interrupted run's (was " + (a == null ? "not set" : a)
                + ", now " + (b == null ? "not set" : b) + "); resume with the same command, or start again with --overwrite instead of --resume");
    }

    private static void writeJson(FileSystem fs, Path file, Map<String, Object> value) throws IOException {
        try (OutputStream out = OutputFiles.create(fs, file)) {
            JSON.writeValue(out, value);
        }
    }
}
