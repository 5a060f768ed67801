package org.lrpaudit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.lrpaudit.lrp.Composite;
import org.lrpaudit.lrp.InputBounds;
import org.lrpaudit.lrp.LrpEngine;
import org.lrpaudit.lrp.MaxPoolMode;
import org.lrpaudit.lrp.Presets;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.OnnxImporter;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The engine against the PyTorch reference (python/lrp_reference/torch_baseline.py, the tutorial's autograd code in float32) on
 * the same model, batch, rules and thread count. Rounds alternate engine and reference so that both see the same
 * machine state; the ratio is engine throughput / reference throughput from medians of the same run.
 */
final class EngineBenchmark {

    record Case(String name, Path onnx, String preset, double[] mean, double[] std, int batch) {}

    record Result(Case c, Stats engine, Stats reference, long heap, long offHeap, long rss, double referenceRssMb) {
        double ratio() { return reference.median() / engine.median(); }
    }

    private final String python;
    private final int threads, rounds, repeats, warmup;

    EngineBenchmark(String python, int threads, int rounds, int repeats, int warmup) {
        this.python = python;
        this.threads = threads;
        this.rounds = rounds;
        this.repeats = repeats;
        this.warmup = warmup;
    }

    Result run(Case c) throws IOException, InterruptedException {
        Network net = OnnxImporter.load(c.onnx());
        Composite composite = Presets.resolve(c.preset(), net, MaxPoolMode.AVG);
        long[] s = net.inputShape();
        LrpEngine engine = new LrpEngine(net, composite, InputBounds.fromNormalisation(c.mean(), c.std(), (int) s[0]));
        INDArray x = input(c, s);
        // warm up for at least W calls and 2 seconds: the first cases otherwise also measure the JIT compiling ND4J's Java side
        long warmEnd = System.nanoTime() + 2_000_000_000L;
        for (int i = 0; i < warmup || System.nanoTime() < warmEnd; i++) engine.explain(x);
        List<Double> engineTimes = new ArrayList<>(), referenceTimes = new ArrayList<>();
        long heap = 0, offHeap = 0, rss = 0;
        double referenceRss = 0;
        for (int round = 0; round < rounds; round++) {
            try (MemoryProbe probe = MemoryProbe.start()) {
                for (int i = 0; i < repeats; i++) {
                    long t0 = System.nanoTime();
                    engine.explain(x);
                    engineTimes.add((System.nanoTime() - t0) / 1e9);
                }
                heap = Math.max(heap, probe.peakHeap());
                offHeap = Math.max(offHeap, probe.peakOffHeap());
                rss = Math.max(rss, probe.peakRss());
            }
            double engineRound = Stats.of(engineTimes.subList(engineTimes.size() - repeats, engineTimes.size())).median();
            if (python == null) {
                System.err.printf(Locale.ROOT, "  %s/%d round %d: engine %.4f s per batch%n", c.name(), c.batch(), round + 1, engineRound);
                continue;
            }
            JsonNode ref = reference(c, composite.canonicalSpec(), round == 0 ? warmup : 1);
            ref.get("times_s").forEach(t -> referenceTimes.add(t.asDouble()));
            referenceRss = Math.max(referenceRss, ref.get("peak_rss_mb").asDouble());
            System.err.printf(Locale.ROOT, "  %s/%d round %d: engine %.4f s, reference %.4f s per batch%n", c.name(), c.batch(), round + 1,
                    engineRound, ref.get("median_s").asDouble());
        }
        Stats ref = referenceTimes.isEmpty() ? new Stats(Double.NaN, Double.NaN, Double.NaN, 0) : Stats.of(referenceTimes);
        return new Result(c, Stats.of(engineTimes), ref, heap, offHeap, rss, referenceRss);
    }

    /** Random pixels in [0, 1], normalised as the model expects (seeded: the same input every run). */
    static INDArray input(Case c, long[] s) {
        Nd4j.getRandom().setSeed(42);
        INDArray x = Nd4j.rand(DataType.FLOAT, c.batch(), s[0], s[1], s[2]);
        for (int ch = 0; ch < s[0]; ch++) {
            double m = c.mean().length == 1 ? c.mean()[0] : c.mean()[ch], sd = c.std().length == 1 ? c.std()[0] : c.std()[ch];
            INDArray plane = x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(ch));
            plane.subi(m).divi(sd);
        }
        return x;
    }

    private JsonNode reference(Case c, String spec, int referenceWarmup) throws IOException, InterruptedException {
        List<String> cmd = List.of(python, "python/lrp_reference/torch_baseline.py", "--onnx", c.onnx().toString(), "--spec", spec,
                "--mean", join(c.mean()), "--std", join(c.std()), "--batch", String.valueOf(c.batch()),
                "--threads", String.valueOf(threads), "--warmup", String.valueOf(referenceWarmup), "--repeats", String.valueOf(repeats));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("OMP_NUM_THREADS", String.valueOf(threads));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) throw new IOException("reference failed (" + p.exitValue() + "): " + String.join(" ", cmd));
        return new ObjectMapper().readTree(out.substring(out.lastIndexOf('\n') + 1));
    }

    private static String join(double[] v) {
        StringBuilder b = new StringBuilder();
        for (double d : v) b.append(b.length() == 0 ? "" : ",").append(d);
        return b.toString();
    }

    static List<Case> cases(Path fixtures, Path vgg) {
        Path models = fixtures.resolve("models");
        double[] fm = {0.2860}, fs = {0.3530}, zero = {0}, one = {1};
        List<Case> out = new ArrayList<>();
        for (int b : new int[] {1, 16, 64}) out.add(new Case("mlp", models.resolve("mlp.onnx"), "tutorial", zero, one, b));
        for (int b : new int[] {1, 16, 64}) out.add(new Case("cnn", models.resolve("cnn.onnx"), "tutorial", fm, fs, b));
        if (Files.exists(vgg)) {
            double[] im = {0.485, 0.456, 0.406}, is = {0.229, 0.224, 0.225};
            for (int b : new int[] {1, 8}) out.add(new Case("vgg16", vgg, "tutorial", im, is, b));
        } else {
            System.err.println("VGG-16 skipped: " + vgg + " is missing (build it with /usr/bin/python3 python/zoo/make_vgg16.py)");
        }
        Path resnet = vgg.resolveSibling("resnet50.onnx");
        if (Files.exists(resnet)) {
            double[] im = {0.485, 0.456, 0.406}, is = {0.229, 0.224, 0.225};
            for (int b : new int[] {1, 8}) out.add(new Case("resnet50", resnet, "tutorial", im, is, b));
        } else {
            System.err.println("ResNet-50 skipped: " + resnet + " is missing (build it with /usr/bin/python3 python/zoo/make_resnet50.py)");
        }
        return out;
    }
}
