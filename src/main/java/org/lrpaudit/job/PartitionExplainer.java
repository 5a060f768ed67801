package org.lrpaudit.job;

import java.awt.image.BufferedImage;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.LongAdder;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.TaskCompletionListener;
import org.lrpaudit.audit.ImageStatistics;
import org.lrpaudit.data.ImageDecoder;
import org.lrpaudit.data.Preprocessing;
import org.lrpaudit.lrp.Explanation;
import org.lrpaudit.lrp.LrpEngine;
import org.lrpaudit.output.Columns;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The executor side: streams a partition through decode ▸ preprocess ▸ LRP in batches of a fixed size, emitting one
 * row per input — the explanation, or the stage and reason it failed. A batch the engine rejects is retried image by
 * image so that one bad input costs only its own row. With a baseline, an input it already explained (same id, label
 * and content hash) yields no row here: it is recorded in the baseline's matches and copied afterwards. Rows are
 * read and written as a {@link Layout} says: the job's own, or a caller's row with the explanation appended.
 */
final class PartitionExplainer implements MapPartitionsFunction<Row, Row> {
    static final String READ = "read", DECODE = "decode", PREPROCESS = "preprocess", EXPLAIN = "explain";

    // input rows arrive without a schema: read them by position in Columns.INPUT
    private static final int IN_IMAGE_ID = in(Columns.IMAGE_ID), IN_SOURCE = in(Columns.SOURCE), IN_CONTENT = in(Columns.CONTENT),
            IN_LABEL = in(Columns.LABEL), IN_LABEL_NAME = in(Columns.LABEL_NAME), IN_RAW_HEIGHT = in(Columns.RAW_HEIGHT),
            IN_RAW_WIDTH = in(Columns.RAW_WIDTH), IN_READ_ERROR = in(Columns.READ_ERROR);

    private static int in(String column) { return Columns.INPUT.fieldIndex(column); }

    /**
     * Where a row's {@link Columns#INPUT} fields start, how many leading columns an output row copies from its input
     * row, and from which {@link Columns#RESULT} field on the result follows them.
     */
    record Layout(int inputFrom, int keptColumns, int resultFrom) implements java.io.Serializable {
        /** The job's rows: {@link Columns#INPUT} in, {@link Columns#RESULT} out. */
        static final Layout JOB = new Layout(0, 0, 0);

        /** A caller's n columns, then the input fields; out: the n columns and the result after its input echo. */
        static Layout appended(int n) { return new Layout(n, n, Columns.IMAGES.fieldIndex(Columns.PREDICTED)); }
    }

    private final Broadcast<ExplainPlan> setup;
    private final Layout layout;
    private final int batchSize, grid;
    private final long maxPixels;
    private final LongAccumulator processed;
    private final FailureCollector failures; // null: the caller reads failures from the result
    private final Baseline.Matcher baseline; // null: explain every input

    /** Images handed to the engine in this JVM: what tests in local mode count to see which images were explained. */
    static final LongAdder ENGINE_IMAGES = new LongAdder();

    PartitionExplainer(Broadcast<ExplainPlan> setup, Layout layout, int batchSize, int grid, long maxPixels, LongAccumulator processed,
                       FailureCollector failures, Baseline.Matcher baseline) {
        this.setup = setup;
        this.layout = layout;
        this.batchSize = batchSize;
        this.grid = grid;
        this.maxPixels = maxPixels;
        this.processed = processed;
        this.failures = failures;
        this.baseline = baseline;
    }

