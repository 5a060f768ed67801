package org.lrpaudit.data;

import static org.apache.spark.sql.functions.col;

import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Reads a few explained inputs again from their {@code source} (the report's sample), as the model saw them: decoded,
 * resized and cropped by the run's preprocessing, in its colour mode, so they line up pixel for pixel with their
 * heatmaps. A folder input's source is the file; an IDX input's is the images file, the index being the number after
 * '#' in the image id; a Parquet input's is the table, looked up by id in one Spark job. An input that cannot be read
 * again (moved, deleted, changed into something else) comes back with the reason, never as an exception.
 */
public final class InputImages {
    /** One input of the sample: its image id and the source column of images/. */
    public record Ref(String imageId, String source) {}

    /** The input at the heatmap's size, or null and why not. */
    public record Shown(BufferedImage image, String problem) {
        static Shown failed(String problem) { return new Shown(null, problem); }
    }

    private static final Pattern IDX_INDEX = Pattern.compile("#(\\d+)$");

    private final Configuration conf;
    private final Preprocessing pre;
    private final ImageDecoder decoder;
    private final SparkSession spark;
    private final String idColumn, imageColumn;

    private InputImages(Configuration conf, Preprocessing pre, long maxPixels, SparkSession spark, String idColumn, String imageColumn) {
        this.conf = conf;
        this.pre = pre;
        this.decoder = new ImageDecoder(maxPixels);
        this.spark = spark;
        this.idColumn = idColumn;
        this.imageColumn = imageColumn;
    }

    /** Inputs read from a folder of images or an IDX file. */
    public static InputImages files(Configuration conf, Preprocessing pre, long maxPixels) {
        return new InputImages(conf, pre, maxPixels, null, null, null);
    }

    /** Inputs read from a Parquet table: the rows whose {@code idColumn} (cast to string) is a wanted image id. */
    public static InputImages parquet(SparkSession spark, Preprocessing pre, long maxPixels, String idColumn, String imageColumn) {
        return new InputImages(spark.sparkContext().hadoopConfiguration(), pre, maxPixels, spark, idColumn, imageColumn);
    }

    /** Files read at once: on an object store each read waits for its first byte, which one at a time would add up. */
    static final int IN_FLIGHT = 8;

    /** The inputs of {@code refs} by image id; every ref has an entry. */
    public Map<String, Shown> read(Collection<Ref> refs) {
        Map<String, Shown> out = new LinkedHashMap<>();
        if (spark != null) {
            readParquet(refs, out);
            return out;
        }
        Map<String, TreeMap<Long, String>> idx = new LinkedHashMap<>(); // IDX file → index → image id
        Map<String, Future<Shown>> files = new LinkedHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(IN_FLIGHT, r -> {
            Thread t = new Thread(r, "lrp-audit-report-inputs");
            t.setDaemon(true);
            return t;
        });
        try {
            for (Ref r : refs) {
                if (out.containsKey(r.imageId()) || files.containsKey(r.imageId())) continue;
                Matcher index = IDX_INDEX.matcher(r.imageId());
                if (r.source() == null) out.put(r.imageId(), Shown.failed("no source recorded"));
                else if (IdxFiles.isIdxName(new Path(r.source()).getName()) && index.find()) {
                    idx.computeIfAbsent(r.source(), k -> new TreeMap<>()).put(Long.parseLong(index.group(1)), r.imageId());
                    out.put(r.imageId(), null); // keeps the first-seen order
                } else {
                    files.put(r.imageId(), pool.submit(() -> readFile(r.source())));
                }
            }
            idx.forEach((file, wanted) -> readIdx(file, wanted, out));
            for (Map.Entry<String, Future<Shown>> f : files.entrySet()) {
                try {
                    out.put(f.getKey(), f.getValue().get());
                } catch (ExecutionException e) {
                    out.put(f.getKey(), Shown.failed("cannot read the source: " + e.getCause()));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the report's inputs", e);
        } finally {
            pool.shutdownNow();
        }
        return out;
    }

    private Shown readFile(String source) {
        try {
            Path p = new Path(source);
            byte[] bytes;
            try (InputStream in = p.getFileSystem(conf).open(p)) {
                bytes = in.readAllBytes();
            }
            return shown(decoder.decode(bytes));
        } catch (FileNotFoundException e) {
            return Shown.failed("source no longer exists (moved or deleted since the run)");
        } catch (ImageDecoder.BadImageException e) {
            return Shown.failed("source no longer decodes: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            return Shown.failed("cannot read the source: " + e.getMessage());
        }
    }

    /** The wanted images of one IDX file in one pass, in index order (a gzipped file cannot seek). */
    private void readIdx(String file, TreeMap<Long, String> wanted, Map<String, Shown> out) {
        try {
            IdxFiles.Header h = IdxFiles.header(conf, file);
            int size = h.height() * h.width();
            try (DataInputStream in = new DataInputStream(IdxFiles.open(conf, file))) {
                in.skipNBytes(16);
                long position = 0;
                for (Map.Entry<Long, String> e : wanted.entrySet()) {
                    long index = e.getKey();
                    if (index >= h.count()) {
                        out.put(e.getValue(), Shown.failed("the IDX file now holds " + h.count() + " images, fewer than needed for #" + index));
                        continue;
                    }
                    byte[] pixels = new byte[size];
                    try {
                        in.skipNBytes((index - position) * size);
                        in.readFully(pixels);
                        position = index + 1;
                    } catch (EOFException ex) {
                        out.put(e.getValue(), Shown.failed("the IDX file ends before image #" + index));
                        continue;
                    }
                    BufferedImage img = new BufferedImage(h.width(), h.height(), BufferedImage.TYPE_BYTE_GRAY);
                    img.getRaster().setDataElements(0, 0, h.width(), h.height(), pixels);
                    out.put(e.getValue(), shown(img));
                }
            }
        } catch (FileNotFoundException e) {
            wanted.values().forEach(id -> out.put(id, Shown.failed("source no longer exists (moved or deleted since the run)")));
        } catch (IOException | RuntimeException e) {
            wanted.values().forEach(id -> out.putIfAbsent(id, Shown.failed("cannot read the IDX file: " + e.getMessage())));
        }
    }

    private void readParquet(Collection<Ref> refs, Map<String, Shown> out) {
        Map<String, List<String>> bySource = new LinkedHashMap<>();
        for (Ref r : refs) {
            out.put(r.imageId(), Shown.failed("not found in the Parquet input any more"));
            bySource.computeIfAbsent(r.source(), k -> new java.util.ArrayList<>()).add(r.imageId());
        }
        for (Map.Entry<String, List<String>> e : bySource.entrySet()) {
            try {
                List<Row> rows = spark.read().parquet(e.getKey()).select(col(idColumn).cast("string"), col(imageColumn).cast("binary"))
                        .filter(col(idColumn).cast("string").isin(e.getValue().toArray())).collectAsList();
                for (Row row : rows) {
                    try {
                        out.put(row.getString(0), row.isNullAt(1) ? Shown.failed("the image cell is now empty") : shown(decoder.decode((byte[]) row.get(1))));
                    } catch (ImageDecoder.BadImageException | RuntimeException ex) {
                        out.put(row.getString(0), Shown.failed("source no longer decodes: " + ex.getMessage()));
                    }
                }
            } catch (Exception ex) { // table moved or columns renamed (Spark's AnalysisException is checked): every image keeps the reason
                for (String id : e.getValue()) out.put(id, Shown.failed("cannot read the Parquet input: " + ex.getMessage()));
            }
        }
    }

    /** The preprocessed input, its normalisation undone: exactly the pixels the model was given, in [0, 1]. */
    private Shown shown(BufferedImage decoded) {
        float[] x = pre.apply(decoded);
        int h = pre.height(), w = pre.width(), plane = h * w;
        double[] mean = pre.mean(), std = pre.std();
        boolean gray = pre.channels() == 1;
        BufferedImage img = new BufferedImage(w, h, gray ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < plane; i++) {
            if (gray) {
                img.getRaster().setSample(i % w, i / w, 0, byteOf(x[i] * std[0] + mean[0]));
            } else {
                int r = byteOf(x[i] * std[0] + mean[0]), g = byteOf(x[plane + i] * std[1] + mean[1]), b = byteOf(x[2 * plane + i] * std[2] + mean[2]);
                img.setRGB(i % w, i / w, (r << 16) | (g << 8) | b);
            }
        }
        return new Shown(img, null);
    }

    private static int byteOf(double v) { return (int) Math.round(Math.max(0, Math.min(1, v)) * 255); }
}
