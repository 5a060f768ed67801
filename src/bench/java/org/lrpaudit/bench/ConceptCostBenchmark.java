package org.lrpaudit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.job.AuditJob;

/**
 * What --concept-layers adds to a run: the sample's CNN over an IDX file (Debian's Fashion-MNIST t10k, 10,000 images),
 * audited in rounds without and with concept vectors (auto: the last convolution; which goes first alternates), SpRAy
 * on, in one JVM.
 * Reports per round the ratio of wall time and of process CPU seconds (local mode: driver and executors), the
 * explain phase (vectors taken in the backward pass, a larger images/ row) and the concepts phase itself.
 */
final class ConceptCostBenchmark {
    static final String CONFIG = SparkJobBenchmark.CONFIG;

    void run(int rounds, Path idx, String master) throws Exception {
        if (!Files.exists(idx)) throw new IllegalArgumentException(idx + " missing (apt-get install dataset-fashion-mnist, or --idx FILE)");
        Path work = Files.createTempDirectory("lrp-bench-concepts");
        SparkSession.builder().master(master).config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config(new java.util.HashMap<String, Object>(AuditJob.SESSION_DEFAULTS)).getOrCreate();
        List<Double> wall = new ArrayList<>(), cpu = new ArrayList<>(), explain = new ArrayList<>(), phase = new ArrayList<>(), phaseShare = new ArrayList<>();
        for (int round = 0; round < rounds + 1; round++) { // round 0 warms the JIT
            // the order alternates: whichever run goes second in a round finds warmer caches
            AuditJob.Result plain = round % 2 == 0 ? audit(idx, work.resolve("plain")) : null;
            AuditJob.Result with = audit(idx, work.resolve("concepts"), "--concept-layers", "auto");
            if (plain == null) plain = audit(idx, work.resolve("plain"));
            JsonNode a = new ObjectMapper().readTree(work.resolve("plain/_manifest.json").toFile()),
                    b = new ObjectMapper().readTree(work.resolve("concepts/_manifest.json").toFile());
            double w = seconds(with) / seconds(plain), c = cpuTotal(b) / cpuTotal(a),
                    e = with.phaseSeconds().get(AuditJob.EXPLAIN_PHASE) / plain.phaseSeconds().get(AuditJob.EXPLAIN_PHASE),
                    p = with.phaseSeconds().getOrDefault("concepts", 0.0), share = p / seconds(plain);
            System.err.printf(Locale.ROOT, "  round %d: without %.1f s, with %.1f s (concepts phase %.1f s); wall %.3f, CPU %.3f, explain phase %.3f%n",
                    round, seconds(plain), seconds(with), p, w, c, e);
            if (round == 0) continue;
            wall.add(w); cpu.add(c); explain.add(e); phase.add(p); phaseShare.add(share);
        }
        System.out.printf(Locale.ROOT, "%n%s with the sample's CNN, %s, SpRAy on, medians of %d rounds (min, max), with / without --concept-layers auto:%n",
                idx.getFileName(), master, rounds);
        System.out.printf(Locale.ROOT, "whole run wall %s, process CPU %s, explain phase wall %s; concepts phase %s s = %s of a run without%n",
                ratio(Stats.of(wall)), ratio(Stats.of(cpu)), ratio(Stats.of(explain)), plain(Stats.of(phase)), ratio(Stats.of(phaseShare)));
    }

    private static AuditJob.Result audit(Path input, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("--config", CONFIG, "--input", input.toString(), "--output", out.toString(), "--overwrite"));
        args.addAll(List.of(extra));
        return AuditJob.run(Requests.audit(Settings.parse(args.toArray(new String[0]))));
    }

    private static double cpuTotal(JsonNode manifest) {
        double sum = 0;
        for (JsonNode v : manifest.get("phase_cpu_seconds")) sum += v.asDouble();
        return sum;
    }

    private static double seconds(AuditJob.Result r) { return r.duration().toMillis() / 1000.0; }

    private static String ratio(Stats s) { return String.format(Locale.ROOT, "%.3f (%.3f, %.3f)", s.median(), s.min(), s.max()); }

    private static String plain(Stats s) { return String.format(Locale.ROOT, "%.2f (%.2f, %.2f)", s.median(), s.min(), s.max()); }
}
