package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lrpaudit.Arrays2;
import org.lrpaudit.SparkTest;
import org.lrpaudit.TestImages;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;

/**
 * A real Spark standalone cluster on 127.0.0.1: a Master and a Worker started from the Spark jars (SPARK_HOME/jars
 * built by Maven from the resolved dependencies), the shaded application jar submitted through Spark's own
 * SparkSubmit. Its output must equal a local-mode run's, and stay complete, without duplicates, when the executor
 * is killed mid-run.
 */
class StandaloneClusterIT extends SparkTest {
    static final Path WORK = Path.of("target/it-cluster");
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    static final List<String> MODULE_FLAGS = List.of(System.getProperty("lrp.moduleFlags", "").split(" "));
    static Path sparkHome, appJar;
    static Process master, worker;
    static String masterUrl;

    @BeforeAll
    static void startCluster() throws Exception {
        sparkHome = Path.of(System.getProperty("lrp.sparkHome", "target/spark-home")).toAbsolutePath();
        appJar = Path.of(System.getProperty("lrp.appJar")).toAbsolutePath();
        assertTrue(Files.isDirectory(sparkHome.resolve("jars")) && Files.isRegularFile(appJar), "run through mvn verify");
        Files.writeString(sparkHome.resolve("RELEASE"), ""); // the Worker takes SPARK_HOME/jars only from a "release"
        deleteRecursively(WORK);
        Files.createDirectories(WORK);
        int port = freePort();
        masterUrl = "spark://127.0.0.1:" + port;
        master = start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", String.valueOf(port),
                "--webui-port", String.valueOf(freePort()));
        awaitPort(port, Duration.ofSeconds(60));
        worker = start("worker", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "2", "--memory", "3g",
                "--webui-port", String.valueOf(freePort()), "--work-dir", WORK.resolve("worker").toAbsolutePath().toString(), masterUrl);
        awaitLog(WORK.resolve("worker.log"), "Successfully registered with master", Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopCluster() {
        for (Process p : new Process[] {worker, master}) {
            if (p != null) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
    }

    @Test
    void clusterOutputEqualsLocalOutput() throws Exception {
        String idx = TestImages.SAMPLE.resolve("idx/t10k-images-idx3-ubyte.gz").toAbsolutePath().toString();
        Path local = WORK.resolve("idx-local"), cluster = WORK.resolve("idx-cluster");
        AuditJob.run(Requests.audit(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG, "--input", idx, "--output", local.toString()})));
        Process submit = submit("idx", idx, cluster);
        assertTrue(submit.waitFor(5, TimeUnit.MINUTES), "spark-submit did not finish in 5 minutes");
        assertEquals(0, submit.exitValue(), "spark-submit failed; see " + WORK.resolve("submit-idx.log"));
        assertSameRows(local, cluster, 200);
        String manifest = Files.readString(cluster.resolve("_manifest.json"));
        assertTrue(manifest.contains(masterUrl), "manifest names the cluster master");
    }

