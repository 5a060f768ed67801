package org.lrpaudit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.SparkSession;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.job.AuditJob;

/**
 * A scheduled audit after a small change: an IDX file (Debian's Fashion-MNIST t10k, 10,000 images) is audited once as
 * the baseline, then 10% of its images get new pixels (same file, same path, so image ids stay file#index), and the
 * changed file is audited in alternating rounds in full and with --baseline. Compares the "explain and images/" phase
 * (with --baseline: the explain pass over all inputs, the engine on the changed ones, the copy of the unchanged rows)
 * and the "baseline keys" phase that comes before it (reading and broadcasting the baseline's fingerprints).
 */
final class BaselineBenchmark {
    static final String CONFIG = SparkJobBenchmark.CONFIG;
    private String model;

    /** @param model null: the sample's CNN (its configuration's model); else another 28×28 gray model of 10 classes */
    void run(int rounds, Path idx, String master, double changedShare, String model) throws Exception {
        this.model = model;
        if (!Files.exists(idx)) throw new IllegalArgumentException(idx + " missing (apt-get install dataset-fashion-mnist, or --idx FILE)");
        Path work = Files.createTempDirectory("lrp-bench-baseline");
        Path images = work.resolve(idx.getFileName()), labels = work.resolve(idx.getFileName().toString().replace("images-idx3", "labels-idx1"));
        Files.copy(idx, images);
        Path labelsBeside = idx.resolveSibling(labels.getFileName());
        if (Files.exists(labelsBeside)) Files.copy(labelsBeside, labels);
        SparkSession.builder().master(master).config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config(new java.util.HashMap<String, Object>(AuditJob.SESSION_DEFAULTS)).getOrCreate();
        String base = work.resolve("base").toString();
        audit(images, work.resolve("base"));
        int changed = change(images, changedShare);
        System.err.printf(Locale.ROOT, "  baseline written; %,d images changed in %s%n", changed, images);

        List<Double> fullExplain = new ArrayList<>(), fullRun = new ArrayList<>(), incExplain = new ArrayList<>(), incKeys = new ArrayList<>(),
                incRun = new ArrayList<>(), incCopy = new ArrayList<>(), incPass = new ArrayList<>(), ratio = new ArrayList<>(),
                cpuRatio = new ArrayList<>();
        long explainedNow = 0, carried = 0;
        for (int round = 0; round < rounds + 1; round++) { // round 0 warms the JIT
            AuditJob.Result full = audit(images, work.resolve("full"));
            AuditJob.Result inc = audit(images, work.resolve("incremental"), "--baseline", base);
            JsonNode manifest = new ObjectMapper().readTree(work.resolve("incremental/_manifest.json").toFile()), counts = manifest.get("counts"),
                    fullManifest = new ObjectMapper().readTree(work.resolve("full/_manifest.json").toFile());
            double cpu = cpuShare(manifest, fullManifest);
            double copy = manifest.get("baseline").get("copy_seconds").asDouble();
            explainedNow = counts.get("explained_now").asLong();
            carried = counts.get("carried_over").asLong();
            if (explainedNow != changed || inc.explained() != full.explained()) {
                throw new IllegalStateException("explained now " + explainedNow + " of " + inc.explained() + ", expected " + changed + " of " + full.explained());
            }
            System.err.printf(Locale.ROOT, "  round %d: full run %.2f s (explain %.2f), --baseline %.2f s (baseline keys %.2f, explain %.2f, "
                    + "of which the copy %.2f); explain phase CPU --baseline / full %.0f%%%n", round, seconds(full), explain(full), seconds(inc), keys(inc),
                    explain(inc), copy, 100 * cpu);
            if (round == 0) continue;
            fullExplain.add(explain(full)); fullRun.add(seconds(full));
            incExplain.add(explain(inc)); incKeys.add(keys(inc)); incRun.add(seconds(inc)); incCopy.add(copy); incPass.add(explain(inc) - copy);
            ratio.add(explain(inc) / explain(full)); // of the round's pair: the machine's load moves both alike
            cpuRatio.add(cpu);
        }
        Stats fe = Stats.of(fullExplain), ie = Stats.of(incExplain), ik = Stats.of(incKeys), fr = Stats.of(fullRun), ir = Stats.of(incRun),
                ic = Stats.of(incCopy), ip = Stats.of(incPass);
        System.out.printf(Locale.ROOT, "%n%s, %,d images, %,d changed (%.0f%%), model %s, %s, --spray off, medians of %d rounds (min, max)%n",
                idx.getFileName(), explainedNow + carried, changed, 100.0 * changed / (explainedNow + carried), model == null ? "of " + CONFIG : model,
                master, rounds);
        String fmt = "%-34s %22s %22s%n";
        System.out.printf(fmt, "run", "explain and images/ s", "whole run s");
        System.out.printf(fmt, "full", stats(fe), stats(fr));
        System.out.printf(fmt, "--baseline", stats(ie), stats(ir));
        System.out.printf(fmt, "  in it: explain pass", stats(ip), "");
        System.out.printf(fmt, "  in it: copy of unchanged rows", stats(ic), "");
        System.out.printf(fmt, "  before it: baseline keys", stats(ik), "");
        System.out.printf(Locale.ROOT, "--baseline / full: explain phase %.0f%% (explain pass %.0f%%, copy %.0f%%), explain phase + baseline keys "
                + "%.0f%%, whole run %.0f%%%n", 100 * ie.median() / fe.median(), 100 * ip.median() / fe.median(),
                100 * ic.median() / fe.median(), 100 * (ie.median() + ik.median()) / fe.median(), 100 * ir.median() / fr.median());
        Stats rr = Stats.of(ratio);
        System.out.printf(Locale.ROOT, "explain phase --baseline / full, per round: median %.0f%% (%.0f%%, %.0f%%)%n", 100 * rr.median(), 100 * rr.min(),
                100 * rr.max());
        Stats cr = Stats.of(cpuRatio);
        System.out.printf(Locale.ROOT, "explain phase --baseline / full, process CPU seconds per round: median %.0f%% (%.0f%%, %.0f%%)%n",
                100 * cr.median(), 100 * cr.min(), 100 * cr.max());
        System.out.printf(Locale.ROOT, "explained now %,d, carried over %,d%n", explainedNow, carried);
    }

