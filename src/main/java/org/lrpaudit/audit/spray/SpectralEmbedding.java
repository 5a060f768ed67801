package org.lrpaudit.audit.spray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.mllib.linalg.SingularValueDecomposition;
import org.apache.spark.mllib.linalg.Vectors;
import org.apache.spark.mllib.linalg.distributed.IndexedRow;
import org.apache.spark.mllib.linalg.distributed.IndexedRowMatrix;
import org.apache.spark.mllib.linalg.Matrix;
import scala.Tuple2;

/**
 * The spectral step of SpRAy on a sparse kNN graph. The affinity is sklearn's symmetrised connectivity
 * W = (A + Aᵀ)/2 (1 for mutual neighbours, ½ for one-sided); the normalised Laplacian is L = I − D^−½ W D^−½.
 * MLlib's distributed ARPACK (IndexedRowMatrix.computeSVD) finds the largest eigenpairs of the positive
 * semi-definite M = (I + D^−½ W D^−½)/2 = I − L/2, whose eigenvectors are L's and whose eigenvalues σ give
 * λ(L) = 2(1 − σ). Each ARPACK iteration is one sparse matrix–vector product over the rows: O(n·k) work,
 * O(n) vectors on the driver, never an n×n matrix.
 */
public final class SpectralEmbedding {
    private static final Object ARPACK = new Object();

    private SpectralEmbedding() {}

    /** The smallest Laplacian eigenvalues (ascending) and the matching eigenvectors as rows (index → components). */
    public record Spectrum(double[] eigenvalues, JavaPairRDD<Long, double[]> rows) {
        /** The number of clusters 2…maxClusters after which the eigenvalues jump most, and that jump. */
        public int suggestedClusters(int maxClusters) {
            int best = Math.min(2, eigenvalues.length);
            double bestGap = -1;
            for (int c = 2; c <= Math.min(maxClusters, eigenvalues.length - 1); c++) {
                double gap = eigenvalues[c] - eigenvalues[c - 1];
                if (gap > bestGap) {
                    bestGap = gap;
                    best = c;
                }
            }
            return best;
        }

        public double eigengap(int clusters) {
            return clusters < eigenvalues.length ? eigenvalues[clusters] - eigenvalues[clusters - 1] : Double.NaN;
        }
    }

    /** @param count how many eigenpairs (at most n) */
    public static Spectrum of(JavaPairRDD<Long, KnnGraph.Neighbours> knn, long n, int count) {
        JavaPairRDD<Tuple2<Long, Long>, Double> w = knn.flatMapToPair(p -> {
            List<Tuple2<Tuple2<Long, Long>, Double>> out = new ArrayList<>();
            for (long j : p._2().ids()) {
                out.add(new Tuple2<>(new Tuple2<>(p._1(), j), 0.5));
                out.add(new Tuple2<>(new Tuple2<>(j, p._1()), 0.5));
            }
            return out.iterator();
        }).reduceByKey(Double::sum).cache();
        // degrees: one double per point on the driver (O(n), like ARPACK's own vectors)
        double[] degree = new double[(int) n];
        w.mapToPair(e -> new Tuple2<>(e._1()._1(), e._2())).reduceByKey(Double::sum).collect()
                .forEach(t -> degree[(int) (long) t._1()] = t._2());
        Broadcast<double[]> deg = JavaSparkContext.fromSparkContext(knn.context()).broadcast(degree);
        JavaPairRDD<Long, Tuple2<Long, Double>> entries = w.mapToPair(e -> {
            long i = e._1()._1(), j = e._1()._2();
            double[] d = deg.value();
            return new Tuple2<>(i, new Tuple2<>(j, 0.5 * e._2() / Math.sqrt(d[(int) i] * d[(int) j])));
        });
        var rows = entries.groupByKey().map(r -> {
            List<Tuple2<Long, Double>> cols = new ArrayList<>();
            r._2().forEach(cols::add);
            cols.add(new Tuple2<>(r._1(), 0.5)); // ½·I (the kNN graph has no self loops)
            cols.sort((a, b) -> Long.compare(a._1(), b._1()));
            int[] idx = new int[cols.size()];
            double[] val = new double[cols.size()];
            for (int q = 0; q < idx.length; q++) {
                idx[q] = (int) (long) cols.get(q)._1();
                val[q] = cols.get(q)._2();
            }
            return new IndexedRow(r._1(), Vectors.sparse((int) n, idx, val));
        });
        IndexedRowMatrix m = new IndexedRowMatrix(rows.rdd(), n, (int) n);
        SingularValueDecomposition<IndexedRowMatrix, Matrix> svd;
        synchronized (ARPACK) { // the F2J ARPACK keeps Fortran SAVE state in static fields: one solve at a time per JVM
            svd = m.computeSVD(count, true, 1e-9);
        }
        double[] sigma = svd.s().toArray(); // descending
        double[] lambda = new double[sigma.length];
        for (int i = 0; i < sigma.length; i++) lambda[i] = Math.max(0, 2 * (1 - sigma[i]));
        JavaPairRDD<Long, double[]> vectors = svd.U().rows().toJavaRDD().mapToPair(r -> new Tuple2<>(r.index(), r.vector().toArray()));
        w.unpersist();
        return new Spectrum(lambda, vectors);
    }

    /** Ng–Jordan–Weiss embedding: the first c eigenvector components of a row, scaled to unit length. */
    public static double[] embed(double[] row, int c) {
        double[] e = Arrays.copyOf(row, c);
        double norm = 0;
        for (double v : e) norm += v * v;
        norm = Math.sqrt(norm);
        if (norm > 0) for (int i = 0; i < c; i++) e[i] /= norm;
        return e;
    }
}
