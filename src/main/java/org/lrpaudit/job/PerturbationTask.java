package org.lrpaudit.job;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.lrpaudit.audit.RegionPerturbation;
import org.lrpaudit.audit.RegionPerturbation.Order;
import org.lrpaudit.data.ImageDecoder;
import org.lrpaudit.data.Preprocessing;
import org.lrpaudit.lrp.Explanation;
import org.lrpaudit.lrp.LrpEngine;
import org.lrpaudit.output.Columns;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The executor side of the faithfulness check: for each sampled image (input columns, then its target), the
 * perturbation curves of every composite's MoRF and LeRF order and of one random order and its reverse. Per image
 * and composite one LRP pass gives the heatmap; the forward passes are step 0 and step L (the same for every
 * order: the image, and the baseline everywhere) plus L−1 steps per order, run in batches of {@code batchSize}.
 * A partition is a few dozen images (the sample is small), so it is held in memory while each composite's engine is
 * leased in turn.
 */
final class PerturbationTask implements MapPartitionsFunction<Row, Row> {
    private static final int IN_IMAGE_ID = Columns.INPUT.fieldIndex(Columns.IMAGE_ID), IN_CONTENT = Columns.INPUT.fieldIndex(Columns.CONTENT),
            IN_RAW_HEIGHT = Columns.INPUT.fieldIndex(Columns.RAW_HEIGHT), IN_RAW_WIDTH = Columns.INPUT.fieldIndex(Columns.RAW_WIDTH),
            IN_TARGET = Columns.INPUT.size();

    private static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
            .policyAllocation(AllocationPolicy.OVERALLOCATE).overallocationLimit(0.05)
            .policyLearning(LearningPolicy.FIRST_LOOP).policyReset(ResetPolicy.BLOCK_LEFT).policySpill(SpillPolicy.REALLOCATE).build();

    private final List<Broadcast<ExplainPlan>> plans;
    private final List<String> labels;
    private final Faithfulness.Options options;
    private final long maxPixels;

    /** @param plans one per composite, labelled; the first one's engine also runs the random orders */
    PerturbationTask(List<Broadcast<ExplainPlan>> plans, List<String> labels, Faithfulness.Options options, long maxPixels) {
        this.plans = plans;
        this.labels = labels;
        this.options = options;
        this.maxPixels = maxPixels;
    }

    /** A sampled image, preprocessed, with the class to explain. */
    record Sampled(String id, float[] input, int target) {}

    @Override public Iterator<Row> call(Iterator<Row> rows) throws Exception {
        Preprocessing pre = plans.get(0).value().preprocessing();
        ImageDecoder decoder = new ImageDecoder(maxPixels);
        List<Sampled> images = new ArrayList<>();
        while (rows.hasNext()) {
            Row r = rows.next();
            byte[] content = (byte[]) r.get(IN_CONTENT);
            if (content == null) continue; // failed to read: it has a row in errors/, not in images/
            Integer rawH = (Integer) r.get(IN_RAW_HEIGHT), rawW = (Integer) r.get(IN_RAW_WIDTH);
            try {
                BufferedImage image = rawH != null && rawW != null ? PartitionExplainer.Raw.gray(content, rawH, rawW) : decoder.decode(content);
                images.add(new Sampled(r.getString(IN_IMAGE_ID), pre.apply(image), r.getInt(IN_TARGET)));
            } catch (ImageDecoder.BadImageException | RuntimeException e) {
                // explained in images/ but not decodable now (changed since): left out of the sample
            }
        }
        List<Row> out = new ArrayList<>();
        if (images.isEmpty()) return out.iterator();
        Curves curves = new Curves(pre, options);
        for (int p = 0; p < plans.size(); p++) {
            try (EngineCache.Lease lease = EngineCache.acquire(plans.get(p))) {
                LrpEngine engine = lease.engine();
                for (int from = 0; from < images.size(); from += options.imagesPerPass()) {
                    List<Sampled> batch = images.subList(from, Math.min(images.size(), from + options.imagesPerPass()));
                    curves.run(engine, engine, batch, labels.get(p), p == 0, labels.get(0), out);
                }
            }
        }
        return out.iterator();
    }

    /** Builds the perturbed inputs of a few images and runs their forward passes. */
    static final class Curves {
        private final Preprocessing pre;
        private final Faithfulness.Options o;
        private final RegionPerturbation.Grid grid;
        private final float[] baseline;
        private final int pixels;