    private AuditJob.Result audit(Path input, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("--config", CONFIG, "--input", input.toString(), "--output", out.toString(), "--overwrite",
                "--spray", "off"));
        if (model != null) args.addAll(List.of("--model", model));
        args.addAll(List.of(extra));
        AuditJob.Result r = AuditJob.run(Requests.audit(Settings.parse(args.toArray(new String[0]))));
        if (r.failed() != 0) throw new IllegalStateException(r.failed() + " images failed");
        return r;
    }

    /** Inverts the pixels of a random share of the images in place; returns how many. */
    private static int change(Path idx, double share) throws IOException {
        byte[] bytes;
        try (var in = new GZIPInputStream(Files.newInputStream(idx))) {
            bytes = in.readAllBytes();
        }
        java.nio.ByteBuffer header = java.nio.ByteBuffer.wrap(bytes);
        header.getInt();
        int n = header.getInt(), size = header.getInt() * header.getInt(), changed = 0;
        Random random = new Random(11);
        for (int i = 0; i < n; i++) {
            if (random.nextDouble() >= share) continue;
            for (int p = 16 + i * size; p < 16 + (i + 1) * size; p++) bytes[p] = (byte) ~bytes[p];
            changed++;
        }
        try (var out = new GZIPOutputStream(Files.newOutputStream(idx))) {
            out.write(bytes);
        }
        return changed;
    }

    /** The explain phase's CPU seconds (manifest phase_cpu_seconds: local mode, so the executors' too), --baseline over full. */
    private static double cpuShare(JsonNode incremental, JsonNode full) {
        return incremental.at("/phase_cpu_seconds").get(AuditJob.EXPLAIN_PHASE).asDouble() / full.at("/phase_cpu_seconds").get(AuditJob.EXPLAIN_PHASE).asDouble();
    }

    private static double explain(AuditJob.Result r) { return r.phaseSeconds().get(AuditJob.EXPLAIN_PHASE); }

    private static double keys(AuditJob.Result r) { return r.phaseSeconds().getOrDefault("baseline keys", 0.0); }

    private static double seconds(AuditJob.Result r) { return r.duration().toMillis() / 1000.0; }

    private static String stats(Stats s) { return String.format(Locale.ROOT, "%.2f (%.2f, %.2f)", s.median(), s.min(), s.max()); }
}
