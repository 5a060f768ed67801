package org.lrpaudit.audit.spray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
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
 * ARPACK finds the largest eigenpairs of the positive semi-definite M = (I + D^−½ W D^−½)/2 = I − L/2, whose
 * eigenvectors are L's and whose eigenvalues σ give λ(L) = 2(1 − σ): on the driver from the collected sparse
 * rows (O(n·k) numbers) for classes up to a limit, else distributed by MLlib (IndexedRowMatrix.computeSVD, one
 * Spark job per Lanczos step). Either way O(n·k) work per step, O(n) vectors on the driver, never an n×n matrix.
 */
public final class SpectralEmbedding {
    private SpectralEmbedding() {}

    /**
     * The smallest Laplacian eigenvalues (ascending), the matching eigenvectors as rows (index → components), and each
     * point's 2-D view of the embedding ({@link #view}).
     */
    public record Spectrum(double[] eigenvalues, JavaPairRDD<Long, double[]> rows, JavaPairRDD<Long, double[]> view) {
        /** The number of clusters 2…maxClusters after which the eigenvalues jump most. */
        public int suggestedClusters(int maxClusters) { return SpectralEmbedding.suggestedClusters(eigenvalues, maxClusters); }

        public double eigengap(int clusters) { return SpectralEmbedding.eigengap(eigenvalues, clusters); }
    }

