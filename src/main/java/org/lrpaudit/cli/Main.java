package org.lrpaudit.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.lrpaudit.backend.NativeBackend;
import org.apache.spark.sql.SparkSession;
import org.lrpaudit.cli.Settings.Key;
import org.lrpaudit.compare.AuditComparison;
import org.lrpaudit.compare.ComparisonOutput;
import org.lrpaudit.compare.Thresholds;
import org.lrpaudit.data.ImageDecoder;
import org.lrpaudit.job.AuditJob;
import org.lrpaudit.job.ClassSummary;
import org.lrpaudit.job.ExplainSetup;
import org.lrpaudit.job.Target;
import org.lrpaudit.lrp.Explanation;
import org.lrpaudit.lrp.LayerTable;
import org.lrpaudit.lrp.LrpEngine;
import org.lrpaudit.lrp.MemoryModel;
import org.lrpaudit.ml.LrpExplainer;
import org.lrpaudit.model.ModelFormatException;
import org.lrpaudit.render.Heatmaps;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Command line: {@code describe} prints the layer table with each layer's rule; {@code explain} explains one
 * image. Errors are reported as one line naming the problem and exit with status 2.
 */
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            out.println(help());
            return args.length == 0 ? 2 : 0;
        }
        boolean job = args[0].startsWith("--"); // no command: the audit job
        String command = job ? "run" : args[0];
        String[] rest = job ? args : Arrays.copyOfRange(args, 1, args.length);
        try {
            switch (command) {
                case "describe" -> describe(Settings.parse(rest), out);
                case "explain" -> explain(Settings.parse(rest), out);
                case "run" -> audit(Settings.parse(rest), out);
                case "compare" -> { return compare(Settings.parse(rest), out); }
                default -> throw new IllegalArgumentException("unknown command '" + command + "'\n" + help());
            }
            return 0;
        } catch (IllegalArgumentException | ModelFormatException e) {
            err.println("lrp-audit: " + e.getMessage());
            return 2;
        }
    }

    static String help() {
        return """
                usage: lrp-audit [run] --model M.onnx --input PATH --output DIR [options]   (the Spark job)
                       lrp-audit describe --model M.onnx [--rules SPEC | --preset NAME] [--maxpool avg|wta] [--attention cp|attn]
                       lrp-audit explain  --model M.onnx --image FILE [--heatmap OUT.png] [options]
                       lrp-audit compare  --baseline DIR --current DIR [--output DIR] [--thresholds FILE] [--fail-on fail|warn]
                                          (exit 0 passed, 1 a check failed, 2 not comparable or bad usage)
                """ + Settings.usage();
    }

    static void describe(Settings s, PrintStream out) {
        LrpExplainer explainer = Requests.explainer(s);
        ExplainSetup setup = Requests.explainSetup(s, explainer);
        out.print(LayerTable.render(setup.network(), setup.composite()));
        out.println("preprocessing: " + setup.preprocessing());
        int batch = explainer.getBatchSize();
        out.println("memory at --batch-size " + batch + ":");
        MemoryModel memory = MemoryModel.measure(new LrpEngine(setup.network(), setup.composite(), setup.preprocessing().bounds()), batch);
        for (String line : memory.describe(batch)) out.println("  " + line);
    }

    static void explain(Settings s, PrintStream out) {
        LrpExplainer explainer = Requests.explainer(s);
        ExplainSetup setup = Requests.explainSetup(s, explainer);
        Path image = Path.of(s.require(Key.IMAGE));
        float[] x;
        try {
            byte[] bytes = Files.readAllBytes(image);
            x = setup.preprocessing().apply(new ImageDecoder(explainer.getMaxPixels()).decode(bytes));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read image " + image + ": " + e.getMessage());
        } catch (ImageDecoder.BadImageException e) {
            throw new IllegalArgumentException(image + ": " + e.getMessage());
        }
        long[] shape = setup.preprocessing().shape();
        LrpEngine engine = new LrpEngine(setup.network(), setup.composite(), setup.preprocessing().bounds());
        int target = setup.target().kind() == Target.Kind.LABEL ? fail("--target label needs a dataset with labels; use the job")
                : setup.target().resolve(null);
        Explanation e = engine.explain(Nd4j.create(x, new long[] {1, shape[0], shape[1], shape[2]}, DataType.FLOAT),
                new int[] {target}, false);
        double[] p = e.probabilities(0);
        int predicted = e.predicted(0);
        float[] heatmap = e.heatmap(0);
        double pos = 0, neg = 0;
        for (float v : heatmap) { if (v > 0) pos += v; else neg += v; }
        out.printf("image      %s%n", image);
        out.printf("native     %s%n", NativeBackend.ensureLoaded().describe());
        out.printf("rules      %s%n", setup.composite());
        out.printf("predicted  %d %s (p = %.4f)%n", predicted, setup.classNames().get(predicted), p[predicted]);
        out.printf("target     %d %s, logit %.4f%n", e.target(0), setup.classNames().get(e.target(0)), e.targetLogit(0));
        out.printf("relevance  sum %.4f (%.1f%% of the logit absorbed by biases/epsilon), positive %.4f, negative %.4f%n",
                e.relevanceSum(0), 100 * e.absorbedShare(0), pos, neg);
        if (s.has(Key.HEATMAP)) {
            Path png = Path.of(s.get(Key.HEATMAP));
            try {
                Heatmaps.writePng(heatmap, (int) shape[1], (int) shape[2], png);
            } catch (java.io.IOException ex) {
                throw new IllegalArgumentException("cannot write heatmap " + png + ": " + ex.getMessage());
            }
            out.printf("heatmap    %s (red: evidence for the target, blue: against)%n", png);
        }
    }

    static void audit(Settings s, PrintStream out) {
        AuditJob.Result r = AuditJob.run(Requests.audit(s));
        out.printf("lrp-audit: %,d images in %.1f s: %,d explained%s, %,d failed%s%n", r.input(), r.duration().toMillis() / 1000.0,
                r.explained(), r.carriedOver() == 0 ? "" : String.format(" (%,d carried over from --baseline)", r.carriedOver()), r.failed(),
                r.accuracy() == null ? "" : String.format(", accuracy %.1f%% where labelled", 100 * r.accuracy()));
        out.println(ClassSummary.render(r.classes()));
        out.printf("images/   %s/images   (one row per explained image: heatmap and statistics)%n", r.output());
        out.printf("classes/  %s/classes  (per class aggregates, mean heatmaps)%n", r.output());
        out.printf("errors/   %s/errors   (%,d inputs that failed, with stage and reason)%n", r.output(), r.failed());
        if (s.enabled(Key.SPRAY, true)) {
            out.println(r.findings().isEmpty() ? "findings: none at or above the reporting threshold" : "top findings:");
            r.findings().stream().limit(5).forEach(f -> out.printf("  %-6s %.2f  %s%n", f.severity(), f.score(), f.reason()));
        }
        if (s.enabled(Key.SPRAY, true)) {
            out.printf("clusters/ %s/clusters (SpRAy: clusters per class; image_clusters/ has each image's cluster)%n", r.output());
            out.printf("findings/ %s/findings (ranked, with reasons)%n", r.output());
        }
        if (r.phaseSeconds().containsKey("faithfulness")) {
            out.printf("faithfulness/ %s/faithfulness (per class and composite: perturbation curves, AOPC, SRG)%n", r.output());
        }
        out.printf("report    %s%n", r.report());
        out.printf("manifest  %s/_manifest.json%n", r.output());
    }

    /** Compares two audits, writes the comparison and returns the gate's exit code. */
    static int compare(Settings s, PrintStream out) {
        String baseline = s.require(Key.BASELINE), current = s.require(Key.CURRENT);
        Thresholds thresholds = s.has(Key.THRESHOLDS) ? Thresholds.read(Path.of(s.get(Key.THRESHOLDS))) : Thresholds.defaults();
        AuditComparison.FailOn failOn = AuditComparison.FailOn.parse(s.get(Key.FAIL_ON, "fail"));
        SparkSession spark = AuditJob.session(s.get(Key.MASTER));
        AuditComparison.Result r = AuditComparison.compare(spark, baseline, current, thresholds, s.flag(Key.COMPARE_ANYWAY));
        String dir = s.get(Key.OUTPUT, current);
        String page = ComparisonOutput.write(spark, r, failOn, dir);
        out.println("lrp-audit compare: " + r.headline(failOn));
        out.printf("baseline  %s (run %s)%ncurrent   %s (run %s)%n", baseline, r.baselineRunId(), current, r.currentRunId());
        r.differences().forEach(d -> out.println("differs   " + d));
        r.notes().forEach(n -> out.println("note      " + n));
        r.flagged().forEach(c -> out.println("  " + c));
        out.printf("comparison/ %s/comparison (every check)%n", dir);
        out.printf("summary     %s/comparison.json%npage        %s%n", dir, page);
        return r.exitCode(failOn);
    }

    private static int fail(String message) { throw new IllegalArgumentException(message); }
}
