package org.lrpaudit.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.TaskCompletionListener;

/**
 * The executor side of a folder input: reads each listed file's bytes and makes its input row. A file that cannot be
 * read — deleted or moved after the driver listed it, unreadable, empty, too large for one array — becomes a row
 * with its read error (reported in errors/, stage "read") instead of failing the task: one bad file in a million
 * must not stop an audit. Files on a local disk are read with java.nio (~8 µs for a small PNG against 60–90 µs
 * through Hadoop's checksummed local file system, which looks up a .crc beside every file); other file systems
 * through Hadoop, with the driver's configuration and {@value #READ_AHEAD} files in flight per task.
 */
final class FileReader implements MapPartitionsFunction<Row, Row> {
    /** Java arrays stop just short of 2 GiB. */
    static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    /** Files in flight per task on file systems other than a local disk. */
    static final int READ_AHEAD = 16;

    private final DatasetSources.FolderRow toRow;
    private final HadoopConf conf;
    private final int readAhead;
    private transient Map<String, FileSystem> systems; // per task: the function is deserialized for each

    FileReader(DatasetSources.FolderRow toRow, HadoopConf conf) { this(toRow, conf, READ_AHEAD); }

    FileReader(DatasetSources.FolderRow toRow, HadoopConf conf, int readAhead) {
        this.toRow = toRow;
        this.conf = conf;
        this.readAhead = readAhead;
    }

    /** @param files rows of (path, length) as listed on the driver, all under the folder row's root */
    @Override public Iterator<Row> call(Iterator<Row> files) {
        if (fileSystem(toRow.root()) instanceof LocalFileSystem || readAhead <= 1) return map(files, this::inputRow);
        return new ReadAhead(files, readAhead);
    }

    private static <A, B> Iterator<B> map(Iterator<A> in, java.util.function.Function<A, B> f) {
        return new Iterator<>() {
            @Override public boolean hasNext() { return in.hasNext(); }

            @Override public B next() { return f.apply(in.next()); }
        };
    }

    /**
     * Keeps up to {@code depth} files in flight on a few threads of the task, returned in listing order: on an object
     * store each read waits tens of milliseconds for its first byte, which one file at a time would add up per image.
     */
    private final class ReadAhead implements Iterator<Row> {
        private final Iterator<Row> files;
        private final int depth;
        private final ExecutorService pool;
        private final ArrayDeque<Future<Row>> inFlight = new ArrayDeque<>();

        ReadAhead(Iterator<Row> files, int depth) {
            this.files = files;
            this.depth = depth;
            this.pool = Executors.newFixedThreadPool(depth, r -> {
                Thread t = new Thread(r, "lrp-audit-read-ahead");
                t.setDaemon(true);
                return t;
            });
            TaskContext task = TaskContext.get();
            if (task != null) task.addTaskCompletionListener((TaskCompletionListener) context -> pool.shutdownNow()); // killed task: stop reading
            fill();
        }

        private void fill() {
            while (inFlight.size() < depth && files.hasNext()) {
                Row f = files.next();
                inFlight.add(pool.submit(() -> inputRow(f)));
            }
            if (inFlight.isEmpty()) pool.shutdown();
        }

        @Override public boolean hasNext() { return !inFlight.isEmpty(); }

        @Override public Row next() {
            if (inFlight.isEmpty()) throw new NoSuchElementException();
            try {
                Row r = inFlight.poll().get();
                fill();
                return r;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pool.shutdownNow();
                throw new IllegalStateException("interrupted while reading input files", e);
            } catch (ExecutionException e) {
                pool.shutdownNow();
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            }
        }
    }

    /** The input row of one listed file: its bytes, or why they could not be read. */
    private Row inputRow(Row f) {
        String path = f.getString(0);
        long length = f.getLong(1);
        byte[] content = null;
        String error;
        if (length == 0) {
            error = "empty file (0 bytes)";
        } else if (length > MAX_BYTES) {
            error = "file of " + length + " bytes is larger than an image can be read (2 GiB)";
        } else {
            try {
                content = read(path);
                error = content.length == 0 ? "empty file (0 bytes)" : null;
            } catch (FileNotFoundException | NoSuchFileException e) {
                error = "file vanished after the input was listed (deleted or moved while the job ran)";
            } catch (IOException | RuntimeException e) {
                error = "cannot read the file: " + e;
            }
        }
        Row row = toRow.call(RowFactory.create(path, content));
        if (error == null) return row;
        return RowFactory.create(row.get(0), row.get(1), null, null, null, null, null, error);
    }

    private FileSystem fileSystem(String file) {
        Path path = new Path(file);
        if (systems == null) systems = new ConcurrentHashMap<>(); // first call is on the task's thread, before any read-ahead
        return systems.computeIfAbsent(path.toUri().getScheme() + "://" + path.toUri().getAuthority(), k -> {
            try {
                return path.getFileSystem(conf.get());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private byte[] read(String file) throws IOException {
        Path path = new Path(file);
        FileSystem fs = fileSystem(file);
        if (fs instanceof LocalFileSystem local) return java.nio.file.Files.readAllBytes(local.pathToFile(path).toPath());
        try (InputStream in = fs.open(path)) {
            return in.readAllBytes();
        }
    }
}