    /** The number of clusters 2…maxClusters after which the ascending eigenvalues jump most. */
    static int suggestedClusters(double[] eigenvalues, int maxClusters) {
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

    static double eigengap(double[] eigenvalues, int clusters) {
        return clusters < eigenvalues.length ? eigenvalues[clusters] - eigenvalues[clusters - 1] : Double.NaN;
    }

    /**
     * @param count      how many eigenpairs (fewer than n)
     * @param localLimit classes up to this many images are solved on the driver from the collected sparse graph
     *                   (O(n·k) numbers, far fewer Spark jobs); larger ones by MLlib's distributed ARPACK
     */
    public static Spectrum of(JavaPairRDD<Long, KnnGraph.Neighbours> knn, long n, int count, long localLimit) {
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
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(knn.context());
        Broadcast<double[]> deg = sc.broadcast(degree);
        JavaPairRDD<Long, Tuple2<Long, Double>> entries = w.mapToPair(e -> {
            long i = e._1()._1(), j = e._1()._2();
            double[] d = deg.value();
            return new Tuple2<>(i, new Tuple2<>(j, entry(e._2(), d[(int) i], d[(int) j])));
        });
        var rows = entries.groupByKey().mapToPair(r -> {
            List<Tuple2<Long, Double>> cols = new ArrayList<>();
            r._2().forEach(cols::add);
            cols.add(new Tuple2<>(r._1(), DIAGONAL)); // ½·I (the kNN graph has no self loops)
            cols.sort((a, b) -> Long.compare(a._1(), b._1()));
            int[] idx = new int[cols.size()];
            double[] val = new double[cols.size()];
            for (int q = 0; q < idx.length; q++) {
                idx[q] = (int) (long) cols.get(q)._1();
                val[q] = cols.get(q)._2();
            }
            return new Tuple2<>(r._1(), new Tuple2<>(idx, val));
        });
        double[] sigma;
        JavaPairRDD<Long, double[]> vectors;
        if (n <= localLimit) {
            LocalEigen.Csr csr = csr((int) n, rows.collect());
            LocalEigen.Pairs pairs = LocalEigen.largest(csr, count, 1);
            sigma = pairs.values();
            List<Tuple2<Long, double[]>> out = new ArrayList<>((int) n);
            for (int i = 0; i < n; i++) out.add(new Tuple2<>((long) i, pairs.vectors()[i]));
            vectors = sc.parallelizePairs(out, Math.max(1, Math.min(sc.defaultParallelism(), (int) (n / 10_000) + 1)));
        } else {
            IndexedRowMatrix m = new IndexedRowMatrix(rows.map(r -> new IndexedRow(r._1(), Vectors.sparse((int) n, r._2()._1(), r._2()._2()))).rdd(),
                    n, (int) n);
            SingularValueDecomposition<IndexedRowMatrix, Matrix> svd;
            synchronized (LocalEigen.ARPACK_LOCK) { // the F2J ARPACK keeps Fortran SAVE state in static fields: one solve at a time per JVM
                svd = m.computeSVD(count, true, 1e-9);
            }
            sigma = svd.s().toArray(); // descending
            vectors = svd.U().rows().toJavaRDD().mapToPair(r -> new Tuple2<>(r.index(), r.vector().toArray()));
        }
        w.unpersist();
        return new Spectrum(laplacianEigenvalues(sigma), vectors, vectors.mapToPair(r -> new Tuple2<>(r._1(), view(r._2(), deg.value()[(int) (long) r._1()]))));
    }

    /**
     * A point's coordinates for a 2-D picture of the embedding: its components in the eigenvectors of the 2nd and 3rd
     * smallest eigenvalues, divided by √degree (the random-walk Laplacian's eigenvectors, as sklearn's
     * spectral_embedding returns them): the 1st, left out, is then constant on a connected graph, and a group of images
     * the graph barely links to the rest sits at one spot instead of along a ray scaled by each image's degree.
     * NaN where there are fewer than 3 eigenvectors.
     */
    public static double[] view(double[] eigenvectorRow, double degree) {
        double s = Math.sqrt(degree);
        return new double[] {eigenvectorRow.length > 1 ? eigenvectorRow[1] / s : Double.NaN, eigenvectorRow.length > 2 ? eigenvectorRow[2] / s : Double.NaN};
    }

    /** Each point's degree in the symmetrised kNN graph ½(A + Aᵀ) (point i's neighbours are {@code neighbours[i]}). */
    static double[] degrees(long[][] neighbours) {
        double[] d = new double[neighbours.length];
        for (int i = 0; i < neighbours.length; i++) {
            for (long j : neighbours[i]) {
                d[i] += 0.5;
                d[(int) j] += 0.5;
            }
        }
        return d;
    }

    /** M's diagonal, ½·I. */
    static final double DIAGONAL = 0.5;

    /** M's entry for an edge of affinity w between points of degrees di and dj: ½·w/√(di·dj). */
    static double entry(double w, double di, double dj) { return 0.5 * w / Math.sqrt(di * dj); }

    /** λ(L) = 2(1 − σ) for M's eigenvalues σ (descending → ascending), clipped at 0 against rounding. */
    static double[] laplacianEigenvalues(double[] sigma) {
        double[] lambda = new double[sigma.length];
        for (int i = 0; i < sigma.length; i++) lambda[i] = Math.max(0, 2 * (1 - sigma[i]));
        return lambda;
    }

    /**
     * M = (I + D^−½ W D^−½)/2 as CSR, built on the driver from each point's neighbour list (point i's neighbours are
     * {@code neighbours[i]}, indices 0…n−1): the same matrix, entry for entry, as the distributed path assembles.
     */
    static LocalEigen.Csr halfShiftedAffinity(long[][] neighbours) {
        int n = neighbours.length;
        List<TreeMap<Integer, Double>> w = new ArrayList<>(n);
        for (int i = 0; i < n; i++) w.add(new TreeMap<>());
        for (int i = 0; i < n; i++) {
            for (long j : neighbours[i]) {
                w.get(i).merge((int) j, 0.5, Double::sum);
                w.get((int) j).merge(i, 0.5, Double::sum);
            }
        }
        double[] degree = new double[n];
        for (int i = 0; i < n; i++) for (double v : w.get(i).values()) degree[i] += v;
        int nnz = n;
        for (var row : w) nnz += row.size();
        int[] start = new int[n + 1], cols = new int[nnz];
        double[] vals = new double[nnz];
        int p = 0;
        for (int i = 0; i < n; i++) {
            start[i] = p;
            w.get(i).put(i, Double.NaN); // the diagonal's place in column order
            for (var e : w.get(i).entrySet()) {
                cols[p] = e.getKey();
                vals[p++] = e.getKey() == i ? DIAGONAL : entry(e.getValue(), degree[i], degree[e.getKey()]);
            }
        }
        start[n] = p;
        return new LocalEigen.Csr(n, start, cols, vals);
    }

    private static LocalEigen.Csr csr(int n, List<Tuple2<Long, Tuple2<int[], double[]>>> rows) {
        int[][] cols = new int[n][];
        double[][] vals = new double[n][];
        int nnz = 0;
        for (Tuple2<Long, Tuple2<int[], double[]>> r : rows) {
            int i = (int) (long) r._1();
            cols[i] = r._2()._1();
            vals[i] = r._2()._2();
            nnz += cols[i].length;
        }
        int[] start = new int[n + 1], c = new int[nnz];
        double[] v = new double[nnz];
        for (int i = 0, p = 0; i < n; i++) {
            start[i] = p;
            System.arraycopy(cols[i], 0, c, p, cols[i].length);
            System.arraycopy(vals[i], 0, v, p, vals[i].length);
            p += cols[i].length;
            start[i + 1] = p;
        }
        return new LocalEigen.Csr(n, start, c, v);
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