        Curves(Preprocessing pre, Faithfulness.Options o) {
            this.pre = pre;
            this.o = o;
            this.grid = new RegionPerturbation.Grid(pre.height(), pre.width(), o.patch());
            this.baseline = new float[pre.channels()]; // 0 in the model's input: the --mean colour (docs/faithfulness.md)
            this.pixels = pre.channels() * pre.height() * pre.width();
        }

        /**
         * Appends per image and order a row (target, composite, order, curve). The explainer gives the heatmaps, the
         * scorer the logits: the same engine in the job; a test scores another model's heatmaps (a sanity check).
         */
        void run(LrpEngine explainer, LrpEngine scorer, List<Sampled> images, String label, boolean withRandom, String randomLabel, List<Row> out) {
            int n = images.size(), steps = o.steps();
            float[] flat = new float[n * pixels];
            int[] targets = new int[n];
            for (int i = 0; i < n; i++) {
                System.arraycopy(images.get(i).input(), 0, flat, i * pixels, pixels);
                targets[i] = images.get(i).target();
            }
            INDArray x = Nd4j.create(flat, new long[] {n, pre.channels(), pre.height(), pre.width()}, DataType.FLOAT);
            Explanation e = explainer.explain(x, targets, false);
            float[][] heatmaps = new float[n][];
            for (int i = 0; i < n; i++) heatmaps[i] = e.heatmap(i);
            free(x, e.relevance(), e.logits());
            List<Order> orders = new ArrayList<>(List.of(Order.MORF, Order.LERF));
            if (withRandom) orders.addAll(List.of(Order.RANDOM, Order.RANDOM_REVERSED));
            // per image: step 0, step L, then steps 1..L-1 of each order; built and run one image at a time, so that
            // at most one image's (2 + orders·(L−1)) inputs are held (for 224x224 RGB and the defaults, 37 MB)
            for (int i = 0; i < n; i++) {
                Sampled s = images.get(i);
                double[] relevance = grid.sums(heatmaps[i]);
                List<float[]> inputs = new ArrayList<>(List.of(s.input(), fullBaseline()));
                for (Order order : orders) {
                    int[] ranked = RegionPerturbation.order(relevance, order, seed(s.id()));
                    if (steps > 1) inputs.addAll(List.of(RegionPerturbation.steps(s.input(), pre.channels(), grid, ranked, steps, baseline, 1, steps - 1)));
                }
                double[] logits = targetLogits(scorer, inputs, s.target());
                for (int k = 0; k < orders.size(); k++) {
                    double[] curve = new double[steps + 1];
                    curve[0] = logits[0];
                    curve[steps] = logits[1];
                    System.arraycopy(logits, 2 + k * (steps - 1), curve, 1, steps - 1);
                    Order order = orders.get(k);
                    String composite = order == Order.RANDOM || order == Order.RANDOM_REVERSED ? randomLabel : label;
                    out.add(RowFactory.create(s.target(), composite, order.label(), curve));
                }
            }
        }

        private float[] fullBaseline() {
            float[] x = new float[pixels];
            int plane = pre.height() * pre.width();
            for (int c = 0; c < baseline.length; c++) java.util.Arrays.fill(x, c * plane, (c + 1) * plane, baseline[c]);
            return x;
        }

        /** The target class's logit for every input, in forward passes of at most batchSize inputs. */
        private double[] targetLogits(LrpEngine engine, List<float[]> inputs, int target) {
            double[] out = new double[inputs.size()];
            for (int from = 0; from < inputs.size(); from += o.batchSize()) {
                int m = Math.min(o.batchSize(), inputs.size() - from);
                float[] flat = new float[m * pixels];
                for (int i = 0; i < m; i++) System.arraycopy(inputs.get(from + i), 0, flat, i * pixels, pixels);
                // in a workspace: the pass's activations are reclaimed when it closes, not when the GC finds them
                try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, "lrp-faithfulness")) {
                    INDArray logits = engine.logits(Nd4j.create(flat, new long[] {m, pre.channels(), pre.height(), pre.width()}, DataType.FLOAT));
                    for (int i = 0; i < m; i++) out[from + i] = logits.getDouble(i, target);
                }
            }
            return out;
        }
    }

    /** Native buffers go now, not when the garbage collector gets to their small heap objects. */
    private static void free(INDArray... arrays) {
        for (INDArray a : arrays) if (a != null && !a.wasClosed() && !a.isAttached() && a.closeable()) a.close();
    }

    /** A per-image seed for the random order: the same image gets the same order on every run. */
    static long seed(String imageId) { return 0x9E3779B97F4A7C15L * imageId.hashCode() + 17; }
}
