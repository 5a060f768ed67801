package org.lrpaudit.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.parquet.SparkToParquetSchemaConverter;
import org.apache.spark.util.SerializableConfiguration;
import org.lrpaudit.output.Columns;

/**
 * The baseline rows a --baseline run carries over, copied into images/ file by file: one Spark task per baseline
 * Parquet file keeps the matched rows with {@link ParquetRowCopy} (no decode into rows, no re-encode through Spark's
 * writer), writing into a staging folder that readers skip (its name starts with "_"); the driver then moves the files
 * the successful attempts wrote into images/, so a retried or failed attempt leaves nothing behind in the table.
 */
final class CarriedRows {
    static final List<String> KEYS = List.of(Columns.IMAGE_ID, Columns.LABEL, Columns.CONTENT_SHA256);

    private CarriedRows() {}

    /**
     * Appends the matched rows of the baseline's images/ to {@code images}; returns how many, or -1 (and writes
     * nothing) when a baseline file is not in the layout this version writes (an older lrp-audit's), which the caller
     * then copies through Spark.
     */
    static long copy(SparkSession spark, String baselineImages, String images, Broadcast<BaselineKeys> keys,
            Broadcast<BaselineMatches.Matched> matched, boolean concepts) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        String id = UUID.randomUUID().toString();
        Path staging = new Path(images, "_carried-" + id);
        try {
            List<String> files = parquetFiles(conf, baselineImages);
            if (files.isEmpty()) return 0;
            CompressionCodecName codec = codec(spark);
            ParquetRowCopy copier = new ParquetRowCopy(codec, concepts ? Set.of() : Set.of(Columns.CONCEPTS));
            boolean twoLevel = Boolean.parseBoolean(spark.conf().get(Columns.LIST_LAYOUT_SETTING, LrpAudit.IMAGES_SESSION_SETTINGS.get(Columns.LIST_LAYOUT_SETTING)));
            String expected = layout(twoLevel).toString();
            Broadcast<SerializableConfiguration> shared = jsc.broadcast(new SerializableConfiguration(conf));
            String stagingDir = staging.toString();
            ParquetRowCopy.Copies copies = k -> {
                if (k[0] == null || k[2] == null) return 0;
                int i = keys.value().indexOf(Baseline.SHA256.get(), (String) k[0], (Integer) k[1], (String) k[2]);
                return i < 0 ? 0 : matched.value().copies(i);
            };
            List<String[]> written = jsc.parallelize(files, files.size()).map(file -> {
                TaskContext task = TaskContext.get();
                Path target = new Path(stagingDir, String.format(Locale.ROOT, "part-%05d-%d.parquet", task.partitionId(), task.attemptNumber()));
                ParquetRowCopy.Result r = copier.copy(shared.value().value(), new Path(file), target, KEYS, copies, MessageTypeParser.parseMessageType(expected));
                return r == null ? new String[] {file, null} : new String[] {target.toString(), Long.toString(r.written())};
            }).collect();
            shared.unpersist();
            FileSystem fs = staging.getFileSystem(conf);
            if (written.stream().anyMatch(w -> w[1] == null)) return -1;
            long rows = 0;
            String extension = codec.getExtension() + ".parquet";
            for (int i = 0; i < written.size(); i++) {
                long n = Long.parseLong(written.get(i)[1]);
                if (n == 0) continue;
                Path to = new Path(images, String.format(Locale.ROOT, "part-%05d-%s-c000%s", i, id, extension));
                if (!fs.rename(new Path(written.get(i)[0]), to)) throw new IOException("cannot move " + written.get(i)[0] + " to " + to);
                rows += n;
            }
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException("copying the carried-over rows from " + baselineImages + " into " + images + ": " + e.getMessage(), e);
        } finally {
            try {
                staging.getFileSystem(conf).delete(staging, true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The images/ Parquet schema this version writes: the explained rows' columns in the two- or three-level list layout. */
    static MessageType layout(boolean twoLevel) {
        return new SparkToParquetSchemaConverter(twoLevel, SparkToParquetSchemaConverter.$lessinit$greater$default$2(),
                SparkToParquetSchemaConverter.$lessinit$greater$default$3(), SparkToParquetSchemaConverter.$lessinit$greater$default$4())
                .convert(Baseline.IMAGES_LAYOUT);
    }

    /** The Parquet files of a table folder, sorted; those readers skip (names starting with "_" or ".") left out. */
    static List<String> parquetFiles(Configuration conf, String dir) throws IOException {
        Path path = new Path(dir);
        List<String> files = new ArrayList<>();
        for (FileStatus f : path.getFileSystem(conf).listStatus(path)) {
            String name = f.getPath().getName();
            if (f.isFile() && !name.startsWith("_") && !name.startsWith(".") && name.endsWith(".parquet")) files.add(f.getPath().toString());
        }
        files.sort(null);
        return files;
    }

    /** The session's Parquet codec (spark.sql.parquet.compression.codec), as Spark's writer would use it. */
    private static CompressionCodecName codec(SparkSession spark) {
        String name = spark.conf().get("spark.sql.parquet.compression.codec", "snappy").toLowerCase(Locale.ROOT);
        return name.equals("none") ? CompressionCodecName.UNCOMPRESSED : CompressionCodecName.fromConf(name);
    }
}