    @Override public Iterator<Row> call(Iterator<Row> input) {
        Worker worker = new Worker();
        TaskContext task = TaskContext.get(); // null only when a test calls this directly
        if (task != null) task.addTaskCompletionListener((TaskCompletionListener) context -> worker.lease.close());
        return new Iterator<>() {
            private final ArrayDeque<Row> ready = new ArrayDeque<>();

            @Override public boolean hasNext() {
                while (ready.isEmpty() && input.hasNext()) worker.nextBatch(input, ready);
                if (ready.isEmpty()) worker.lease.close(); // the partition is done: the engine may go
                return !ready.isEmpty();
            }

            @Override public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                return ready.poll();
            }
        };
    }

    /** Per-task state: the decoder and the shared engine, leased for the task. */
    private final class Worker {
        private final ExplainPlan s = setup.value();
        private final EngineCache.Lease lease = EngineCache.acquire(setup);
        private final LrpEngine engine = lease.engine();
        private final ImageDecoder decoder = new ImageDecoder(maxPixels);
        private final Preprocessing pre = s.preprocessing();
        private final int pixels = (int) (pre.channels() * (long) pre.height() * pre.width());
        private final MessageDigest sha256 = Baseline.sha256();
        private final int[] conceptLayers = s.conceptLayers().stream().mapToInt(Integer::intValue).toArray();
        private final List<String> conceptNames = org.lrpaudit.lrp.ConceptLayers.names(s.network(), s.conceptLayers());

        void nextBatch(Iterator<Row> input, ArrayDeque<Row> out) {
            List<Row> batch = new ArrayList<>(batchSize);
            List<String> hashes = new ArrayList<>(batchSize);
            List<float[]> inputs = new ArrayList<>(batchSize);
            List<Integer> targets = new ArrayList<>(batchSize);
            int consumed = 0;
            while (batch.size() < batchSize && input.hasNext()) {
                Row row = input.next();
                consumed++;
                byte[] content = (byte[]) input(row, IN_CONTENT);
                String hash = content == null ? null : HexFormat.of().formatHex(sha256.digest(content));
                if (baseline != null && hash != null && input(row, IN_READ_ERROR) == null
                        && baseline.carries((String) input(row, IN_IMAGE_ID), hash, (Integer) input(row, IN_LABEL))) {
                    continue; // explained by the baseline: its row is copied after this pass
                }
                Failure failure = prepare(row, inputs, targets);
                if (failure != null) {
                    out.add(failure(row, failure.stage(), failure.message()));
                } else {
                    batch.add(row);
                    hashes.add(hash);
                }
            }
            if (!batch.isEmpty()) explain(batch, hashes, inputs, targets, out);
            processed.add(consumed);
        }

        /** Decodes and preprocesses one input into inputs/targets; returns why it failed, or null. */
        private Failure prepare(Row row, List<float[]> inputs, List<Integer> targets) {
            String readError = (String) input(row, IN_READ_ERROR);
            if (readError != null) return new Failure(READ, readError);
            byte[] content = (byte[]) input(row, IN_CONTENT);
            Integer rawH = (Integer) input(row, IN_RAW_HEIGHT), rawW = (Integer) input(row, IN_RAW_WIDTH);
            BufferedImage image;
            try {
                if (content == null) throw new ImageDecoder.BadImageException("no image bytes");
                image = rawH != null && rawW != null ? Raw.gray(content, rawH, rawW) : decoder.decode(content);
            } catch (ImageDecoder.BadImageException e) {
                return new Failure(DECODE, e.getMessage());
            }
            Integer label = (Integer) input(row, IN_LABEL);
            int target;
            try {
                target = s.targetFor(label);
            } catch (IllegalArgumentException e) {
                return new Failure(PREPROCESS, String.valueOf(e.getMessage()));
            }
            try {
                inputs.add(pre.apply(image));
            } catch (RuntimeException e) {
                return new Failure(PREPROCESS, String.valueOf(e.getMessage()));
            }
            targets.add(target);
            return null;
        }

        private void explain(List<Row> batch, List<String> hashes, List<float[]> inputs, List<Integer> targets, ArrayDeque<Row> out) {
            try {
                Explanation e = run(inputs, targets);
                for (int i = 0; i < batch.size(); i++) out.add(success(batch.get(i), hashes.get(i), e, i));
            } catch (RuntimeException batchFailure) {
                if (batch.size() == 1) {
                    out.add(failure(batch.get(0), EXPLAIN, String.valueOf(batchFailure.getMessage())));
                    return;
                }
                for (int i = 0; i < batch.size(); i++) { // isolate the culprit
                    explain(List.of(batch.get(i)), List.of(hashes.get(i)), List.of(inputs.get(i)), List.of(targets.get(i)), out);
                }
            }
        }

        private Explanation run(List<float[]> inputs, List<Integer> targets) {
            float[] flat = new float[inputs.size() * pixels];
            for (int i = 0; i < inputs.size(); i++) System.arraycopy(inputs.get(i), 0, flat, i * pixels, pixels);
            int[] t = targets.stream().mapToInt(Integer::intValue).toArray();
            ENGINE_IMAGES.add(t.length);
            return engine.explain(Nd4j.create(flat, new long[] {inputs.size(), pre.channels(), pre.height(), pre.width()}, DataType.FLOAT),
                    t, false, conceptLayers);
        }

        private Row success(Row in, String contentSha256, Explanation e, int i) {
            float[] logits = e.logits(i);
            double[] p = e.probabilities(i);
            int predicted = e.predicted(i), target = e.target(i);
            float[] heatmap = e.heatmap(i);
            ImageStatistics st = ImageStatistics.of(heatmap, pre.height(), pre.width(), grid);
            List<String> names = s.classNames();
            return output(in, new Object[] {input(in, IN_IMAGE_ID), input(in, IN_SOURCE), input(in, IN_LABEL), input(in, IN_LABEL_NAME),
                    predicted, names.get(predicted), target, names.get(target), (double) e.targetLogit(i), p[predicted], p[target],
                    e.relevanceSum(i), e.absorbedShare(i), pre.height(), pre.width(), heatmap, st.positiveSum(), st.negativeSum(),
                    st.maxAbs(), nanToNull(st.centroidX()), nanToNull(st.centroidY()), st.entropy(), st.borderShare(), grid,
                    st.gridShares(), logits, contentSha256, concepts(e, i), null, null});
        }

        /** The concepts column: null without concept layers; a Scala map, what Spark's row encoder takes for a map. */
        private Object concepts(Explanation e, int i) {
            if (conceptLayers.length == 0) return null;
            java.util.Map<String, float[]> m = new java.util.LinkedHashMap<>();
            for (int k = 0; k < conceptLayers.length; k++) m.put(conceptNames.get(k), e.concepts(i, k));
            return scala.jdk.javaapi.CollectionConverters.asScala(m);
        }

        private Row failure(Row in, String stage, String message) {
            Object[] values = new Object[Columns.RESULT.size()];
            values[0] = input(in, IN_IMAGE_ID);
            values[1] = input(in, IN_SOURCE);
            values[values.length - 2] = stage;
            values[values.length - 1] = message;
            if (failures != null) failures.add(RowFactory.create(values[0], values[1], stage, message)); // an errors/ row
            return output(in, values);
        }
    }

    private Object input(Row row, int field) { return row.get(layout.inputFrom() + field); }

    /** The output row: the input row's kept columns, then the result from the layout's first result field. */
    private Row output(Row in, Object[] result) {
        if (layout.equals(Layout.JOB)) return RowFactory.create(result);
        Object[] values = new Object[layout.keptColumns() + result.length - layout.resultFrom()];
        for (int i = 0; i < layout.keptColumns(); i++) values[i] = in.get(i);
        System.arraycopy(result, layout.resultFrom(), values, layout.keptColumns(), result.length - layout.resultFrom());
        return RowFactory.create(values);
    }

    private record Failure(String stage, String message) {}

    private static Double nanToNull(double v) { return Double.isNaN(v) ? null : v; }

    /** Raw 8-bit gray pixels (IDX) as an image, so they take the same preprocessing path as decoded files. */
    static final class Raw {
        static BufferedImage gray(byte[] pixels, int h, int w) throws ImageDecoder.BadImageException {
            if (pixels.length != h * w) throw new ImageDecoder.BadImageException("raw image has " + pixels.length + " bytes, not " + h + "x" + w);
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            img.getRaster().setDataElements(0, 0, w, h, pixels);
            return img;
        }
    }
}
