package org.lrpaudit.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.lrpaudit.backend.NativeBackend;

/**
 * Benchmark entry point (scripts/benchmark runs it): {@code engine} compares the LRP engine with the PyTorch
 * reference on the MLP, the CNN and VGG-16; {@code spark} measures the whole job at local[1] and local[2] against
 * the bare engine. Prints a table of medians, spreads, ratios and peak memory.
 */
public final class LrpBenchmark {
    private LrpBenchmark() {}

    public static void main(String[] args) throws Exception {
        String suite = "engine", python = "/usr/bin/python3", vgg = "/tmp/lrp-bench/vgg16.onnx";
        int rounds = 5, repeats = 3, warmup = 2, batch = 32, rows = 20_000;
        String only = null, idx = SparkJobBenchmark.FASHION_T10K.toString(), master = "local[2]", model = null;
        double changed = 0.1;
        boolean reference = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--suite" -> suite = args[++i];
                case "--python" -> python = args[++i];
                case "--vgg" -> vgg = args[++i];
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--batch-size" -> batch = Integer.parseInt(args[++i]);
                case "--only" -> only = args[++i];
                case "--no-reference" -> reference = false;
                case "--idx" -> idx = args[++i];
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--master" -> master = args[++i];
                case "--model" -> model = args[++i];
                case "--changed" -> changed = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; use --suite engine|spark|write|baseline|concepts [--rounds N --repeats K --warmup W --vgg PATH --python PATH --batch-size N"
                        + " --only MODEL[/BATCH] --no-reference --idx IMAGES.gz --rows N --master URL"
                        + " --changed SHARE --model M.onnx]");
            }
        }
        NativeBackend.Info nativeInfo = NativeBackend.ensureLoaded();
        int threads = Integer.parseInt(System.getenv().getOrDefault("OMP_NUM_THREADS", String.valueOf(Runtime.getRuntime().availableProcessors())));
        System.out.printf("lrp-audit benchmark, suite %s: %s; OMP_NUM_THREADS=%d; %d cores%n", suite, nativeInfo.describe(), threads,
                Runtime.getRuntime().availableProcessors());
        if (suite.equals("engine")) engine(new EngineBenchmark(reference ? python : null, threads, rounds, repeats, warmup), Path.of(vgg), only);
        else if (suite.equals("spark")) spark(new SparkJobBenchmark().run(rounds, batch, Path.of(idx)));
        else if (suite.equals("write")) write(new ImagesWriteBenchmark().run(rows, rounds));
        else if (suite.equals("baseline")) new BaselineBenchmark().run(rounds, Path.of(idx), master, changed, model);
        else if (suite.equals("concepts")) new ConceptCostBenchmark().run(rounds, Path.of(idx), master);
        else throw new IllegalArgumentException("unknown suite " + suite);
    }

    private static void engine(EngineBenchmark bench, Path vgg, String only) throws Exception {
        List<EngineBenchmark.Result> results = new ArrayList<>();
        for (EngineBenchmark.Case c : EngineBenchmark.cases(Path.of("src/test/resources/fixtures"), vgg)) {
            if (only == null || (c.name() + "/" + c.batch()).startsWith(only)) results.add(bench.run(c));
        }
        String fmt = "%-7s %5s  %8s  %11s %11s  %11s %11s  %9s %9s %9s  %9s%n";
        System.out.printf(fmt, "model", "batch", "ratio", "engine img/s", "ms/img", "torch img/s", "ms/img", "heap MB", "native MB",
                "RSS MB", "torch RSS");
        for (EngineBenchmark.Result r : results) {
            int b = r.c().batch();
            System.out.printf(Locale.ROOT, fmt, r.c().name(), b, String.format(Locale.ROOT, "%.2fx", r.ratio()),
                    String.format(Locale.ROOT, "%.1f", b / r.engine().median()),
                    String.format(Locale.ROOT, "%.2f ±%.0f%%", 1000 * r.engine().median() / b, r.engine().spreadPercent()),
                    String.format(Locale.ROOT, "%.1f", b / r.reference().median()),
                    String.format(Locale.ROOT, "%.2f ±%.0f%%", 1000 * r.reference().median() / b, r.reference().spreadPercent()),
                    mb(r.heap()), mb(r.offHeap()), mb(r.rss()), String.format(Locale.ROOT, "%.0f", r.referenceRssMb()));
        }
        System.out.println("ratio = engine throughput / PyTorch reference throughput (medians of alternating rounds in this run)");
    }

    private static void spark(List<SparkJobBenchmark.Result> results) {
        for (SparkJobBenchmark.Result r : results) {
            int n = r.images();
            System.out.printf(Locale.ROOT, "%n%s%n%-40s %9s %9s  %s%n", r.input().name(), "configuration", "images/s", "ms/img",
                    "median s (min, max)");
            row("whole job local[1] (--spray off)", n, r.local1());
            row("whole job local[2] (--spray off)", n, r.local2());
            row("explain + images/ phase, local[1]", n, r.explain1());
            row("explain + images/ phase, local[2]", n, r.explain2());
            row("bare engine, 1 thread", n, r.engine1());
            row("bare engine, 2 threads", n, r.engine2());
            System.out.printf(Locale.ROOT, "local[2] / local[1]: whole job %.2fx, explain phase %.2fx%n", r.local1().median() / r.local2().median(),
                    r.explain1().median() / r.explain2().median());
            System.out.printf(Locale.ROOT, "throughput / bare engine: whole job %.2f (local[1] vs 1 thread), %.2f (local[2] vs 2 threads); "
                    + "explain phase %.2f, %.2f%n", r.engine1().median() / r.local1().median(), r.engine2().median() / r.local2().median(),
                    r.engine1().median() / r.explain1().median(), r.engine2().median() / r.explain2().median());
        }
    }

    private static void write(ImagesWriteBenchmark.Result r) {
        System.out.printf(Locale.ROOT, "%nimages/ Parquet write, %,d rows of 28x28 heatmaps, one task%n%-40s %9s %9s  %s%n", r.rows(),
                "list layout", "rows/s", "us/row", "median s (min, max)");
        for (var e : List.of(java.util.Map.entry("three-level (Spark's default)", r.threeLevel()), java.util.Map.entry("two-level (the job's)", r.twoLevel()),
                java.util.Map.entry("two-level, float dictionary tried", r.twoLevelDictionary()))) {
            Stats s = e.getValue();
            System.out.printf(Locale.ROOT, "%-40s %9.0f %9.1f  %.2f (%.2f, %.2f)%n", e.getKey(), r.rows() / s.median(), 1e6 * s.median() / r.rows(),
                    s.median(), s.min(), s.max());
        }
        System.out.printf(Locale.ROOT, "two-level / three-level throughput: %.2fx%n", r.threeLevel().median() / r.twoLevel().median());
        System.out.printf(Locale.ROOT, "float dictionary off / tried throughput: %.2fx%n", r.twoLevelDictionary().median() / r.twoLevel().median());
    }

    private static void row(String name, int n, Stats s) {
        System.out.printf(Locale.ROOT, "%-40s %9.1f %9.2f  %.2f (%.2f, %.2f)%n", name, n / s.median(), 1000 * s.median() / n, s.median(), s.min(), s.max());
    }

    private static String mb(long bytes) { return String.format(Locale.ROOT, "%.0f", bytes / 1048576.0); }
}
