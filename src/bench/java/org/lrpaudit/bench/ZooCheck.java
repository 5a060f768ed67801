package org.lrpaudit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.lrpaudit.backend.NativeBackend;
import org.lrpaudit.lrp.Composite;
import org.lrpaudit.lrp.Explanation;
import org.lrpaudit.lrp.LrpEngine;
import org.lrpaudit.lrp.MaxPoolMode;
import org.lrpaudit.lrp.Rule;
import org.lrpaudit.model.ModelFormatException;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.OnnxImporter;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The torchvision model zoo against its float64 PyTorch reference (python/zoo/): for every ROOT/NAME/ with a
 * model.onnx, imports it, explains input.npy for the classes of targets.json with LRP-0 on every layer with weights
 * and winner-take-all max pooling, and compares the heatmap with surrogate_gxi.npy (gradient × input of the surrogate
 * network of docs/lrp-layers.md, float64). PASS: the engine predicts the float64 model's class and the relative L2
 * error is at most {@value #MAX_REL_L2} for each image. Then times the engine at batch 1 and 8 against
 * torch_timing.json (surrogate_reference.py's float32 PyTorch timing of the same rule).
 *
 * <pre>
 * scripts/benchmark zoo [--models alexnet,vgg16] [--root /tmp/lrp-zoo] [--repeats 5] [--no-timing]
 * </pre>
 * Build the zoo first: /usr/bin/python3 python/zoo/export_torchvision.py, then python/zoo/surrogate_reference.py.
 */
public final class ZooCheck {
    static final double MAX_REL_L2 = 2e-2;

    private ZooCheck() {}

    record Row(String name, String status, String reason, int layers, long parameters, double relL2, double worstPixel,
               double logitError, boolean predictionOk, double[] engineMs, double[] torchMs) {
        /** "error" (the engine failed on an imported network) counts as imported, and fails. */
        boolean imported() { return !status.equals("refused"); }
        boolean pass() { return status.equals("yes") && reason.isEmpty() && predictionOk && relL2 <= MAX_REL_L2; }
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of("/tmp/lrp-zoo");
        List<String> only = null;
        int repeats = 5;
        boolean timing = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root" -> root = Path.of(args[++i]);
                case "--models" -> only = Arrays.asList(args[++i].split(","));
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--no-timing" -> timing = false;
                case "--suite" -> i++;      // scripts/benchmark passes --suite zoo
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; use [--models a,b] [--root DIR] [--repeats K] [--no-timing]");
            }
        }
        NativeBackend.Info nativeInfo = NativeBackend.ensureLoaded();
        System.out.printf("lrp-audit zoo check: %s; OMP_NUM_THREADS=%s; %d cores; max heap %d MB; root %s%n", nativeInfo.describe(),
                System.getenv().getOrDefault("OMP_NUM_THREADS", "unset"), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, root);
        List<String> names = only != null ? only : modelsUnder(root);
        if (names.isEmpty()) {
            System.out.println("no models under " + root + ": run /usr/bin/python3 python/zoo/export_torchvision.py and "
                    + "python/zoo/surrogate_reference.py first");
            return;
        }
        List<Row> rows = new ArrayList<>();
        double[] load = {Double.MAX_VALUE, 0};      // 1-minute load average before each model: min, max
        for (String name : names) {
            double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            load[0] = Math.min(load[0], l);
            load[1] = Math.max(load[1], l);
            Row row = check(name, root.resolve(name), repeats, timing);
            rows.add(row);
            System.err.println("  " + format(row));
            System.gc();                    // the previous model's weights are native memory: release them now
        }
        print(rows);
        System.out.printf(Locale.ROOT, "1-minute load average before each model: %.1f to %.1f on %d cores (above the core count, "
                + "another process competed for the cores and the timings are not reliable)%n", load[0], load[1],
                Runtime.getRuntime().availableProcessors());
    }

    static List<String> modelsUnder(Path root) throws IOException {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(d -> Files.exists(d.resolve("model.onnx"))).map(d -> d.getFileName().toString()).sorted().toList();
        }
    }

    static Row check(String name, Path dir, int repeats, boolean timing) throws IOException {
        double[] torchMs = torchTiming(dir);
        Network net;
        try {
            net = OnnxImporter.load(dir.resolve("model.onnx"));
        } catch (ModelFormatException e) {
            return new Row(name, "refused", firstLine(e.getMessage()), 0, 0, Double.NaN, Double.NaN, Double.NaN, false,
                    new double[] {Double.NaN, Double.NaN}, torchMs);
        }
        int layers = net.size();
        long parameters = net.parameterCount();
        if (!Files.exists(dir.resolve("surrogate_gxi.npy"))) {
            return new Row(name, "yes", "no reference: run python/zoo/surrogate_reference.py", layers, parameters, Double.NaN,
                    Double.NaN, Double.NaN, false, new double[] {Double.NaN, Double.NaN}, torchMs);
        }
        try {
            LrpEngine engine = new LrpEngine(net, Composite.uniform(net, new Rule.Zero(), MaxPoolMode.WTA), null);
            INDArray x = Nd4j.createFromNpyFile(dir.resolve("input.npy").toFile()).castTo(DataType.FLOAT);
            INDArray reference = Nd4j.createFromNpyFile(dir.resolve("surrogate_gxi.npy").toFile()).castTo(DataType.DOUBLE);
            INDArray logits64 = Nd4j.createFromNpyFile(dir.resolve("logits.npy").toFile()).castTo(DataType.DOUBLE);
            int[] targets = new ObjectMapper().readValue(dir.resolve("targets.json").toFile(), int[].class);

            Explanation e = engine.explain(x, targets, false);
            INDArray r = e.relevance().castTo(DataType.DOUBLE);
            double relL2 = 0, worstPixel = 0;
            boolean predictionOk = true;
            for (int i = 0; i < targets.length; i++) {
                INDArray ri = r.slice(i), refi = reference.slice(i), d = ri.sub(refi);
                relL2 = Math.max(relL2, d.norm2Number().doubleValue() / refi.norm2Number().doubleValue());
                worstPixel = Math.max(worstPixel, d.amaxNumber().doubleValue() / refi.amaxNumber().doubleValue());
                predictionOk &= e.predicted(i) == logits64.slice(i).argMax().getInt(0);
            }
            double logitError = e.logits().castTo(DataType.DOUBLE).sub(logits64).amaxNumber().doubleValue()
                    / logits64.amaxNumber().doubleValue();
            double[] engineMs = timing ? time(engine, x, targets, repeats) : new double[] {Double.NaN, Double.NaN};
            return new Row(name, "yes", "", layers, parameters, relL2, worstPixel, logitError, predictionOk, engineMs, torchMs);
        } catch (RuntimeException ex) {     // an import the engine cannot run is a result too
            return new Row(name, "error", ex.getClass().getSimpleName() + ": " + firstLine(ex.getMessage()), layers, parameters,
                    Double.NaN, Double.NaN, Double.NaN, false, new double[] {Double.NaN, Double.NaN}, torchMs);
        }
    }

    /** Engine ms per image at batch 1 (the first image) and batch 8 (the inputs repeated): median after a warm-up. */
    static double[] time(LrpEngine engine, INDArray x, int[] targets, int repeats) {
        int n = (int) x.size(0);
        INDArray[] copies = new INDArray[8];
        int[] t8 = new int[8];
        for (int i = 0; i < 8; i++) {
            copies[i] = x.slice(i % n).reshape(1, x.size(1), x.size(2), x.size(3));
            t8[i] = targets[i % n];
        }
        INDArray x1 = copies[0].dup(), x8 = Nd4j.concat(0, copies);
        return new double[] {msPerImage(engine, x1, new int[] {targets[0]}, repeats), msPerImage(engine, x8, t8, repeats)};
    }

    private static double msPerImage(LrpEngine engine, INDArray x, int[] targets, int repeats) {
        long t0 = System.nanoTime();
        engine.explain(x, targets, false);                                  // warm-up: workspace learning, oneDNN primitives,
        while (System.nanoTime() - t0 < 1_000_000_000L) engine.explain(x, targets, false);  // and a second of JIT for small ones
        int k = (System.nanoTime() - t0) / 1e9 > 10 ? Math.min(repeats, 3) : repeats;   // big models: fewer repeats
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            long s = System.nanoTime();
            engine.explain(x, targets, false);
            times.add((System.nanoTime() - s) / 1e6);
        }
        return Stats.of(times).median() / x.size(0);
    }

    static double[] torchTiming(Path dir) {
        Path f = dir.resolve("torch_timing.json");
        if (!Files.exists(f)) return new double[] {Double.NaN, Double.NaN};
        try {
            JsonNode t = new ObjectMapper().readTree(f.toFile());
            return new double[] {t.path("ms_per_image_b1").asDouble(Double.NaN), t.path("ms_per_image_b8").asDouble(Double.NaN)};
        } catch (IOException e) {
            return new double[] {Double.NaN, Double.NaN};
        }
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static final String FMT = "%-19s %-8s %6s %11s  %8s %8s %8s  %-4s  %9s %9s  %9s %9s  %8s%s%n";

    static void print(List<Row> rows) {
        System.out.println();
        System.out.printf(FMT, "model", "imported", "layers", "parameters", "rel L2", "pixel", "logits", "", "engine b1", "b8",
                "torch b1", "b8", "ratio b8", "");
        for (Row r : rows) System.out.print(format(r) + System.lineSeparator());
        long imported = rows.stream().filter(Row::imported).count(), passed = rows.stream().filter(Row::pass).count();
        System.out.printf("%n%d of %d imported, %d passed%n", imported, rows.size(), passed);
        System.out.printf(Locale.ROOT, "rel L2 = max over the images of ||R - R_ref|| / ||R_ref||; pixel = |R - R_ref|max / |R_ref|max; "
                + "logits = |logits - float64 logits|max / |float64 logits|max;%nPASS = same class as the float64 model and rel L2 <= %.0e; "
                + "ms per image (median); ratio = PyTorch ms / engine ms at batch 8 (> 1: the engine is faster)%n", MAX_REL_L2);
    }

    static String format(Row r) {
        String verdict = !r.imported() ? "" : r.status().equals("error") ? "FAIL" : r.reason().isEmpty() ? (r.pass() ? "PASS" : "FAIL") : "-";
        String tail = r.reason().isEmpty() ? "" : "  " + r.status() + ": " + r.reason();
        if (r.imported() && r.reason().isEmpty() && !r.predictionOk()) tail = "  predicted class differs from the float64 model's";
        return String.format(Locale.ROOT, FMT, r.name(), r.status(), r.imported() ? r.layers() : "-",
                r.imported() ? String.format(Locale.ROOT, "%,d", r.parameters()) : "-",
                sci(r.relL2()), sci(r.worstPixel()), sci(r.logitError()), verdict, ms(r.engineMs()[0]), ms(r.engineMs()[1]),
                ms(r.torchMs()[0]), ms(r.torchMs()[1]),
                Double.isNaN(r.engineMs()[1]) || Double.isNaN(r.torchMs()[1]) ? "-"
                        : String.format(Locale.ROOT, "%.2fx", r.torchMs()[1] / r.engineMs()[1]), tail).stripTrailing();
    }

    private static String sci(double v) { return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1e", v); }

    private static String ms(double v) { return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v); }
}
