package org.lrpaudit.bench;

import java.awt.image.BufferedImage;
import java.io.DataInputStream;
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
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.SparkSession;
import org.lrpaudit.job.ExplainSetup;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.data.ImageDecoder;
import org.lrpaudit.job.AuditJob;
import org.lrpaudit.lrp.LrpEngine;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The whole job (listing, decode, preprocessing, LRP, Parquet, aggregates; --spray off) at local[1] and local[2],
 * against the bare engine on the same images already preprocessed, on one and on two Java threads. Two inputs: the
 * bundled sample (1,000 PNGs), where Spark's fixed per-run costs dominate, and — if Debian's dataset-fashion-mnist is
 * installed — its 10,000 t10k images as IDX, where the per-image cost shows. Besides the whole run, the "explain and
 * images/" phase alone (decode, LRP, Parquet write) is timed: the part that grows with the dataset.
 * Run with OMP_NUM_THREADS=1 so that tasks × threads = cores.
 */
final class SparkJobBenchmark {
    static final String CONFIG = "samples/fashion-mnist/lrp-audit.properties";
    static final Path FASHION_T10K = Path.of("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");

    record Input(String name, String path, List<float[]> preprocessed) {}

    record Result(Input input, Stats local1, Stats local2, Stats explain1, Stats explain2, Stats engine1, Stats engine2) {
        int images() { return input.preprocessed().size(); }
    }

    /** @param idx a gzipped IDX images file to run besides the sample (Debian's t10k by default); skipped if missing */
    List<Result> run(int rounds, int batch, Path idx) throws Exception {
        ExplainSetup setup = Requests.explainSetup(Settings.parse(new String[] {"--config", CONFIG}));
        List<Input> inputs = new ArrayList<>();
        inputs.add(new Input("sample, 1,000 PNGs", "samples/fashion-mnist/images", preprocessedSample(setup)));
        if (Files.exists(idx)) {
            List<float[]> images = idx(setup, idx);
            inputs.add(new Input(idx.getFileName() + String.format(Locale.ROOT, ", %,d IDX images", images.size()), idx.toString(), images));
        } else {
            System.err.println("  " + idx + " missing (apt-get install dataset-fashion-mnist): only the sample is measured");
        }
        LrpEngine engine = new LrpEngine(setup.network(), setup.composite(), setup.preprocessing().bounds());
        Path out = Files.createTempDirectory("lrp-bench");
        List<Result> results = new ArrayList<>();
        for (Input in : inputs) {
            List<Double> l1 = new ArrayList<>(), l2 = new ArrayList<>(), x1 = new ArrayList<>(), x2 = new ArrayList<>(), e1 = new ArrayList<>(),
                    e2 = new ArrayList<>();
            engineSeconds(engine, in.preprocessed(), batch, 1); // warm-up
            for (int round = 0; round < rounds + 1; round++) { // round 0 warms Spark and the JIT
                double[] a = job("local[1]", in.path(), out, batch), b = job("local[2]", in.path(), out, batch);
                double c = engineSeconds(engine, in.preprocessed(), batch, 1), d = engineSeconds(engine, in.preprocessed(), batch, 2);
                System.err.printf(Locale.ROOT, "  %s round %d: local[1] %.2f s (explain %.2f), local[2] %.2f s (explain %.2f), "
                        + "engine 1 thread %.2f s, 2 threads %.2f s%n", in.name(), round, a[0], a[1], b[0], b[1], c, d);
                if (round == 0) continue;
                l1.add(a[0]); x1.add(a[1]); l2.add(b[0]); x2.add(b[1]); e1.add(c); e2.add(d);
            }
            results.add(new Result(in, Stats.of(l1), Stats.of(l2), Stats.of(x1), Stats.of(x2), Stats.of(e1), Stats.of(e2)));
        }
        return results;
    }

    /** Seconds of the whole run and of its explain phase. */
    private static double[] job(String master, String input, Path out, int batch) {
        SparkSession active = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get() : null;
        if (active != null) active.stop();
        SparkSession.builder().master(master).config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config(new java.util.HashMap<String, Object>(AuditJob.SESSION_DEFAULTS)).getOrCreate();
        long t0 = System.nanoTime();
        AuditJob.Result r = AuditJob.run(Requests.audit(Settings.parse(new String[] {"--config", CONFIG, "--input", input, "--output",
                out.resolve(master.replaceAll("[^a-z0-9]+", "-")).toString(), "--overwrite", "--batch-size", String.valueOf(batch),
                "--spray", "off"}))); // the explain job; SpRAy is timed by scripts/benchmark spray
        if (r.failed() != 0) throw new IllegalStateException(r.failed() + " images failed");
        return new double[] {(System.nanoTime() - t0) / 1e9, r.phaseSeconds().get(AuditJob.EXPLAIN_PHASE)};
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

    /** The images of a gzipped IDX file (MNIST layout), preprocessed as the job does. */
    private static List<float[]> idx(ExplainSetup setup, Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != 0x803) throw new IOException(file + " is not an IDX images file");
            int n = in.readInt(), h = in.readInt(), w = in.readInt();
            List<float[]> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                byte[] pixels = in.readNBytes(h * w);
                BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
                img.getRaster().setDataElements(0, 0, w, h, pixels);
                out.add(setup.preprocessing().apply(img));
            }
            return out;
        }
    }
}
