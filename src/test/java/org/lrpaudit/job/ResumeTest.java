package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.output.Columns;

/**
 * --resume after a lost driver: the job started as a JVM of its own, SIGKILLed once about half its chunks are
 * committed, then resumed; the output must equal an uninterrupted run's, with nothing explained twice.
 */
class ResumeTest extends SparkTest {
    static final Path FIXTURE = CleverHansAuditTest.FIXTURE;
    @TempDir static Path tmp;
    static Path input;

    /** The Clever Hans images (400) and two that fail (a bad PNG, an empty file): 402 inputs, 9 chunks of 50. */
    @BeforeAll
    static void input() throws IOException {
        input = tmp.resolve("in");
        try (Stream<Path> files = Files.walk(FIXTURE.resolve("images"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path to = input.resolve(FIXTURE.resolve("images").relativize(f).toString());
                Files.createDirectories(to.getParent());
                Files.copy(f, to);
            }
        }
        Files.write(input.resolve("bag/zz-broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Files.write(input.resolve("sandal/zz-empty.png"), new byte[0]);
    }

    static List<String> args(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("--model", FIXTURE.resolve("marked.onnx").toString(), "--input", input.toString(),
                "--classes", FIXTURE.resolve("classes.txt").toString(), "--color", "gray", "--mean", "0.286", "--std", "0.353",
                "--output", out.toString(), "--commit-every", "50", "--spray", "off"));
        args.addAll(List.of(extra));
        return args;
    }

    static AuditJob.Result run(List<String> args) { return AuditJob.run(Requests.audit(Settings.parse(args.toArray(new String[0])))); }

    /** The job as its own JVM, with this JVM's module flags (the ones scripts/lrp-audit passes). */
    static Process start(List<String> jobArgs, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognized") || a.startsWith("-Djdk.reflect") || a.startsWith("-Dio.netty")) {
                command.add(a);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.lrpaudit.cli.Main"));
        command.addAll(jobArgs);
        command.addAll(List.of("--master", "local[2]")); // not recorded: the resume may run elsewhere
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return pb.start();
    }

    static int committed(Path out) {
        int n = 0;
        for (int k = 0; k < 9; k++) {
            String chunk = ChunkedExplain.chunkName(k);
            Path chunks = out.resolve(ChunkedExplain.DIR);
            if (Files.exists(chunks.resolve("images").resolve(chunk).resolve("_SUCCESS"))
                    && Files.exists(chunks.resolve("errors").resolve(chunk).resolve("_SUCCESS"))) n++;
        }
        return n;
    }

    static Map<String, Row> byId(Path table) {
        Map<String, Row> out = new HashMap<>();
        List<Row> rows = spark.read().parquet(table.toString()).collectAsList();
        for (Row r : rows) out.put(r.getAs("image_id"), r);
        assertEquals(rows.size(), out.size(), "duplicate image_id in " + table);
        return out;
    }

    /** Starts the job in its own JVM and returns once it has committed {@code chunks} chunks (or ended, or 5 minutes passed). */
    static Process startUntilCommitted(Path out, Path log, int chunks) throws Exception {
        Process job = start(args(out), log);
        long deadline = System.nanoTime() + 300_000_000_000L;
        while (committed(out) < chunks && job.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        return job;
    }

    @Test
    void aKilledRunResumesToTheOutputOfAnUninterruptedOne() throws Exception {
        Path out = tmp.resolve("killed");
        Process job = startUntilCommitted(out, tmp.resolve("killed.log"), 4);
        assertTrue(job.isAlive(), "the job ended before it could be killed:\n" + Files.readString(tmp.resolve("killed.log")));
        job.destroyForcibly(); // SIGKILL: no shutdown hook, the lock stays behind
        job.waitFor();
        int kept = committed(out);
        assertTrue(kept >= 4 && kept < 9, kept + " chunks committed");
        assertTrue(Files.exists(out.resolve(OutputLock.FILE)), "the killed driver's lock");
        assertFalse(Files.exists(out.resolve("_manifest.json")));

        IllegalArgumentException again = assertThrows(IllegalArgumentException.class, () -> run(args(out)));
        assertTrue(again.getMessage().contains("(it holds the interrupted run ") && again.getMessage().contains("; pass --resume to continue it;"),
                again.getMessage());
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> run(args(out, "--resume", "--grid", "2")));
        assertTrue(other.getMessage().startsWith("--resume: --grid differs from the interrupted run's (was not set, now 2)"), other.getMessage());
        assertEquals(kept, committed(out), "a refused resume removes nothing");

        AuditJob.Result resumed = run(args(out, "--resume"));
        AuditJob.Result whole = run(args(tmp.resolve("whole")));
        assertEquals(402, resumed.input());
        assertEquals(whole.explained(), resumed.explained());
        assertEquals(2, resumed.failed());

        Map<String, Row> a = byId(out.resolve("images")), b = byId(tmp.resolve("whole/images"));
        assertEquals(b.keySet(), a.keySet());
        assertEquals(400, a.size());
        for (String id : b.keySet()) {
            List<Float> x = a.get(id).getList(a.get(id).fieldIndex(Columns.HEATMAP)), y = b.get(id).getList(b.get(id).fieldIndex(Columns.HEATMAP));
            assertEquals(y.size(), x.size(), id);
            for (int i = 0; i < x.size(); i++) assertEquals(y.get(i), x.get(i), 1e-6, id + " pixel " + i);
            assertEquals((int) b.get(id).getAs("predicted"), (int) a.get(id).getAs("predicted"), id);
        }
        Map<String, Row> ea = byId(out.resolve("errors")), eb = byId(tmp.resolve("whole/errors"));
        assertEquals(Map.of("bag/zz-broken.png", "decode", "sandal/zz-empty.png", "decode").keySet(), ea.keySet());
        for (String id : eb.keySet()) assertEquals(eb.get(id).<String>getAs("stage"), ea.get(id).<String>getAs("stage"), id);
        assertEquals(eb.keySet(), ea.keySet());

        JsonNode manifest = new ObjectMapper().readTree(out.resolve("_manifest.json").toFile());
        JsonNode r = manifest.get("resumed");
        assertEquals(kept, r.get("chunks_kept").asInt(), r.toString());
        assertEquals(9 - kept, r.get("chunks_explained").asInt(), r.toString());
        assertEquals(50L * kept, r.get("inputs_kept").asLong(), r.toString());
        assertEquals(402 - 50L * kept, r.get("inputs_explained").asLong(), "explained now: only the uncommitted chunks");
        assertEquals(job.pid(), manifest.get("took_over_lock").get("pid").asLong(), "the stale lock of the killed driver");
        assertEquals(manifest.get("took_over_lock").get("run_id").asText(), r.get("from_run_id").asText());
        assertEquals(9, manifest.get("chunks").get("count").asInt());
        assertFalse(Files.exists(out.resolve(ChunkedExplain.DIR)), "the chunk state goes once the run is complete");
        assertFalse(Files.exists(out.resolve(OutputLock.FILE)));
        assertTrue(Files.exists(out.resolve("images/_SUCCESS")));
        assertEquals(a.size() + ea.size(), resumed.input());
    }

    /**
     * A run lost after every chunk was committed and moved (here: its report cannot be written) resumes without
     * explaining anything: images/ is kept as moved, nothing in it twice.
     */
    @Test
    void aRunLostAfterItsChunksWereMovedResumesWithoutExplaining() throws Exception {
        Path out = tmp.resolve("late");
        Process job = startUntilCommitted(out, tmp.resolve("late.log"), 1);
        job.destroyForcibly();
        job.waitFor();
        Files.writeString(out.resolve("report"), "in the way of report/");
        assertThrows(RuntimeException.class, () -> run(args(out, "--resume")));
        assertTrue(Files.exists(out.resolve(ChunkedExplain.DIR).resolve(ChunkedExplain.MERGING)), "every chunk committed and moved");
        assertEquals(402, byId(out.resolve("images")).size() + byId(out.resolve("errors")).size());

        Files.delete(out.resolve("report"));
        AuditJob.Result resumed = run(args(out, "--resume"));
        assertEquals(400, resumed.explained());
        assertEquals(400, byId(out.resolve("images")).size());
        JsonNode r = new ObjectMapper().readTree(out.resolve("_manifest.json").toFile()).get("resumed");
        assertEquals(9, r.get("chunks_kept").asInt(), r.toString());
        assertEquals(0, r.get("chunks_explained").asInt(), r.toString());
        assertEquals(0, r.get("inputs_explained").asLong(), r.toString());
        assertFalse(Files.exists(out.resolve(ChunkedExplain.DIR)));
    }

    @Test
    void resumeWithNothingToResumeSaysSo() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(args(empty, "--resume")));
        assertEquals("--resume: --output " + empty + " holds no interrupted run to resume (no _chunks/_run.json); drop --resume, with "
                + "--overwrite to replace what is there", e.getMessage());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> run(args(empty, "--resume", "--overwrite")));
        assertTrue(both.getMessage().contains("not both"), both.getMessage());
    }

    /** A finished run leaves no chunk state: a resume of it is refused, and a run of one chunk writes no _chunks at all. */
    @Test
    void aFinishedRunHasNothingToResume() {
        Path out = tmp.resolve("finished");
        List<String> oneChunk = new ArrayList<>(args(out));
        oneChunk.set(oneChunk.indexOf("--commit-every") + 1, "1000");
        AuditJob.Result done = run(oneChunk);
        assertEquals(400, done.explained());
        assertFalse(Files.exists(out.resolve(ChunkedExplain.DIR)));
        assertFalse(new File(out.toFile(), "images").list((d, n) -> n.startsWith("chunk-")).length > 0, "written directly");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(args(out, "--resume")));
        assertTrue(e.getMessage().contains("holds no interrupted run to resume"), e.getMessage());
    }
}