    @Test
    void killingTheExecutorMidRunLosesNothingAndDuplicatesNothing() throws Exception {
        String images = TestImages.SAMPLE_IMAGES.toAbsolutePath().toString();
        Path local = WORK.resolve("png-local"), cluster = WORK.resolve("png-cluster");
        AuditJob.run(Requests.audit(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG, "--input", images, "--output", local.toString(),
                "--batch-size", "4"})));
        Process submit = submit("kill", images, cluster, "--batch-size", "4");
        ProcessHandle executor = awaitExecutor(Duration.ofSeconds(120));
        awaitCommittedTask(cluster.resolve("images"), submit, Duration.ofSeconds(120));
        long killed = executor.pid();
        executor.destroyForcibly();
        assertTrue(submit.waitFor(5, TimeUnit.MINUTES), "spark-submit did not finish after the executor was killed");
        assertEquals(0, submit.exitValue(), "spark-submit failed; see " + WORK.resolve("submit-kill.log"));
        assertTrue(executorLaunches() >= 2, "the Worker should have replaced killed executor " + killed);
        String log = Files.readString(WORK.resolve("submit-kill.log"));
        assertTrue(log.contains("Lost executor") || log.contains("ExecutorLostFailure") || log.contains("removed"),
                "driver log shows the executor loss");
        assertSameRows(local, cluster, 1000);
    }

    private static void assertSameRows(Path local, Path cluster, int expected) {
        List<Row> c = spark.read().parquet(cluster.resolve("images").toString()).collectAsList();
        assertEquals(expected, c.size());
        assertEquals(expected, c.stream().map(r -> r.getAs("image_id")).distinct().count(), "duplicated image_id");
        assertEquals(0, spark.read().parquet(cluster.resolve("errors").toString()).count());
        Map<String, Row> l = spark.read().parquet(local.resolve("images").toString()).collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getAs("image_id"), r -> r));
        for (Row r : c) {
            Row want = l.get(r.<String>getAs("image_id"));
            assertEquals((int) want.getAs("predicted"), (int) r.getAs("predicted"));
            Arrays2.assertClose(want.getList(want.fieldIndex("heatmap")), r.getList(r.fieldIndex("heatmap")), 1e-5, r.getAs("image_id"));
        }
    }

    private static Process submit(String name, String input, Path output, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("org.apache.spark.deploy.SparkSubmit", "--master", masterUrl,
                "--class", "org.lrpaudit.cli.Main", "--executor-memory", "2g", "--executor-cores", "2",
                "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.executorEnv.OMP_NUM_THREADS=1",
                "--conf", "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=1G -Dorg.bytedeco.javacpp.cachedir="
                        + WORK.resolve("javacpp").toAbsolutePath(),
                "--conf", "spark.task.maxFailures=4",
                appJar.toString(),
                "--config", TestImages.SAMPLE_CONFIG, "--model", TestImages.SAMPLE.resolve("model.onnx").toAbsolutePath().toString(),
                "--classes", TestImages.SAMPLE.resolve("classes.txt").toAbsolutePath().toString(),
                "--input", input, "--output", output.toAbsolutePath().toString()));
        cmd.addAll(List.of(extra));
        return start("submit-" + name, cmd.toArray(new String[0]));
    }

    private static Process start(String name, String... mainAndArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(JAVA);
        cmd.addAll(MODULE_FLAGS.stream().filter(s -> !s.isBlank()).toList());
        cmd.add("-Xmx1g");
        cmd.add("-cp");
        cmd.add(sparkHome.resolve("jars") + File.separator + "*");
        cmd.addAll(List.of(mainAndArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(WORK.resolve(name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.put("OMP_NUM_THREADS", "1");
        return pb.start();
    }

    private static ProcessHandle awaitExecutor(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            Optional<ProcessHandle> e = worker.descendants()
                    .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend")).findFirst();
            if (e.isPresent()) return e.get();
            Thread.sleep(200);
        }
        throw new AssertionError("no executor started within " + timeout);
    }

    /** Waits until at least one task of the images/ write has committed its file, i.e. the job is mid-run. */
    private static void awaitCommittedTask(Path table, Process submit, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end && submit.isAlive()) {
            Path temp = table.resolve("_temporary");
            if (Files.isDirectory(temp)) {
                try (Stream<Path> files = Files.walk(temp)) {
                    if (files.anyMatch(p -> p.getFileName().toString().startsWith("part-") && p.toString().contains("/task_"))) return;
                } catch (IOException | java.io.UncheckedIOException ignored) {
                    // files move while the job commits; look again
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the job finished or stalled before a task committed; cannot kill it mid-run");
    }

    /** Executors the Worker launched for the latest application (one folder per executor id). */
    private static long executorLaunches() throws IOException {
        try (Stream<Path> apps = Files.list(WORK.resolve("worker"))) {
            Path latest = apps.filter(p -> p.getFileName().toString().startsWith("app-")).max(Path::compareTo).orElseThrow();
            try (Stream<Path> executors = Files.list(latest)) {
                return executors.filter(Files::isDirectory).count();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(int port, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new AssertionError("nothing listens on 127.0.0.1:" + port + " after " + timeout);
    }

    private static void awaitLog(Path log, String line, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (Files.exists(log) && Files.readString(log).contains(line)) return;
            Thread.sleep(200);
        }
        throw new AssertionError("'" + line + "' not in " + log + " after " + timeout);
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }
}
