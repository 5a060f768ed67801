package org.lrpaudit.job;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.lrpaudit.audit.RegionPerturbation;
import org.lrpaudit.audit.RegionPerturbation.Order;
import org.lrpaudit.data.Preprocessing;
import org.lrpaudit.lrp.AttentionRule;
import org.lrpaudit.lrp.Composite;
import org.lrpaudit.lrp.MaxPoolMode;
import org.lrpaudit.lrp.Presets;
import org.lrpaudit.model.Network;
import org.lrpaudit.output.Columns;
import org.lrpaudit.output.FaithfulnessColumns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --faithfulness}: how faithful the heatmaps are to the model, per class, by region perturbation on a sample
 * of each class's explained images (stratified over its SpRAy clusters), for the run's composite and any others named
 * — so one run shows which composite ranks the evidence the way the model uses it. Writes faithfulness/curves and
 * faithfulness/summary (docs/faithfulness.md).
 */
public final class Faithfulness {
    private static final Logger log = LoggerFactory.getLogger(Faithfulness.class);
    /** A composite name that is not a preset: LRP-0 on every layer. */
    public static final String LRP_0 = "lrp-0";

    /**
     * @param composites labels, the run's composite first (it also runs the random orders)
     * @param sample     images per class
     * @param patch      side of a square patch, in input pixels
     * @param steps      L, steps from the image (0) to the baseline everywhere (L)
     * @param batchSize  inputs per forward pass, and images per LRP pass
     */
    public record Options(List<String> composites, int sample, int patch, int steps, int batchSize) implements java.io.Serializable {
        public static final int DEFAULT_SAMPLE = 32, DEFAULT_STEPS = 16, PATCHES_PER_SIDE = 8;

        public Options {
            composites = List.copyOf(composites);
            if (composites.isEmpty()) throw new IllegalArgumentException("--faithfulness needs at least one composite");
            if (sample < 1) throw new IllegalArgumentException("--faithfulness-sample must be at least 1, got " + sample);
            if (steps < 1) throw new IllegalArgumentException("--faithfulness-steps must be at least 1, got " + steps);
            if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
        }

        int imagesPerPass() { return batchSize; }

        /** The default patch side: about {@value #PATCHES_PER_SIDE} patches along the shorter side (4 px on 28×28, 28 px on 224×224). */
        public static int defaultPatch(int height, int width) {
            return Math.max(1, (Math.min(height, width) + PATCHES_PER_SIDE - 1) / PATCHES_PER_SIDE);
        }

        /** Checks the patch and step counts against the input size (before any task runs). */
        public Options validate(int height, int width) {
            if (patch < 1 || patch > Math.min(height, width)) {
                throw new IllegalArgumentException("--faithfulness-patch " + patch + " does not fit the " + height + "x" + width
                        + " input; give 1.." + Math.min(height, width) + " pixels");
            }
            int patches = new RegionPerturbation.Grid(height, width, patch).count();
            if (steps > patches) {
                throw new IllegalArgumentException("--faithfulness-steps " + steps + " is more than the " + patches + " patches of "
                        + patch + " pixels on the " + height + "x" + width + " input; lower the steps or the patch size");
            }
            return this;
        }
    }

    /** What the phase wrote, for the report: faithfulness/summary and faithfulness/curves as read back. */
    public record Outcome(List<Row> summary, List<Row> curves) {}

    private Faithfulness() {}

