package org.lrpaudit.audit.spray;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.mllib.clustering.KMeans;
import org.apache.spark.mllib.clustering.KMeansModel;
import org.apache.spark.mllib.linalg.Vector;
import org.apache.spark.mllib.linalg.Vectors;
import scala.Tuple2;

/**
 * k nearest neighbours of every point of one class, without an n×n distance matrix. Points are split into cells
 * by MLlib's k-means (an inverted-file index); each point is a member of its nearest cell and looks for neighbours
 * among the members of its {@code probes} nearest cells. With cells of about max(cellSize, √n) points, k-means
 * costs O(n·√n·d) and the search O(n·probes·cellSize·d): sub-quadratic, and exact when the class fits one cell.
 */
public final class KnnGraph {
    private KnnGraph() {}

    /** A point's current best neighbours, nearest first. */
    public static final class Neighbours implements Serializable {
        final long[] ids;
        final double[] distances;

        Neighbours(long[] ids, double[] distances) {
            this.ids = ids;
            this.distances = distances;
        }

        public long[] ids() { return ids; }

        /** The k nearest of both lists (a point found through two cells appears once). */
        Neighbours merge(Neighbours o, int k) {
            long[] ids = new long[Math.min(k, this.ids.length + o.ids.length)];
            double[] d = new double[ids.length];
            int i = 0, j = 0, n = 0;
            while (n < ids.length && (i < this.ids.length || j < o.ids.length)) {
                boolean takeThis = j >= o.ids.length || (i < this.ids.length && distances[i] <= o.distances[j]);
                long id = takeThis ? this.ids[i] : o.ids[j];
                double dist = takeThis ? distances[i++] : o.distances[j++];
                boolean dup = false;
                for (int q = 0; q < n; q++) dup |= ids[q] == id;
                if (dup) continue;
                ids[n] = id;
                d[n++] = dist;
            }
            return new Neighbours(Arrays.copyOf(ids, n), Arrays.copyOf(d, n));
        }
    }

    /** What the index did, for the log and the README's claims. */
    public record Stats(int cells, long largestCell) {}

    public record Result(JavaPairRDD<Long, Neighbours> neighbours, Stats stats) {}

    /**
     * @param points  (index, vector) of one class, indices 0..n−1
     * @param n       number of points
     * @param k       neighbours per point (at most n−1)
     */
    public static Result build(JavaRDD<Tuple2<Long, double[]>> points, long n, int k, int cellSize, int probes, long seed) {
        int cells = (int) Math.max(1, Math.ceil(n / Math.max(cellSize, Math.sqrt(n))));
        JavaPairRDD<Integer, Tuple2<Long, double[]>> members;
        JavaPairRDD<Integer, Tuple2<Long, double[]>> queries;
        if (cells == 1) {
            members = points.mapToPair(p -> new Tuple2<>(0, p));
            queries = members;
        } else {
            KMeansModel index = new KMeans().setK(cells).setMaxIterations(10).setSeed(seed)
                    .run(points.map(p -> Vectors.dense(p._2())).rdd());
            double[][] centres = Arrays.stream(index.clusterCenters()).map(Vector::toArray).toArray(double[][]::new);
            Broadcast<double[][]> bc = JavaSparkContext.fromSparkContext(points.context()).broadcast(centres);
            int probe = Math.min(probes, centres.length);
            JavaPairRDD<Tuple2<Long, double[]>, int[]> nearest = points.mapToPair(p -> new Tuple2<>(p, nearestCells(bc.value(), p._2(), probe)));
            members = nearest.mapToPair(t -> new Tuple2<>(t._2()[0], t._1()));
            queries = nearest.flatMapToPair(t -> Arrays.stream(t._2()).mapToObj(c -> new Tuple2<>(c, t._1())).iterator());
            cells = centres.length;
        }
        int kk = (int) Math.min(k, n - 1);
        JavaPairRDD<Integer, Tuple2<Iterable<Tuple2<Long, double[]>>, Iterable<Tuple2<Long, double[]>>>> grouped = members.cogroup(queries);
        long largest = cells == 1 ? n : members.countByKey().values().stream().mapToLong(Long::longValue).max().orElse(0);
        JavaPairRDD<Long, Neighbours> found = grouped.flatMapToPair(cell -> {
            List<Tuple2<Long, double[]>> inCell = new ArrayList<>();
            cell._2()._1().forEach(inCell::add);
            List<Tuple2<Long, Neighbours>> out = new ArrayList<>();
            for (Tuple2<Long, double[]> q : cell._2()._2()) out.add(new Tuple2<>(q._1(), nearest(q, inCell, kk)));
            return out.iterator();
        }).reduceByKey((a, b) -> a.merge(b, kk));
        return new Result(found, new Stats(cells, largest));
    }

    /** The query's kk nearest members other than itself, by a bounded insertion sort. */
    static Neighbours nearest(Tuple2<Long, double[]> query, List<Tuple2<Long, double[]>> members, int kk) {
        long[] ids = new long[kk];
        double[] d = new double[kk];
        int n = 0;
        for (Tuple2<Long, double[]> m : members) {
            if (m._1().equals(query._1())) continue;
            double dist = HeatmapVectors.squaredDistance(query._2(), m._2());
            if (n == kk && dist >= d[kk - 1]) continue;
            int pos = n < kk ? n++ : kk - 1;
            while (pos > 0 && (d[pos - 1] > dist || (d[pos - 1] == dist && ids[pos - 1] > m._1()))) {
                d[pos] = d[pos - 1];
                ids[pos] = ids[pos - 1];
                pos--;
            }
            d[pos] = dist;
            ids[pos] = m._1();
        }
        return new Neighbours(Arrays.copyOf(ids, n), Arrays.copyOf(d, n));
    }

    static int[] nearestCells(double[][] centres, double[] v, int probes) {
        Integer[] order = new Integer[centres.length];
        double[] d = new double[centres.length];
        for (int c = 0; c < centres.length; c++) {
            order[c] = c;
            d[c] = HeatmapVectors.squaredDistance(centres[c], v);
        }
        Arrays.sort(order, (a, b) -> Double.compare(d[a], d[b]));
        int[] out = new int[probes];
        for (int i = 0; i < probes; i++) out[i] = order[i];
        return out;
    }
}
