package org.lrpaudit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.lrpaudit.cli.ExplainSetup;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.data.ImageDecoder;
import org.lrpaudit.job.AuditJob;
import org.lrpaudit.lrp.LrpEngine;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The whole job on the bundled sample (1,000 PNGs: listing, decode, preprocessing, LRP, Parquet, aggregates) at
 * local[1] and local[2], against the bare engine on the same images already preprocessed, on one and on two Java
 * threads. Run with OMP_NUM_THREADS=1 so that tasks × threads = cores.
 */
final class SparkJobBenchmark {
    static final String CONFIG = "samples/fashion-mnist/lrp-audit.properties";

    record Result(Stats local1, Stats local2, Stats engine1, Stats engine2, int images) {}

    Result run(int rounds, int batch) throws Exception {
        ExplainSetup setup = ExplainSetup.from(Settings.parse(new String[] {"--config", CONFIG}));
        List<float[]> inputs = preprocessedSample(setup);
        LrpEngine engine = new LrpEngine(setup.network(), setup.composite(), setup.preprocessing().bounds());
        Path out = Files.createTempDirectory("lrp-bench");
        List<Double> l1 = new ArrayList<>(), l2 = new ArrayList<>(), e1 = new ArrayList<>(), e2 = new ArrayList<>();
        engineSeconds(engine, inputs, batch, 1); // warm-up
        for (int round = 0; round < rounds + 1; round++) { // round 0 warms Spark and the JIT
            double a = job("local[1]", out, batch), b = job("local[2]", out, batch);
            double c = engineSeconds(engine, inputs, batch, 1), d = engineSeconds(engine, inputs, batch, 2);
            System.err.printf(Locale.ROOT, "  round %d: local[1] %.2f s, local[2] %.2f s, engine 1 thread %.2f s, 2 threads %.2f s%n",
                    round, a, b, c, d);
            if (round == 0) continue;
            l1.add(a); l2.add(b); e1.add(c); e2.add(d);
        }
        return new Result(Stats.of(l1), Stats.of(l2), Stats.of(e1), Stats.of(e2), inputs.size());
    }

    private static double job(String master, Path out, int batch) {
        SparkSession active = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get() : null;
        if (active != null) active.stop();
        SparkSession.builder().master(master).config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        long t0 = System.nanoTime();
        AuditJob.Result r = AuditJob.run(Settings.parse(new String[] {"--config", CONFIG, "--output", out.resolve(master.replaceAll("[^a-z0-9]+", "-")).toString(),
                "--overwrite", "--batch-size", String.valueOf(batch), "--spray", "off"})); // the explain job; SpRAy is timed by scripts/benchmark spray
        if (r.failed() != 0) throw new IllegalStateException(r.failed() + " images failed");
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The engine alone over all inputs in batches, split over {@code threads} Java threads. */
    private static double engineSeconds(LrpEngine engine, List<float[]> inputs, int batch, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long t0 = System.nanoTime();
            List<Future<?>> parts = new ArrayList<>();
            int per = (inputs.size() + threads - 1) / threads;
            for (int t = 0; t < threads; t++) {
                List<float[]> mine = inputs.subList(Math.min(inputs.size(), t * per), Math.min(inputs.size(), (t + 1) * per));
                parts.add(pool.submit(() -> {
                    for (int i = 0; i < mine.size(); i += batch) engine.explain(stack(mine.subList(i, Math.min(mine.size(), i + batch))));
                    return null;
                }));
            }
            for (Future<?> f : parts) f.get();
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            pool.shutdown();
        }
    }

    private static org.nd4j.linalg.api.ndarray.INDArray stack(List<float[]> xs) {
        int n = xs.get(0).length;
        float[] flat = new float[xs.size() * n];
        for (int i = 0; i < xs.size(); i++) System.arraycopy(xs.get(i), 0, flat, i * n, n);
        return Nd4j.create(flat, new long[] {xs.size(), 1, 28, 28}, DataType.FLOAT);
    }

    private static List<float[]> preprocessedSample(ExplainSetup setup) throws IOException {
        ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);
        List<float[]> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("samples/fashion-mnist/images"))) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                try {
                    out.add(setup.preprocessing().apply(decoder.decode(Files.readAllBytes(f))));
                } catch (ImageDecoder.BadImageException e) {
                    throw new IOException(f + ": " + e.getMessage());
                }
            }
        }
        return out;
    }
}
