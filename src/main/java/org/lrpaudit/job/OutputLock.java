package org.lrpaudit.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <output>/_lock.json}: the run writing an output holds it, so that a second run on the same output (a
 * scheduler firing twice) is refused instead of deleting the first one's files under it. The driver rewrites the
 * lock's heartbeat every {@link #HEARTBEAT}; a lock is stale when its holder is on this host and its process is gone,
 * or when its heartbeat is older than {@link #STALE_AFTER}. A stale lock is taken over, never silently: with a WARN
 * and {@link #tookOver()} for the manifest. The name starts with "_", so Spark's readers skip it.
 *
 * <p>Created atomically where the file system allows it: {@code create(path, false)} on HDFS, {@code CREATE_NEW}
 * (O_EXCL) on a local disk, whose Hadoop create checks and then creates. Object stores have no exclusive create:
 * there the lock is best effort.
 */
public final class OutputLock implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OutputLock.class);
    public static final String FILE = "_lock.json";
    /** How often the driver refreshes the heartbeat. */
    static final Duration HEARTBEAT = Duration.ofSeconds(15);
    /** A heartbeat this old means the run is gone: 8 missed beats, far longer than a driver's GC pause. */
    public static final Duration STALE_AFTER = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String HOST = hostName();

    /** Who holds (or held) a lock, as its file says. */
    public record Holder(String runId, String host, long pid, Instant start, Instant heartbeat) {
        static Holder of(String runId) {
            Instant now = Instant.now();
            return new Holder(runId, HOST, ProcessHandle.current().pid(), now, now);
        }

        Holder beating(Instant now) { return new Holder(runId, host, pid, start, now); }

        /** The lock file's fields; also what the manifest records of a lock taken over. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("run_id", runId);
            m.put("host", host);
            m.put("pid", pid);
            m.put("start", start.toString());
            m.put("heartbeat", heartbeat.toString());
            return m;
        }

        /** Why this lock's run is over, or empty while it may still be going. */
        public Optional<String> staleReason(Instant now) {
            if (host.equals(HOST) && pid > 0 && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                return Optional.of("its process " + pid + " on " + host + " is gone");
            }
            Duration silent = Duration.between(heartbeat, now);
            if (silent.compareTo(STALE_AFTER) > 0) return Optional.of("no heartbeat for " + silent.toSeconds() + " s");
            return Optional.empty();
        }

        /** "run ID (started T on HOST, pid N, last heartbeat S s ago)" */
        public String describe(Instant now) {
            return "run " + runId + " (started " + start.truncatedTo(ChronoUnit.SECONDS) + " on " + host + ", pid " + pid
                    + ", last heartbeat " + Duration.between(heartbeat, now).toSeconds() + " s ago)";
        }
    }

    private final LockFile file;
    private final Holder tookOver;
    private final ScheduledExecutorService heartbeat;
    private volatile Holder mine;
    private boolean closed;

    private OutputLock(LockFile file, Holder mine, Holder tookOver, Duration every) {
        this.file = file;
        this.mine = mine;
        this.tookOver = tookOver;
        heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lrp-audit-lock-heartbeat");
            t.setDaemon(true); // never keeps a finished driver alive
            return t;
        });
        heartbeat.scheduleWithFixedDelay(this::beat, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Takes the lock of {@code output} (creating the folder), or takes over a stale one; refuses with one line
     * naming the holder if its run is live.
     */
    public static OutputLock acquire(Configuration conf, String output, String runId) { return acquire(conf, output, runId, HEARTBEAT); }

    static OutputLock acquire(Configuration conf, String output, String runId, Duration every) {
        try {
            Path dir = new Path(output);
            FileSystem fs = dir.getFileSystem(conf);
            fs.mkdirs(dir);
            LockFile file = new LockFile(fs, new Path(dir, FILE));
            Holder tookOver = null;
            String why = null;
            for (int attempt = 0; attempt < 5; attempt++) { // another run may take or release the lock between our steps
                Holder mine = Holder.of(runId);
                if (file.createNew(mine)) {
                    if (tookOver != null) {
                        log.warn("--output {}: took over the stale lock of {}: {}; its outputs may be incomplete", output,
                                tookOver.describe(mine.start()), why);
                    }
                    return new OutputLock(file, mine, tookOver, every);
                }
                Optional<Holder> held = file.read();
                if (held.isEmpty()) continue; // released meanwhile
                Optional<String> stale = held.get().staleReason(Instant.now());
                if (stale.isEmpty()) throw inUse(output, held.get());
                if (file.removeIfStill(held.get().runId(), held.get().heartbeat(), runId)) {
                    tookOver = held.get();
                    why = stale.get();
                }
            }
            throw new IllegalArgumentException("--output " + output + ": other runs kept taking and releasing its lock; try again");
        } catch (IOException e) {
            throw new IllegalArgumentException("--output " + output + " cannot be locked: " + e.getMessage());
        }
    }

    /** The lock on {@code output}, if there is one, without taking it. */
    public static Optional<Holder> current(Configuration conf, String output) {
        try {
            Path dir = new Path(output);
            return new LockFile(dir.getFileSystem(conf), new Path(dir, FILE)).read();
        } catch (IOException e) {
            throw new IllegalArgumentException("--output " + output + " cannot be read: " + e.getMessage());
        }
    }

    /** Refuses an output whose lock is live; returns the stale lock of an interrupted run, if there is one. */
    public static Optional<Holder> requireNotInUse(Configuration conf, String output) {
        Optional<Holder> held = current(conf, output);
        if (held.isPresent() && held.get().staleReason(Instant.now()).isEmpty()) throw inUse(output, held.get());
        return held;
    }

    static IllegalArgumentException inUse(String output, Holder held) {
        return new IllegalArgumentException("--output " + output + " is in use by " + held.describe(Instant.now())
                + "; wait for it to finish or use another --output");
    }

    /** The stale lock this run replaced, for the manifest. */
    public Optional<Holder> tookOver() { return Optional.ofNullable(tookOver); }

    public Holder holder() { return mine; }

    /**
     * Rewrites the file rather than touching its modification time: the heartbeat is then in the lock itself, in the
     * driver's clock (what the refusal reports), and it works on object stores, whose setTimes does nothing.
     */
    private void beat() {
        try {
            Optional<Holder> held = file.read();
            Holder next = mine.beating(Instant.now());
            if (held.isEmpty()) {
                log.warn("the lock {} vanished during the run; writing it again", file.path);
                if (!file.createNew(next)) return; // taken by another run: the next beat reports it
            } else if (!held.get().runId().equals(mine.runId())) {
                log.error("{} was taken over by {} while this run ({}) still writes there: the outputs of both runs are suspect",
                        file.path, held.get().describe(Instant.now()), mine.runId());
                heartbeat.shutdown();
                return;
            } else {
                file.replace(next);
            }
            mine = next;
        } catch (IOException | RuntimeException e) { // a throw would cancel every later beat
            log.warn("cannot refresh the heartbeat of {}: {}", file.path, e.toString());
        }
    }

    /** Stops the heartbeat and removes the lock if it is still this run's. */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        heartbeat.shutdown(); // not shutdownNow: an interrupted beat could leave its temporary file behind
        try {
            if (!heartbeat.awaitTermination(30, TimeUnit.SECONDS)) log.warn("the heartbeat of {} did not stop", file.path);
            file.removeIfStill(mine.runId(), null, mine.runId());
        } catch (IOException e) {
            log.warn("cannot release {}: {}", file.path, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("localhost");
        }
    }

    /** The lock file on its file system: java.nio on a local disk (atomic create and replace), Hadoop elsewhere. */
    private static final class LockFile {
        final FileSystem fs;
        final Path path;
        final java.nio.file.Path local; // null unless file:

        LockFile(FileSystem fs, Path path) {
            this.fs = fs;
            this.path = fs.makeQualified(path);
            local = "file".equals(this.path.toUri().getScheme()) ? nio(this.path) : null;
        }

        boolean createNew(Holder h) throws IOException {
            byte[] bytes = JSON.writeValueAsBytes(h.toMap());
            if (local != null) {
                try (OutputStream out = Files.newOutputStream(local, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    out.write(bytes);
                    return true;
                } catch (FileAlreadyExistsException e) {
                    return false;
                }
            }
            try (OutputStream out = fs.create(path, false)) {
                out.write(bytes);
                return true;
            } catch (IOException e) {
                if (fs.exists(path)) return false; // HDFS says so in several ways (FileAlreadyExists, AlreadyBeingCreated)
                throw e;
            }
        }

        /** Replaces this run's lock with a newer heartbeat; on a local disk by an atomic rename, so no reader sees half a file. */
        void replace(Holder h) throws IOException {
            byte[] bytes = JSON.writeValueAsBytes(h.toMap());
            if (local != null) {
                java.nio.file.Path tmp = local.resolveSibling(FILE + "." + h.runId() + ".tmp");
                Files.write(tmp, bytes);
                Files.move(tmp, local, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return;
            }
            try (OutputStream out = fs.create(path, true)) {
                out.write(bytes);
            }
        }

        Optional<Holder> read() throws IOException { return read(path); }

        /**
         * The holder a lock file names. A file caught between its creation and its first write (or a half-written
         * heartbeat on HDFS) reads as empty: read again; if it stays unreadable, it is judged by its modification time.
         */
        Optional<Holder> read(Path p) throws IOException {
            for (int attempt = 0; ; attempt++) {
                byte[] bytes;
                long modified;
                try {
                    if (local != null) {
                        modified = Files.getLastModifiedTime(nio(p)).toMillis();
                        bytes = Files.readAllBytes(nio(p));
                    } else {
                        modified = fs.getFileStatus(p).getModificationTime();
                        try (InputStream in = fs.open(p)) {
                            bytes = in.readAllBytes();
                        }
                    }
                } catch (FileNotFoundException | NoSuchFileException e) {
                    return Optional.empty();
                }
                Optional<Holder> parsed = parse(bytes);
                if (parsed.isPresent()) return parsed;
                if (attempt == 4) {
                    Instant at = Instant.ofEpochMilli(modified);
                    return Optional.of(new Holder("(unreadable " + FILE + ")", "unknown host", -1, at, at));
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while reading " + p);
                }
            }
        }

        static Optional<Holder> parse(byte[] bytes) {
            try {
                JsonNode n = JSON.readTree(bytes);
                if (n == null || !n.hasNonNull("run_id") || !n.hasNonNull("heartbeat")) return Optional.empty();
                return Optional.of(new Holder(n.get("run_id").asText(), n.path("host").asText("unknown host"), n.path("pid").asLong(-1),
                        Instant.parse(n.path("start").asText(n.get("heartbeat").asText())), Instant.parse(n.get("heartbeat").asText())));
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }

        /**
         * Removes the lock if it is still run {@code runId}'s (with this {@code heartbeat}, unless null). It is first
         * renamed to a name of its own ({@code by}: the run removing it), which only one of several runs can do; had
         * the lock changed between the caller's check and the rename, it is put back.
         */
        boolean removeIfStill(String runId, Instant heartbeat, String by) throws IOException {
            Path aside = new Path(path.getParent(), FILE + "." + by + ".old");
            if (!rename(path, aside)) return false;
            Optional<Holder> moved = read(aside);
            if (moved.isEmpty() || moved.get().runId().equals(runId) && (heartbeat == null || moved.get().heartbeat().equals(heartbeat))) {
                fs.delete(aside, false);
                return true;
            }
            if (!rename(aside, path)) log.warn("could not put back the lock {} (left as {})", path, aside);
            return false;
        }

        /** Renames without replacing: false if {@code from} is gone or {@code to} exists. */
        private boolean rename(Path from, Path to) throws IOException {
            if (local == null) return fs.rename(from, to);
            try {
                Files.move(nio(from), nio(to)); // rename(2); only one of several runs moving the same file succeeds
                return true;
            } catch (NoSuchFileException | FileAlreadyExistsException e) {
                return false;
            }
        }

        static java.nio.file.Path nio(Path p) { return new java.io.File(p.toUri().getPath()).toPath(); }
    }
}
