package org.lrpaudit.job;

import static org.apache.spark.sql.functions.array_repeat;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.lrpaudit.output.Columns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --baseline DIR}: audit only what changed since an earlier run. An input whose image_id, label and
 * content_sha256 are in the baseline's images/ is not explained: the explain pass records it in
 * {@link BaselineMatches} and its baseline row is copied into images/ after the pass (so the input is read once and
 * nothing is shuffled). New and changed inputs, and those that failed in the baseline, are explained; inputs no
 * longer there drop out. The baseline counts only if it was explained as this run would explain it (see
 * {@link #compared}); otherwise a WARN names what differs and every input is explained.
 */
final class Baseline {
    private static final Logger log = LoggerFactory.getLogger(Baseline.class);
    static final String MANIFEST = "_manifest.json", IMAGES = "images";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String dir;
    private final JsonNode manifest;
    private String reason = "not compared yet";
    private Broadcast<BaselineKeys> keys;
    private BaselineMatches matches;
    private long carried;
    private double copySeconds;
    private String copyMethod;
    private boolean withConcepts;

    private Baseline(String dir, JsonNode manifest) {
        this.dir = dir;
        this.manifest = manifest;
    }

    /**
     * The baseline at {@code dir} (null if none was given), checked on the driver before anything is written: a folder
     * with a manifest and images/, and not the output, which --overwrite would empty first.
     */
    static Baseline open(Configuration conf, String dir, String output) {
        if (dir == null) return null;
        String fix = "; give the --output folder of an earlier, finished lrp-audit run, or leave --baseline out to explain every image";
        Path path = new Path(dir);
        try {
            FileSystem fs = path.getFileSystem(conf);
            if (!fs.exists(path)) throw new IllegalArgumentException("--baseline " + dir + " does not exist" + fix);
            Path out = new Path(output);
            if (fs.makeQualified(path).equals(out.getFileSystem(conf).makeQualified(out))) {
                throw new IllegalArgumentException("--baseline " + dir + " is the --output folder, which this run replaces; write each run to its own folder");
            }
            Path manifest = new Path(path, MANIFEST);
            if (!fs.exists(manifest)) {
                throw new IllegalArgumentException("--baseline " + dir + " has no " + MANIFEST + " (a run that did not finish writes none)" + fix);
            }
            if (!fs.exists(new Path(path, IMAGES))) throw new IllegalArgumentException("--baseline " + dir + " has no images/" + fix);
            try (InputStream in = fs.open(manifest)) {
                return new Baseline(dir, JSON.readTree(in));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--baseline " + dir + " cannot be read: " + e.getMessage() + fix);
        }
    }

    /**
     * What must be equal, by manifest field, for a baseline row to be the row this run would write: the model (its
     * hash and class names), the effective rules (canonical spec: rules, max-pool modes, attention), preprocessing,
     * target, grid and max_pixels (which images are refused), and the lrp-audit version. Not compared: the batch size
     * (an image's explanation does not depend on its batch) and the input's path, so that a weekly snapshot in a new
     * folder still uses last week's run; a carried row keeps its baseline source, where the bytes it explains were read.
     */
    static Map<String, Object> compared(ExplainSetup setup, LrpAudit.Options options, String modelSha256) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("model.sha256", modelSha256);
        fields.put("model.classes", setup.classNames());
        fields.put("configuration.rules", setup.composite().canonicalSpec());
        fields.put("configuration.preprocessing", setup.preprocessing().toString());
        fields.put("configuration.target", setup.target().toString());
        fields.put("configuration.grid", options.grid());
        fields.put("configuration.max_pixels", options.maxPixels());
        fields.put("versions.lrp_audit", Manifest.versions().getProperty("project", "unknown"));
        // only with concept layers: a run without them can reuse a baseline from before the option existed
        if (!setup.conceptLayers().isEmpty()) fields.put("configuration.concept_layers", ConceptPhase.names(setup));
        return fields;
    }

    /**
     * Compares the baseline with this run ({@link #compared}) and, if it holds, broadcasts its keys: the matcher the
     * explain pass consults, or null if every input must be explained.
     */
    Matcher matcher(SparkSession spark, Map<String, Object> current, String input) {
        withConcepts = current.containsKey("configuration.concept_layers");
        Dataset<Row> images = spark.read().parquet(AuditJob.literal(imagesPath()));
        reason = difference(current, images.schema());
        if (reason != null) {
            log.warn("--baseline {} is not comparable: {}; explaining every image", dir, reason);
            return null;
        }
        String then = manifest.at("/input/path").asText(null);
        if (!input.equals(then)) log.info("--baseline {} read {}, this run reads {}: carried rows keep their source column", dir, then, input);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        BaselineKeys set;
        try {
            set = readKeys(jsc, CarriedRows.parquetFiles(spark.sparkContext().hadoopConfiguration(), imagesPath()));
        } catch (IOException e) {
            throw new UncheckedIOException("--baseline " + dir + ": cannot list its images/: " + e.getMessage(), e);
        }
        log.info("--baseline {} (run {}): {} keys broadcast ({} MB)", dir, runId(), set.size(), set.size() * 16 / 1_000_000);
        keys = jsc.broadcast(set);
        matches = new BaselineMatches();
        spark.sparkContext().register(matches, "lrp-audit baseline matches");
        return new Matcher(keys, matches);
    }

    /**
     * Appends to {@code images} the baseline rows of the inputs the explain passes matched since the last copy, and
     * starts the matches afresh (a chunked run copies after each chunk, into that chunk); returns how many it copied.
     */
    long copyMatched(SparkSession spark, String images) {
        if (matches == null) return 0;
        BaselineMatches.Matched matched = matches.value();
        matches.reset();
        long copied = matched.total();
        if (copied == 0) return 0;
        carried += copied;
        long t0 = System.nanoTime();
        Broadcast<BaselineMatches.Matched> shared = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(matched);
        long fast = CarriedRows.copy(spark, imagesPath(), images, keys, shared, withConcepts);
        if (fast >= 0 && fast != copied) throw new IllegalStateException("--baseline " + dir + ": copied " + fast + " rows of the " + copied + " matched; is the baseline being rewritten?");
        if (fast < 0) copyThroughSpark(spark, images, shared);
        copyMethod = fast >= 0 ? "file by file" : "through Spark";
        shared.unpersist();
        keys.unpersist(); // executors drop their copy; a second pass over the explain result (errors/ overflow) fetches it again
        double seconds = (System.nanoTime() - t0) / 1e9;
        copySeconds = Math.round((copySeconds + seconds) * 1000) / 1000.0;
        log.info(String.format(Locale.ROOT, "--baseline %s: %,d images carried over unchanged, copied in %.2f s (%s)", dir, copied, seconds,
                fast >= 0 ? copyMethod : copyMethod + ": its images/ are in another Parquet layout"));
        return copied;
    }

    /** The copy for a baseline whose files {@link CarriedRows} cannot take: read, filtered and written again by Spark. */
    private void copyThroughSpark(SparkSession spark, String images, Broadcast<BaselineMatches.Matched> shared) {
        BaselineMatches.Matched matched = shared.value();
        Broadcast<BaselineKeys> set = keys;
        Column copies = functions.udf((UDF3<String, Integer, String, Integer>) (id, label, hash) -> {
            int i = set.value().indexOf(SHA256.get(), id, label, hash);
            return i < 0 ? 0 : shared.value().copies(i);
        }, DataTypes.IntegerType).apply(col(Columns.IMAGE_ID), col(Columns.LABEL), col(Columns.CONTENT_SHA256));
        Dataset<Row> rows = spark.read().parquet(AuditJob.literal(imagesPath())).where(col(Columns.CONTENT_SHA256).isNotNull());
        // concepts: the baseline's vectors when this run asks for the same layers (compared), else none (older images/ have no column)
        boolean concepts = withConcepts && Arrays.asList(rows.columns()).contains(Columns.CONCEPTS);
        Column[] columns = Arrays.stream(Columns.IMAGES.fieldNames()).map(n -> !n.equals(Columns.CONCEPTS) || concepts ? col(n)
                : lit(null).cast(Columns.CONCEPTS_TYPE).as(n)).toArray(Column[]::new);
        rows = matched.repeats().isEmpty() ? rows.where(copies.gt(0)) // the usual case: each row once
                : rows.withColumn("copies", copies).where(col("copies").gt(0)).withColumn("copy", explode(array_repeat(lit(true), col("copies"))));
        LrpAudit.writeImageRows(explainedLayout(rows.select(columns)), images, SaveMode.Append);
    }

    /**
     * The rows with the nullability of the explained rows (image_id and array elements never null). Read back, every
     * column is nullable, and Spark would write the arrays in Parquet's three-level layout with a group per element:
     * a layout unlike a full run's, whose float columns escape the dictionary opt-out of {@link LrpAudit#parquetOptions}
     * and whose write costs more per row (see {@link LrpAudit#IMAGES_SESSION_SETTINGS}). The data holds: the baseline's
     * images/ are rows the explain step made.
     */
    static Dataset<Row> explainedLayout(Dataset<Row> rows) {
        var classic = (org.apache.spark.sql.classic.Dataset<Row>) rows;
        return classic.sparkSession().internalCreateDataFrame(classic.queryExecution().toRdd(), IMAGES_LAYOUT, false);
    }

    /** The schema of {@link LrpAudit#explained} rows: {@link Columns#RESULT}'s images/ columns. */
    static final StructType IMAGES_LAYOUT = new StructType(Arrays.stream(Columns.IMAGES.fieldNames())
            .map(n -> Columns.RESULT.apply(n)).toArray(StructField[]::new));

    /** Images copied from the baseline so far, over every chunk of this run. */
    long carried() { return carried; }

    /** The manifest's baseline entry. */
    Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("path", dir);
        out.put("run_id", runId());
        out.put("comparable", reason == null);
        out.put("reason", reason);
        out.put("copy_seconds", copySeconds); // part of the explain phase
        out.put("copy", copyMethod); // "file by file" (CarriedRows), "through Spark" (a baseline in another layout), null if nothing was carried
        return out;
    }

    private String runId() { return manifest.path("run_id").asText(null); }

    private String imagesPath() { return new Path(dir, IMAGES).toString(); }

    /** Why the baseline's rows are not what this run would write (every differing field), or null. */
    private String difference(Map<String, Object> current, StructType images) {
        List<String> differences = new ArrayList<>();
        for (var e : current.entrySet()) {
            JsonNode then = manifest.at("/" + e.getKey().replace('.', '/'));
            String now = json(e.getValue());
            if (then.isMissingNode()) differences.add("its manifest has no " + e.getKey());
            else if (!then.toString().equals(now)) {
                differences.add(e.getKey() + " differs (baseline " + shortened(then.toString()) + ", now " + shortened(now) + ")");
            }
        }
        for (StructField f : Columns.IMAGES.fields()) {
            var then = Arrays.stream(images.fields()).filter(g -> g.name().equals(f.name())).findFirst();
            if (then.isEmpty() && f.name().equals(Columns.CONCEPTS)) continue; // copied as null; with concept layers the manifest decides
            if (then.isEmpty()) differences.add("its images/ has no " + f.name() + " column (written by an older lrp-audit)");
            else if (!then.get().dataType().simpleString().equals(f.dataType().simpleString())) {
                differences.add("its images/ column " + f.name() + " is " + then.get().dataType().simpleString() + ", not " + f.dataType().simpleString());
            }
        }
        return differences.isEmpty() ? null : String.join("; ", differences);
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String shortened(String s) { return s.length() <= 80 ? s : s.substring(0, 40) + "…" + s.substring(s.length() - 30); }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One digest per thread: a task's explain pass and the copy's filter both fingerprint rows. */
    static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Baseline::sha256);

    /** The executor side: whether an input is one the baseline explained, recording it if so. */
    static final class Matcher implements Serializable {
        private final Broadcast<BaselineKeys> keys;
        private final BaselineMatches matches;

        Matcher(Broadcast<BaselineKeys> keys, BaselineMatches matches) {
            this.keys = keys;
            this.matches = matches;
        }

        boolean carries(String imageId, String contentSha256, Integer label) {
            int i = keys.value().indexOf(SHA256.get(), imageId, label, contentSha256);
            if (i < 0) return false;
            matches.add(i);
            return true;
        }
    }

    /**
     * The fingerprints of every baseline row that has a content hash, read from the key columns alone (parquet-mr's
     * column readers, in any list layout): a few files per Spark task.
     */
    private static BaselineKeys readKeys(JavaSparkContext jsc, List<String> files) {
        if (files.isEmpty()) return BaselineKeys.of(new long[0], new long[0]);
        Broadcast<SerializableConfiguration> conf = jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration()));
        List<byte[]> parts = jsc.parallelize(files, Math.min(files.size(), 4 * jsc.defaultParallelism()))
                .map(file -> fingerprints(conf.value().value(), file)).collect();
        conf.unpersist();
        int n = parts.stream().mapToInt(p -> p.length / 16).sum();
        long[] hi = new long[n], lo = new long[n];
        int i = 0;
        for (byte[] part : parts) {
            for (ByteBuffer b = ByteBuffer.wrap(part); b.hasRemaining(); i++) {
                hi[i] = b.getLong();
                lo[i] = b.getLong();
            }
        }
        return BaselineKeys.of(hi, lo);
    }

    /** A baseline file's fingerprints, 16 bytes per row that has a content hash. */
    private static byte[] fingerprints(Configuration conf, String file) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        MessageDigest sha256 = SHA256.get();
        ParquetKeys.forEach(conf, new Path(file), CarriedRows.KEYS, k -> {
            if (k[0] == null || k[2] == null) return;
            long[] f = BaselineKeys.fingerprint(sha256, (String) k[0], (Integer) k[1], (String) k[2]);
            try {
                out.writeLong(f[0]);
                out.writeLong(f[1]);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return bytes.toByteArray();
    }
}
