package org.lrpaudit.audit.concepts;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.lrpaudit.output.Columns;
import org.lrpaudit.output.ConceptColumns;
import scala.Tuple2;

/**
 * Concepts at dataset scale, from the images/ concepts column: per class and SpRAy cluster the mean concept profile
 * (concepts/) and per channel its reference images (concept_references/). Both are per-partition summaries merged by
 * key on the executors — sums of share vectors and bounded {@link TopK}s — so no image's vector reaches the driver.
 */
public final class ConceptAudit {
    /** concepts/ keeps per class and layer its channels of largest share, per cluster those it uses most more and less. */
    public static final int CLASS_CHANNELS = 32, CLUSTER_CHANNELS = 16;
    public static final int DEFAULT_REFERENCES = 8;

    private ConceptAudit() {}

    /**
     * @param images      images/ as written (image_id, target, concepts)
     * @param assignments image_clusters/ (image_id, cluster), or null without SpRAy: then only class profiles
     * @param layers      the concept layers' names (the concepts map's keys)
     * @param references  reference images per channel and scope (k)
     */
    public static void run(Dataset<Row> images, Dataset<Row> assignments, List<String> layers, List<String> classNames, int references,
                           String conceptsPath, String referencesPath) {
        if (references < 1) throw new IllegalArgumentException("--concept-references must be at least 1, got " + references);
        SparkSession spark = images.sparkSession();
        List<Column> cols = new ArrayList<>(List.of(col(Columns.IMAGE_ID), col(Columns.TARGET)));
        for (int k = 0; k < layers.size(); k++) cols.add(col(Columns.CONCEPTS).getItem(layers.get(k)).as("c" + k));
        Dataset<Row> vectors = images.select(cols.toArray(new Column[0]));
        vectors = assignments == null ? vectors.withColumn(ConceptColumns.CLUSTER, lit(null).cast("int"))
                : vectors.join(assignments.select(col(Columns.IMAGE_ID), col(ConceptColumns.CLUSTER)), Columns.IMAGE_ID, "left");
        // image_id, target, c0[, c1], cluster
        JavaRDD<Row> rows = vectors.javaRDD().persist(StorageLevel.MEMORY_AND_DISK());
        try {
            int n = layers.size();
            JavaRDD<Row> profile = rows.mapPartitionsToPair((Iterator<Row> it) -> profileSums(it, n))
                    .reduceByKey(Partial::merge)
                    .mapToPair(t -> new Tuple2<>(new ClassLayer(t._1().target(), t._1().layer()), new Tuple2<>(t._1().cluster(), t._2())))
                    .groupByKey()
                    .flatMap(g -> profileRows(g._1(), g._2(), layers, classNames).iterator());
            spark.createDataFrame(profile, ConceptColumns.CONCEPTS).coalesce(1).write().mode(SaveMode.Overwrite).parquet(conceptsPath);
            JavaRDD<Row> refs = rows.mapPartitionsToPair((Iterator<Row> it) -> topK(it, n, references))
                    .reduceByKey(TopK::merge)
                    .flatMap(t -> referenceRows(t._1(), t._2(), layers, classNames).iterator());
            spark.createDataFrame(refs, ConceptColumns.REFERENCES).coalesce(1).write().mode(SaveMode.Overwrite).parquet(referencesPath);
        } finally {
            rows.unpersist(false);
        }
    }

    /** (class, cluster or -1, layer index). */
    record GroupKey(int target, int cluster, int layer) implements Serializable {}

    record ClassLayer(int target, int layer) implements Serializable {}

    /** (class or -1 for all images, layer index, channel). */
    record ChannelKey(int target, int layer, int channel) implements Serializable {}

    /** Σ of the members' share vectors and how many members. */
    static final class Partial implements Serializable {
        final double[] sum;
        long count;

        Partial(int channels) { sum = new double[channels]; }

        Partial merge(Partial o) {
            if (o.sum.length != sum.length) throw new IllegalStateException("concept vectors of " + sum.length + " and " + o.sum.length + " channels in one layer");
            for (int c = 0; c < sum.length; c++) sum[c] += o.sum[c];
            count += o.count;
            return this;
        }
    }

    /**
     * An image's concept profile at a layer: each channel's share of the layer's positive relevance (R⁺ per channel
     * over Σ R⁺; all zero when no channel has positive relevance). Shares, not raw relevance, so that an image with a
     * large logit does not outweigh the others in a mean.
     */
    public static double[] shares(List<Float> relevance) {
        double[] out = new double[relevance.size()];
        double total = 0;
        for (int c = 0; c < out.length; c++) total += out[c] = Math.max(0, relevance.get(c));
        if (total > 0) for (int c = 0; c < out.length; c++) out[c] /= total;
        return out;
    }

