package org.lrpaudit.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.lrpaudit.output.Columns;

/**
 * Turns an input path into a Dataset of input rows ({@link Columns#INPUT}), read by the executors:
 * a folder tree of images (listed on the driver, read by {@link FileReader}; the label is the parent folder's name,
 * the ImageFolder convention), IDX files (MNIST layout, gzipped or not), or a Parquet table of image bytes.
 */
public final class DatasetSources {

    public enum Format { IMAGES, IDX, PARQUET }

    private DatasetSources() {}

    /** What kind of input a path is: an IDX images file, a Parquet table, or else a folder of images. */
    public static Format detect(SparkSession spark, String input) {
        Path path = new Path(input);
        try {
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            FileStatus status = fs.getFileStatus(path);
            if (status.isFile()) {
                if (IdxFiles.isIdxName(path.getName())) return Format.IDX;
                if (path.getName().endsWith(".parquet")) return Format.PARQUET;
                throw new IllegalArgumentException("--input " + input + " is a single file; give a folder of images, an IDX "
                        + "images file (*-images-idx3-ubyte[.gz]) or a Parquet table");
            }
            for (FileStatus child : fs.listStatus(path)) {
                if (child.isFile() && child.getPath().getName().endsWith(".parquet")) return Format.PARQUET;
            }
            return Format.IMAGES;
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalArgumentException("--input " + input + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("--input " + input + " cannot be read: " + e.getMessage());
        }
    }

    /** Fails on the driver, before any task, if the input holds no files at all. */
    public static void requireNonEmpty(SparkSession spark, String input) {
        Path path = new Path(input);
        try {
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (fs.getFileStatus(path).isFile() || !walk(fs, path, file -> false)) return; // stopped at a first file
            throw new IllegalArgumentException("--input " + input + " holds no files; nothing to audit");
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalArgumentException("--input " + input + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("--input " + input + " cannot be read: " + e.getMessage());
        }
    }

    /**
     * Visits every visible file below {@code dir}, depth first, until {@code visit} returns false; returns whether the
     * walk went to the end. A tree walk with listStatus rather than {@code FileSystem.listFiles(dir, true)}: on the
     * local file system the latter builds a LocatedFileStatus per file, which loads its permissions by starting a
     * process — 3.4 ms per file here, an hour of driver time per million images (Spark's own file index avoids it the
     * same way). Names are sorted in each folder (a local listing's order is not defined), so the listing and the
     * image ids are the same on every run. On a local disk symbolic links are followed, each folder and file listed
     * once ({@link LocalTreeWalk}); elsewhere (HDFS has no folder links unless enabled) the walk goes by path.
     */
    static boolean walk(FileSystem fs, Path dir, java.util.function.Predicate<FileStatus> visit) throws IOException {
        return LocalTreeWalk.isLocal(fs) ? new LocalTreeWalk(fs, visit).walk(dir) : walkPaths(fs, dir, visit);
    }

    private static boolean walkPaths(FileSystem fs, Path dir, java.util.function.Predicate<FileStatus> visit) throws IOException {
        for (FileStatus child : sorted(fs.listStatus(dir))) {
            if (hiddenName(child.getPath())) continue;
            if (child.isDirectory() ? !walkPaths(fs, child.getPath(), visit) : !visit.test(child)) return false;
        }
        return true;
    }

    static FileStatus[] sorted(FileStatus[] children) {
        Arrays.sort(children, java.util.Comparator.comparing(c -> c.getPath().getName()));
        return children;
    }

    /** Spark skips files and folders whose names start with "." or "_" (hidden and marker files). */
    static boolean hiddenName(Path p) {
        String name = p.getName();
        return name.startsWith(".") || name.startsWith("_");
    }

    /**
     * The inputs of a source and how many there are (counted without reading image bytes); {@code chunks} cuts them
     * for a run committed chunk by chunk, {@code listing} identifies them beyond their count (a digest of a folder's
     * listing; empty for IDX and Parquet), so that a resumed run can tell the input changed.
     */
    public record Source(Dataset<Row> rows, long count, Chunks chunks, String listing) {}

    /**
     * The same cut on every run of the same input: chunk {@code index} of {@code ceil(count / size)}. Folder and IDX
     * chunks are consecutive runs of {@code size} inputs and read only their own bytes; Parquet chunks are the rows
     * whose image_id hashes to {@code index} modulo the chunk count (each scans the table).
     */
    public interface Chunks {
        Dataset<Row> chunk(int index, long size);
    }

    /** The chunk count for {@code count} inputs in chunks of {@code size}: at least one. */
    public static int chunkCount(long count, long size) { return (int) Math.max(1, (count + size - 1) / size); }

    static final StructType LISTING = new StructType().add("path", DataTypes.StringType, false).add("length", DataTypes.LongType, false);

    /**
     * Images under a folder, recursively; image_id is the path relative to the folder. Files whose names start with
     * "." or "_" are skipped (Spark's convention for hidden and marker files). The driver lists the files and cuts
     * the list into {@link Partitioning#partitions} tasks of consecutive files; executors read them ({@link FileReader}),
     * so that an empty, vanished or unreadable file is a failed input with its reason rather than a failed task.
     */
    public static Source imageFolder(SparkSession spark, String input, List<String> classNames) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        FolderRow toRow = new FolderRow(qualified(conf, input), classNames);
        List<Row> files = new ArrayList<>();
        try {
            Path path = new Path(input);
            walk(path.getFileSystem(conf), path, f -> files.add(RowFactory.create(f.getPath().toString(), f.getLen())));
            files.sort(java.util.Comparator.comparing(r -> r.getString(0))); // folders reached through links come last in a walk
        } catch (IOException e) {
            throw new IllegalArgumentException("--input " + input + " cannot be listed: " + e.getMessage());
        }
        HadoopConf shared = HadoopConf.broadcast(spark.sparkContext(), conf);
        Chunks chunks = (index, size) -> read(spark, files.subList((int) Math.min(files.size(), index * size),
                (int) Math.min(files.size(), (index + 1) * size)), toRow, shared);
        return new Source(read(spark, files, toRow, shared), files.size(), chunks, digest(files));
    }

    /** Listed files read by the executors, in tasks of consecutive files. */
    private static Dataset<Row> read(SparkSession spark, List<Row> files, FolderRow toRow, HadoopConf conf) {
        int partitions = Partitioning.partitions(files.size(), spark.sparkContext().defaultParallelism());
        JavaRDD<Row> listing = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(files, partitions);
        return spark.createDataFrame(listing, LISTING).mapPartitions(new FileReader(toRow, conf), ExpressionEncoder.apply(Columns.INPUT));
    }

    /** SHA-256 of the listing's paths and lengths: a file added, removed or rewritten changes it. */
    static String digest(List<Row> files) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            for (Row f : files) md.update((f.getString(0) + "\t" + f.getLong(1) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return "sha256:" + java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Images of an IDX file (and labels from the matching *-labels-idx1-ubyte file, if present). */
    public static Source idx(SparkSession spark, String imagesFile, List<String> classNames) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        IdxFiles.Header header = IdxFiles.header(conf, imagesFile);
        String labels = IdxFiles.labelsFileFor(conf, imagesFile, header.count());
        IdxFiles.SliceReader reader = new IdxFiles.SliceReader(qualified(conf, imagesFile), labels, header, classNames, HadoopConf.broadcast(spark.sparkContext(), conf));
        long count = header.count();
        Chunks chunks = (index, size) -> range(spark, Math.min(count, index * size), Math.min(count, (index + 1) * size), reader);
        return new Source(range(spark, 0, count, reader), count, chunks, "");
    }

    /** IDX images {@code from} (inclusive) to {@code to}: each task skips to its first image and reads only its own. */
    private static Dataset<Row> range(SparkSession spark, long from, long to, IdxFiles.SliceReader reader) {
        int partitions = Partitioning.partitions(to - from, spark.sparkContext().defaultParallelism());
        return spark.range(from, to, 1, partitions).mapPartitions(reader, ExpressionEncoder.apply(Columns.INPUT));
    }

    /** A Parquet table with an id column, an image-bytes column and optionally an integer label column. */
    public static Source parquet(SparkSession spark, String input, String idColumn, String imageColumn, String labelColumn,
                                       List<String> classNames) {
        Dataset<Row> table = spark.read().parquet(input);
        List<String> columns = Arrays.asList(table.columns());
        for (String required : List.of(idColumn, imageColumn)) {
            if (!columns.contains(required)) {
                throw new IllegalArgumentException("Parquet input " + input + " has no column '" + required + "' (columns: " + columns
                        + "); name the id and image columns with --id-column and --image-column");
            }
        }
        boolean labelled = columns.contains(labelColumn);
        Dataset<Row> rows = table.select(
                functions.col(idColumn).cast("string").as(Columns.IMAGE_ID),
                functions.lit(input).as(Columns.SOURCE),
                functions.col(imageColumn).cast("binary").as(Columns.CONTENT),
                labelled ? functions.col(labelColumn).cast("int").as(Columns.LABEL) : functions.lit(null).cast("int").as(Columns.LABEL));
        Dataset<Row> inputs = rows.map(new ParquetRow(classNames), ExpressionEncoder.apply(Columns.INPUT));
        long count = table.count();
        Chunks chunks = (index, size) -> inputs.filter(functions.pmod(functions.xxhash64(functions.col(Columns.IMAGE_ID)),
                functions.lit((long) chunkCount(count, size))).equalTo(index));
        return new Source(inputs, count, chunks, "");
    }

    static String qualified(Configuration conf, String input) {
        Path p = new Path(input);
        try {
            return p.getFileSystem(conf).makeQualified(p).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A file's (path, content) to an input row, with the label from the parent folder. */
    static final class FolderRow implements MapFunction<Row, Row> {
        private final String root;
        private final List<String> classNames;

        FolderRow(String root, List<String> classNames) {
            this.root = root.endsWith("/") ? root : root + "/";
            this.classNames = List.copyOf(classNames);
        }

        /** The folder the input was listed from (qualified, ending in "/"). */
        String root() { return root; }

        @Override public Row call(Row file) {
            String path = file.getString(0);
            byte[] content = (byte[]) file.get(1);
            String relative = path.startsWith(root) ? path.substring(root.length()) : new Path(path).getName();
            int slash = relative.lastIndexOf('/');
            if (slash < 0) return RowFactory.create(relative, path, content, null, null, null, null, null);
            String folder = relative.substring(0, slash);
            folder = folder.substring(folder.lastIndexOf('/') + 1);
            int label = classNames.indexOf(folder);
            String error = label < 0 ? "label folder '" + folder + "' is not in the class list " + abbreviated(classNames)
                    + "; fix the folder name or the class list (--classes)" : null;
            return RowFactory.create(relative, path, content, label < 0 ? null : label, folder, null, null, error);
        }
    }

    /** Parquet row to an input row: label index checked against the class list. */
    static final class ParquetRow implements MapFunction<Row, Row> {
        private final List<String> classNames;

        ParquetRow(List<String> classNames) { this.classNames = List.copyOf(classNames); }

        @Override public Row call(Row r) {
            Integer label = r.isNullAt(3) ? null : r.getInt(3);
            String error = null, name = null;
            if (label != null) {
                if (label < 0 || label >= classNames.size()) error = "label " + label + " is not a class index 0.." + (classNames.size() - 1);
                else name = classNames.get(label);
            }
            if (r.isNullAt(0)) error = "row has no image id";
            return RowFactory.create(r.isNullAt(0) ? "(null)" : r.getString(0), r.getString(1), r.get(2), error == null ? label : null,
                    name, null, null, error);
        }
    }

    static String abbreviated(List<String> names) {
        List<String> shown = new ArrayList<>(names.subList(0, Math.min(12, names.size())));
        if (names.size() > 12) shown.add("… " + names.size() + " in all");
        return shown.toString();
    }

    public static Format parseFormat(String s) {
        try {
            return Format.valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--input-format must be auto, images, idx or parquet, got '" + s + "'");
        }
    }
}
