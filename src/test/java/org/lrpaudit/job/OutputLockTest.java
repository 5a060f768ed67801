package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrpaudit.SparkTest;
import org.lrpaudit.TestImages;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.data.SlowFileSystem;

/**
 * The output lock: a live lock refuses a second run with one line naming the first, a stale one (dead process, or no
 * heartbeat for {@link OutputLock#STALE_AFTER}) is taken over and recorded, and a run releases its lock however it
 * ends. Unit tests run on the local disk (java.nio) and on a Hadoop file system that is not {@code file:} (slowfs).
 */
class OutputLockTest extends SparkTest {
    @TempDir Path tmp;
    static final ObjectMapper JSON = new ObjectMapper();

    @AfterEach
    void noHeartbeatOutlivesItsLock() throws InterruptedException {
        for (int i = 0; i < 50 && heartbeats() > 0; i++) Thread.sleep(100);
        assertEquals(0, heartbeats(), "a heartbeat thread still runs after every lock was closed");
    }

    static long heartbeats() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("lrp-audit-lock-heartbeat") && t.isAlive()).count();
    }

    static Configuration conf() {
        Configuration conf = new Configuration();
        conf.set("fs.slowfs.impl", SlowFileSystem.class.getName());
        return conf;
    }

    /** The output folder as the job would be given it, on the local disk or on slowfs. */
    String output(String scheme, String name) { return (scheme.equals("file") ? "" : "slowfs://") + tmp.resolve(name); }

    void writeLock(String name, String runId, String host, long pid, Instant heartbeat) throws IOException {
        Files.createDirectories(tmp.resolve(name));
        OutputLock.Holder h = new OutputLock.Holder(runId, host, pid, heartbeat.minusSeconds(60), heartbeat);
        Files.write(tmp.resolve(name).resolve(OutputLock.FILE), JSON.writeValueAsBytes(h.toMap()));
    }

    JsonNode lockFile(String name) throws IOException { return JSON.readTree(tmp.resolve(name).resolve(OutputLock.FILE).toFile()); }

    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "slowfs"})
    void aLiveLockIsRefusedWithOneLineNamingItsRun(String scheme) {
        String out = output(scheme, "live");
        try (OutputLock first = OutputLock.acquire(conf(), out, "run-one")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutputLock.acquire(conf(), out, "run-two"));
            String m = e.getMessage();
            assertTrue(m.startsWith("--output " + out + " is in use by run run-one (started "), m);
            assertTrue(m.contains(" on " + first.holder().host() + ", pid " + ProcessHandle.current().pid() + ", last heartbeat "), m);
            assertTrue(m.endsWith(" s ago); wait for it to finish or use another --output"), m);
            assertFalse(m.contains("\n"), m);
            assertEquals("run-one", OutputLock.current(conf(), out).orElseThrow().runId());
        }
        assertTrue(OutputLock.current(conf(), out).isEmpty(), "released");
        try (OutputLock second = OutputLock.acquire(conf(), out, "run-two")) {
            assertTrue(second.tookOver().isEmpty());
        }
    }

    /** Another host's lock cannot be checked by pid: its heartbeat decides, fresh within two minutes. */
    @Test
    void anotherHostsLockIsLiveWhileItsHeartbeatIsFresh() throws IOException {
        writeLock("remote", "remote-run", "some-other-host", 4242, Instant.now().minusSeconds(100));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutputLock.acquire(conf(), output("file", "remote"), "mine"));
        assertTrue(e.getMessage().contains("run remote-run (started ") && e.getMessage().contains(" on some-other-host, pid 4242, last heartbeat 10"),
                e.getMessage());
        assertEquals("remote-run", lockFile("remote").get("run_id").asText(), "a refused run leaves the lock alone");
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "slowfs"})
    void aLockWhoseProcessIsGoneIsTakenOver(String scheme) throws Exception {
        long dead = deadPid();
        Instant beat = Instant.now(); // a fresh heartbeat: the dead process alone makes it stale
        writeLock("dead", "dead-run", OutputLock.HOST, dead, beat);
        try (OutputLock lock = OutputLock.acquire(conf(), output(scheme, "dead"), "new-run")) {
            OutputLock.Holder old = lock.tookOver().orElseThrow();
            assertEquals("dead-run", old.runId());
            assertEquals(dead, old.pid());
            assertEquals(beat, old.heartbeat());
            assertEquals("new-run", lockFile("dead").get("run_id").asText());
            assertEquals(ProcessHandle.current().pid(), lockFile("dead").get("pid").asLong());
        }
        assertFalse(Files.exists(tmp.resolve("dead").resolve(OutputLock.FILE)));
        try (var files = Files.list(tmp.resolve("dead"))) {
            assertEquals(List.of(), files.toList(), "nothing left behind");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "slowfs"})
    void aLockWithoutHeartbeatForTwoMinutesIsTakenOver(String scheme) throws Exception {
        writeLock("old", "silent-run", "some-other-host", 4242, Instant.now().minus(OutputLock.STALE_AFTER).minusSeconds(5));
        try (OutputLock lock = OutputLock.acquire(conf(), output(scheme, "old"), "new-run")) {
            assertEquals("silent-run", lock.tookOver().orElseThrow().runId());
            assertTrue(lock.tookOver().get().staleReason(Instant.now()).orElseThrow().startsWith("no heartbeat for 12"));
        }
    }

    @Test
    void theHeartbeatAdvancesUntilTheLockIsReleased() throws Exception {
        String out = output("file", "beat");
        Instant start;
        try (OutputLock lock = OutputLock.acquire(conf(), out, "beating", Duration.ofMillis(50))) {
            start = lock.holder().start();
            Thread.sleep(400);
            Instant beat = Instant.parse(lockFile("beat").get("heartbeat").asText());
            assertTrue(beat.isAfter(start.plusMillis(100)), start + " -> " + beat);
            assertEquals(start.toString(), lockFile("beat").get("start").asText());
        }
        Thread.sleep(200);
        try (var files = Files.list(tmp.resolve("beat"))) {
            assertEquals(List.of(), files.toList(), "the lock (and no heartbeat's temporary file) is left");
        }
    }

    /** An unreadable lock file is judged by its modification time, not ignored. */
    @Test
    void anUnreadableLockIsJudgedByItsAge() throws IOException {
        Path file = Files.createDirectories(tmp.resolve("junk")).resolve(OutputLock.FILE);
        Files.writeString(file, "{\"run_id\": ");
        assertThrows(IllegalArgumentException.class, () -> OutputLock.acquire(conf(), output("file", "junk"), "mine"));
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(Instant.now().minus(Duration.ofMinutes(3))));
        try (OutputLock lock = OutputLock.acquire(conf(), output("file", "junk"), "mine")) {
            assertTrue(lock.tookOver().isPresent());
        }
    }

    // The job

    static String[] sample(Path in, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("--config", TestImages.SAMPLE_CONFIG, "--input", in.toString(), "--output", out.toString(),
                "--spray", "off"));
        args.addAll(List.of(extra));
        return args.toArray(new String[0]);
    }

    @Test
    void theJobTakesOverTheLockOfAnInterruptedRunOnlyWithOverwriteAndRecordsIt() throws Exception {
        Path in = tmp.resolve("in");
        TestImages.copySample(in, 1);
        Path out = tmp.resolve("interrupted");
        Files.createDirectories(out.resolve("images"));
        Files.writeString(out.resolve("images/part-00000.parquet"), "half a table");
        writeLock("interrupted", "dead-run", OutputLock.HOST, deadPid(), Instant.now().minusSeconds(30));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AuditJob.run(Requests.audit(Settings.parse(sample(in, out)))));
        assertTrue(e.getMessage().contains("already exists and is not empty (it holds the interrupted run dead-run, started "), e.getMessage());
        assertEquals("dead-run", lockFile("interrupted").get("run_id").asText(), "refused: the stale lock stays for the next run to report");

        AuditJob.Result r = AuditJob.run(Requests.audit(Settings.parse(sample(in, out, "--overwrite"))));
        assertEquals(10, r.explained());
        JsonNode manifest = JSON.readTree(out.resolve("_manifest.json").toFile());
        JsonNode took = manifest.get("took_over_lock");
        assertEquals("dead-run", took.get("run_id").asText(), manifest.toString());
        assertEquals(OutputLock.HOST, took.get("host").asText());
        assertTrue(took.has("start") && took.has("heartbeat"), took.toString());
        assertFalse(Files.exists(out.resolve(OutputLock.FILE)), "released after the run");
    }

    /**
     * A run that fails after taking its lock releases it. The failure is the one seen in production: a Parquet input
     * removed under a running job (here by its own --overwrite, the input being the output's images/).
     */
    @Test
    void aFailedRunReleasesItsLock() throws Exception {
        Path out = tmp.resolve("failing");
        List<Row> rows = new ArrayList<>();
        try (var files = Files.list(TestImages.SAMPLE_IMAGES.resolve("bag"))) {
            for (Path f : files.sorted().limit(4).toList()) rows.add(RowFactory.create(f.getFileName().toString(), Files.readAllBytes(f)));
        }
        StructType schema = new StructType().add("image_id", DataTypes.StringType).add("image", DataTypes.BinaryType);
        spark.createDataFrame(rows, schema).write().parquet(out.resolve("images").toString());

        Exception e = assertThrows(Exception.class, () -> AuditJob.run(Requests.audit(Settings.parse(sample(out.resolve("images"), out, "--overwrite")))));
        assertTrue(String.valueOf(e.getMessage()).contains("FILE_NOT_EXIST"), e.toString());
        assertFalse(Files.exists(out.resolve(OutputLock.FILE)), "the failed run's lock is left");
    }

    /**
     * The incident: two runs on one output a few seconds apart. The second, with --overwrite, must be refused before
     * it removes anything, and the first must complete as if alone.
     */
    @Test
    void twoOverlappingRunsOnOneOutput() throws Exception {
        Path out = tmp.resolve("overlap");
        ExecutorService background = Executors.newSingleThreadExecutor();
        try {
            Future<AuditJob.Result> first = background.submit(() -> CleverHansAuditTest.audit("marked.onnx", out, "--spray", "off"));
            Path lock = out.resolve(OutputLock.FILE);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!Files.exists(lock)) {
                if (first.isDone()) fail("the first run ended before its lock was seen: " + first.get());
                if (System.nanoTime() > deadline) fail("the first run took no lock");
                Thread.sleep(10);
            }
            String firstRun = OutputLock.current(conf(), out.toString()).orElseThrow().runId();

            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> CleverHansAuditTest.audit("marked.onnx", out, "--spray", "off", "--overwrite"));
            assertTrue(refused.getMessage().startsWith("--output " + out + " is in use by run " + firstRun + " (started "), refused.getMessage());
            assertTrue(refused.getMessage().endsWith("; wait for it to finish or use another --output"), refused.getMessage());

            AuditJob.Result r = first.get(5, TimeUnit.MINUTES);
            assertEquals(400, r.input());
            assertEquals(400 - r.failed(), spark.read().parquet(out.resolve("images").toString()).count());
            assertEquals(r.failed(), spark.read().parquet(out.resolve("errors").toString()).count());
            JsonNode manifest = JSON.readTree(out.resolve("_manifest.json").toFile());
            assertEquals(firstRun, manifest.get("run_id").asText());
            assertFalse(manifest.has("took_over_lock"));
            assertFalse(Files.exists(lock), "released after the run");
        } finally {
            background.shutdownNow();
        }
    }
}