    private static Iterator<Tuple2<GroupKey, Partial>> profileSums(Iterator<Row> it, int layers) {
        Map<GroupKey, Partial> sums = new HashMap<>();
        while (it.hasNext()) {
            Row r = it.next();
            int target = r.getInt(1), cluster = r.isNullAt(2 + layers) ? -1 : r.getInt(2 + layers);
            for (int k = 0; k < layers; k++) {
                if (r.isNullAt(2 + k)) throw missing(r.getString(0));
                double[] s = shares(r.getList(2 + k));
                Partial p = sums.computeIfAbsent(new GroupKey(target, cluster, k), key -> new Partial(s.length));
                for (int c = 0; c < s.length; c++) p.sum[c] += s[c];
                p.count++;
            }
        }
        List<Tuple2<GroupKey, Partial>> out = new ArrayList<>();
        sums.forEach((k, v) -> out.add(new Tuple2<>(k, v)));
        return out.iterator();
    }

    private static IllegalStateException missing(String imageId) {
        return new IllegalStateException("image " + imageId + " in images/ has no concept vector for a requested layer (a row made "
                + "without these --concept-layers); run again with --overwrite, without --baseline");
    }

    /** concepts/ rows of one class and layer: the class profile and each cluster against it. */
    static List<Row> profileRows(ClassLayer key, Iterable<Tuple2<Integer, Partial>> clusters, List<String> layers, List<String> classNames) {
        Partial whole = null;
        List<Tuple2<Integer, Partial>> parts = new ArrayList<>();
        for (Tuple2<Integer, Partial> t : clusters) {
            parts.add(t);
            whole = whole == null ? copy(t._2()) : whole.merge(t._2());
        }
        String layer = layers.get(key.layer()), name = classNames.get(key.target());
        double[] classShare = mean(whole);
        List<Row> out = new ArrayList<>();
        for (int c : strongest(classShare, CLASS_CHANNELS)) {
            out.add(RowFactory.create(key.target(), name, null, layer, c, whole.count, classShare[c], classShare[c], classShare[c] > 0 ? 1.0 : null));
        }
        parts.sort(Comparator.comparing(Tuple2::_1));
        for (Tuple2<Integer, Partial> t : parts) {
            if (t._1() < 0) continue; // images without a cluster count for the class only
            double[] share = mean(t._2()), difference = new double[share.length], opposite = new double[share.length];
            for (int c = 0; c < share.length; c++) opposite[c] = -(difference[c] = share[c] - classShare[c]);
            java.util.LinkedHashSet<Integer> kept = new java.util.LinkedHashSet<>(strongest(difference, CLUSTER_CHANNELS));
            kept.addAll(strongest(opposite, CLUSTER_CHANNELS));
            for (int c : kept) {
                out.add(RowFactory.create(key.target(), name, t._1(), layer, c, t._2().count, share[c], classShare[c],
                        classShare[c] > 0 ? share[c] / classShare[c] : null));
            }
        }
        return out;
    }

    private static Partial copy(Partial p) { return new Partial(p.sum.length).merge(p); }

    private static double[] mean(Partial p) {
        double[] m = new double[p.sum.length];
        for (int c = 0; c < m.length; c++) m[c] = p.count == 0 ? 0 : p.sum[c] / p.count;
        return m;
    }

    /** Indices of the n largest positive values, largest first (ties: lower index). */
    static List<Integer> strongest(double[] v, int n) {
        List<Integer> idx = new ArrayList<>();
        for (int c = 0; c < v.length; c++) if (v[c] > 0) idx.add(c);
        idx.sort((a, b) -> v[a] != v[b] ? Double.compare(v[b], v[a]) : Integer.compare(a, b));
        return idx.subList(0, Math.min(n, idx.size()));
    }

    /**
     * Per channel the k images in which it takes the largest share of the layer's positive relevance. Not the raw
     * relevance: that scales with the logit, and on the Clever-Hans fixture the marked images' large logits put them
     * first in nearly every channel (7 of 8 references of the unmarked trousers' own channel were marked).
     */
    private static Iterator<Tuple2<ChannelKey, TopK>> topK(Iterator<Row> it, int layers, int k) {
        Map<ChannelKey, TopK> heaps = new HashMap<>();
        while (it.hasNext()) {
            Row r = it.next();
            String id = r.getString(0);
            int target = r.getInt(1);
            for (int l = 0; l < layers; l++) {
                if (r.isNullAt(2 + l)) throw missing(id);
                double[] s = shares(r.getList(2 + l));
                for (int c = 0; c < s.length; c++) {
                    double x = s[c];
                    heaps.computeIfAbsent(new ChannelKey(-1, l, c), key -> new TopK(k)).offer(x, id, target);
                    heaps.computeIfAbsent(new ChannelKey(target, l, c), key -> new TopK(k)).offer(x, id, target);
                }
            }
        }
        List<Tuple2<ChannelKey, TopK>> out = new ArrayList<>();
        heaps.forEach((key, v) -> out.add(new Tuple2<>(key, v)));
        return out.iterator();
    }

    private static List<Row> referenceRows(ChannelKey key, TopK top, List<String> layers, List<String> classNames) {
        List<Row> out = new ArrayList<>();
        int rank = 1;
        for (TopK.Entry e : top.entries()) {
            out.add(RowFactory.create(key.target() < 0 ? null : key.target(), key.target() < 0 ? null : classNames.get(key.target()),
                    layers.get(key.layer()), key.channel(), rank++, e.imageId(), e.target(), e.score()));
        }
        return out;
    }
}