    /**
     * The composites a {@code --faithfulness} value names: {@code on} is the run's composite alone, a comma-separated
     * list adds presets and {@code lrp-0} to it; {@code off} (or no value) returns null.
     *
     * @param runLabel the run's composite: its preset name, or "rules" for a --rules spec
     */
    public static List<String> composites(String value, String runLabel) {
        if (value == null) return null;
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("off") || v.equals("false") || v.equals("no")) return null;
        List<String> out = new ArrayList<>(List.of(runLabel));
        if (v.equals("on") || v.equals("true") || v.equals("yes")) return out;
        for (String name : v.split(",")) {
            String n = name.trim();
            if (n.isEmpty()) continue;
            if (!Presets.NAMES.contains(n) && !n.equals(LRP_0)) {
                throw new IllegalArgumentException("--faithfulness: unknown composite '" + n + "'; give on, off, or a comma-separated list of "
                        + Presets.NAMES + " and " + LRP_0);
            }
            if (!out.contains(n)) out.add(n);
        }
        return out;
    }

    /** What the settings ask for: the options and label → composite (the run's first), or null when the check is off. */
    public record Setup(Options options, Map<String, Composite> composites) {
        /** For the manifest: the settings in effect and the rules of every composite. */
        public Map<String, Object> describe() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("sample_per_class", options.sample());
            out.put("patch", options.patch());
            out.put("steps", options.steps());
            out.put("baseline", "0 in the model's input (the --mean colour)");
            Map<String, String> rules = new LinkedHashMap<>();
            composites.forEach((label, c) -> rules.put(label, c.canonicalSpec()));
            out.put("composites", rules);
            return out;
        }
    }

    /** The plan with another composite: everything else (network, preprocessing, classes, target) as the run's. */
    record WithComposite(ExplainPlan base, Composite composite) implements ExplainPlan {
        @Override public Network network() { return base.network(); }
        @Override public Preprocessing preprocessing() { return base.preprocessing(); }
        @Override public List<String> classNames() { return base.classNames(); }
        @Override public int targetFor(Integer label) { return base.targetFor(label); }
    }

    /**
     * Samples each class, runs the perturbations on the executors and writes faithfulness/curves and /summary.
     *
     * @param explained   images/ as written (image_id, target)
     * @param inputs      the run's input rows ({@link Columns#INPUT}), read again for the sampled images only
     * @param composites  label → composite, the run's first
     * @param clusters    image_clusters/ (image_id, target, cluster), or null when SpRAy is off
     */
    public static Outcome run(SparkSession spark, Dataset<Row> explained, Dataset<Row> inputs, ExplainPlan plan,
                              Map<String, Composite> composites, Options o, Dataset<Row> clusters, long maxPixels, String output) {
        long t0 = System.nanoTime();
        Dataset<Row> sample = sample(explained, clusters, o.sample());
        List<Column> cols = new ArrayList<>();
        for (String f : Columns.INPUT.fieldNames()) cols.add(col("i." + f));
        cols.add(col("s." + Columns.TARGET));
        Dataset<Row> rows = LrpAudit.conform(inputs).as("i").join(functions.broadcast(sample).as("s"),
                col("i." + Columns.IMAGE_ID).equalTo(col("s." + Columns.IMAGE_ID))).select(cols.toArray(new Column[0]));
        int parallelism = spark.sparkContext().defaultParallelism();
        rows = rows.repartition(parallelism, col(Columns.IMAGE_ID));

        List<Broadcast<ExplainPlan>> plans = new ArrayList<>();
        List<String> labels = new ArrayList<>(composites.keySet());
        for (Composite c : composites.values()) {
            plans.add(spark.sparkContext().broadcast(new WithComposite(plan, c), scala.reflect.ClassTag$.MODULE$.apply(ExplainPlan.class)));
        }
        Dataset<Row> perImage = rows.mapPartitions(new PerturbationTask(plans, labels, o, maxPixels),
                ExpressionEncoder.apply(FaithfulnessColumns.PER_IMAGE));
        List<Row> means = perImage.select(col(Columns.TARGET), col(FaithfulnessColumns.COMPOSITE), col(FaithfulnessColumns.ORDER),
                        functions.posexplode(col(FaithfulnessColumns.CURVE)).as(new String[] {FaithfulnessColumns.STEP, "value"}))
                .groupBy(Columns.TARGET, FaithfulnessColumns.COMPOSITE, FaithfulnessColumns.ORDER, FaithfulnessColumns.STEP)
                .agg(functions.avg("value").as(FaithfulnessColumns.MEAN_LOGIT), functions.count("value").as(FaithfulnessColumns.IMAGES))
                .orderBy(Columns.TARGET, FaithfulnessColumns.COMPOSITE, FaithfulnessColumns.ORDER, FaithfulnessColumns.STEP).collectAsList();
        for (Broadcast<ExplainPlan> b : plans) EngineCache.release(b); // the driver runs tasks in local mode: drop its engines now

        Preprocessing pre = plan.preprocessing();
        int patches = new RegionPerturbation.Grid(pre.height(), pre.width(), o.patch()).count();
        List<Row> curveRows = new ArrayList<>();
        for (Row m : means) {
            int target = m.getInt(0), step = m.getInt(3);
            curveRows.add(RowFactory.create(target, plan.classNames().get(target), m.getString(1), m.getString(2), step,
                    RegionPerturbation.removedAt(step, o.steps(), patches) / (double) patches, m.getDouble(4), m.getLong(5)));
        }
        List<Row> summary = summary(curveRows, labels, o.steps());
        String dir = AuditJob.child(output, FaithfulnessColumns.DIR);
        spark.createDataFrame(curveRows, FaithfulnessColumns.CURVES_SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite)
                .parquet(AuditJob.child(dir, FaithfulnessColumns.CURVES));
        spark.createDataFrame(summary, FaithfulnessColumns.SUMMARY_SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite)
                .parquet(AuditJob.child(dir, FaithfulnessColumns.SUMMARY));
        log.info(String.format(Locale.ROOT, "faithfulness: %d classes, %s, %d patches of %d px, %d steps in %.1f s", summary.size() / Math.max(1, labels.size()),
                labels, patches, o.patch(), o.steps(), (System.nanoTime() - t0) / 1e9));
        return new Outcome(readBack(spark, AuditJob.child(dir, FaithfulnessColumns.SUMMARY), Columns.TARGET, FaithfulnessColumns.COMPOSITE),
                readBack(spark, AuditJob.child(dir, FaithfulnessColumns.CURVES), Columns.TARGET, FaithfulnessColumns.COMPOSITE, FaithfulnessColumns.ORDER,
                        FaithfulnessColumns.STEP));
    }

    private static List<Row> readBack(SparkSession spark, String path, String... order) {
        return spark.read().parquet(AuditJob.literal(path)).orderBy(order[0], java.util.Arrays.copyOfRange(order, 1, order.length)).collectAsList();
    }

    /**
     * Up to n images per target class, stratified over its clusters: within a cluster images are ranked by a hash of
     * their id, and the class takes the n smallest (rank − ½)/size, so each cluster contributes in proportion to its
     * size. Deterministic: the same images/ gives the same sample.
     */
    static Dataset<Row> sample(Dataset<Row> explained, Dataset<Row> clusters, int n) {
        Dataset<Row> ids = explained.select(Columns.IMAGE_ID, Columns.TARGET);
        Dataset<Row> withCluster = clusters == null ? ids.withColumn("cluster", functions.lit(0))
                : ids.join(clusters.select(Columns.IMAGE_ID, "cluster"), Columns.IMAGE_ID);
        Column hash = functions.xxhash64(col(Columns.IMAGE_ID));
        var inCluster = Window.partitionBy(Columns.TARGET, "cluster").orderBy(hash, col(Columns.IMAGE_ID));
        var cluster = Window.partitionBy(Columns.TARGET, "cluster");
        Dataset<Row> keyed = withCluster.withColumn("key", functions.row_number().over(inCluster).minus(0.5)
                .divide(functions.count(functions.lit(1)).over(cluster)));
        var inClass = Window.partitionBy(Columns.TARGET).orderBy(col("key"), hash, col(Columns.IMAGE_ID));
        return keyed.withColumn("n", functions.row_number().over(inClass)).filter(col("n").leq(n)).select(Columns.IMAGE_ID, Columns.TARGET);
    }

    /** Per class and composite: AOPC of MoRF and LeRF, SRG, and the random order's AOPC and SRG (random vs reversed). */
    static List<Row> summary(List<Row> curves, List<String> labels, int steps) {
        Map<String, double[]> byKey = new LinkedHashMap<>();
        Map<Integer, String> names = new LinkedHashMap<>();
        Map<Integer, Long> counts = new LinkedHashMap<>();
        for (Row r : curves) {
            int target = r.getInt(0);
            names.put(target, r.getString(1));
            counts.put(target, r.getLong(7));
            byKey.computeIfAbsent(target + "/" + r.getString(2) + "/" + r.getString(3), k -> new double[steps + 1])[r.getInt(4)] = r.getDouble(6);
        }
        List<Row> out = new ArrayList<>();
        for (int target : names.keySet()) {
            double[] random = byKey.get(target + "/" + labels.get(0) + "/" + Order.RANDOM.label());
            double[] reversed = byKey.get(target + "/" + labels.get(0) + "/" + Order.RANDOM_REVERSED.label());
            for (String label : labels) {
                double[] morf = byKey.get(target + "/" + label + "/" + Order.MORF.label());
                double[] lerf = byKey.get(target + "/" + label + "/" + Order.LERF.label());
                if (morf == null || lerf == null || random == null || reversed == null) continue;
                double srg = RegionPerturbation.srg(morf, lerf), srgRandom = RegionPerturbation.srg(random, reversed);
                double drop = morf[0] - morf[steps];
                boolean scaled = drop > 1e-6 * Math.max(1, Math.abs(morf[0]));
                out.add(RowFactory.create(target, names.get(target), label, counts.get(target), morf[0], morf[steps],
                        RegionPerturbation.aopc(morf), RegionPerturbation.aopc(lerf), srg, RegionPerturbation.aopc(random), srgRandom,
                        scaled ? srg / drop : null, scaled ? srgRandom / drop : null));
            }
        }
        return out;
    }
}
