package org.lrpaudit.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * IDX files in the MNIST layout: magic 0x00000803 (uint8, 3-D) for images [N, H, W] and 0x00000801 for labels [N],
 * big-endian sizes, gzipped or not. Tasks read their slice of the file themselves; nothing passes through the driver.
 */
final class IdxFiles {
    private static final int IMAGES_MAGIC = 0x803, LABELS_MAGIC = 0x801;

    private IdxFiles() {}

    record Header(long count, int height, int width) implements Serializable {}

    static boolean isIdxName(String name) { return name.contains("idx3-ubyte"); }

    static InputStream open(Configuration conf, String file) throws IOException {
        Path p = new Path(file);
        InputStream in = new BufferedInputStream(p.getFileSystem(conf).open(p), 1 << 16);
        return file.endsWith(".gz") ? new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16) : in;
    }

    static Header header(Configuration conf, String file) {
        try (DataInputStream in = new DataInputStream(open(conf, file))) {
            int magic = in.readInt();
            if (magic != IMAGES_MAGIC) {
                throw new IllegalArgumentException(file + " is not an IDX images file (magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x803: unsigned bytes, 3 dimensions)");
            }
            long n = Integer.toUnsignedLong(in.readInt());
            int h = in.readInt(), w = in.readInt();
            if (h <= 0 || w <= 0 || (long) h * w > 100_000_000L) throw new IllegalArgumentException(file + " claims images of " + h + "x" + w);
            return new Header(n, h, w);
        } catch (EOFException e) {
            throw new IllegalArgumentException(file + " is truncated: no complete IDX header");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read IDX file " + file + ": " + e.getMessage());
        }
    }

    /** The labels file beside an images file (…-images-idx3-ubyte → …-labels-idx1-ubyte), or null if there is none. */
    static String labelsFileFor(Configuration conf, String imagesFile, long count) {
        String candidate = imagesFile.replace("images-idx3-ubyte", "labels-idx1-ubyte");
        Path p = new Path(candidate);
        try {
            if (candidate.equals(imagesFile) || !p.getFileSystem(conf).exists(p)) return null;
        } catch (IOException e) {
            return null;
        }
        try (DataInputStream in = new DataInputStream(open(conf, candidate))) {
            int magic = in.readInt();
            long n = Integer.toUnsignedLong(in.readInt());
            if (magic != LABELS_MAGIC || n != count) {
                throw new IllegalArgumentException(candidate + " does not fit " + imagesFile + " (magic 0x" + Integer.toHexString(magic)
                        + ", " + n + " labels for " + count + " images)");
            }
            return DatasetSources.qualified(conf, candidate);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read IDX labels " + candidate + ": " + e.getMessage());
        }
    }

    /** Reads the images whose indices a partition of spark.range holds (contiguous, ascending). */
    static final class SliceReader implements MapPartitionsFunction<Long, Row> {
        private final String imagesFile, labelsFile;
        private final Header header;
        private final List<String> classNames;
        private final HadoopConf hadoop;

        SliceReader(String imagesFile, String labelsFile, Header header, List<String> classNames, HadoopConf hadoop) {
            this.imagesFile = imagesFile;
            this.labelsFile = labelsFile;
            this.header = header;
            this.classNames = List.copyOf(classNames);
            this.hadoop = hadoop;
        }

        @Override public Iterator<Row> call(Iterator<Long> ids) throws IOException {
            if (!ids.hasNext()) return List.<Row>of().iterator();
            Configuration conf = hadoop.get();
            int size = header.height() * header.width();
            String name = new Path(imagesFile).getName();
            List<Row> rows = new ArrayList<>();
            long first = ids.next();
            try (DataInputStream images = new DataInputStream(open(conf, imagesFile));
                 DataInputStream labels = labelsFile == null ? null : new DataInputStream(open(conf, labelsFile))) {
                images.skipNBytes(16 + first * size);
                if (labels != null) labels.skipNBytes(8 + first);
                long id = first;
                while (true) {
                    byte[] pixels = new byte[size];
                    Integer label = null;
                    String error = null;
                    try {
                        images.readFully(pixels);
                        if (labels != null) label = labels.readUnsignedByte();
                    } catch (EOFException e) {
                        pixels = null;
                        error = "IDX file ends before image " + id + " (truncated)";
                    }
                    String labelName = null;
                    if (label != null && label >= classNames.size()) {
                        error = "label " + label + " is not a class index 0.." + (classNames.size() - 1);
                        label = null;
                    } else if (label != null) {
                        labelName = classNames.get(label);
                    }
                    rows.add(RowFactory.create(String.format("%s#%06d", name, id), imagesFile, pixels, label, labelName,
                            header.height(), header.width(), error));
                    if (!ids.hasNext()) break;
                    long next = ids.next();
                    if (next != id + 1) throw new IllegalStateException("IDX slice is not contiguous: " + id + " then " + next);
                    id = next;
                }
            }
            return rows.iterator();
        }
    }
}
