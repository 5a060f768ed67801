package org.lrpaudit.audit.spray;

import dev.ludovic.netlib.arpack.ARPACK;
import java.util.Random;
import org.netlib.util.doubleW;
import org.netlib.util.intW;

/**
 * The largest eigenpairs of a sparse symmetric matrix held on one machine, by ARPACK's implicitly restarted Lanczos
 * (the library Spark's own eigen-decomposition uses) in reverse communication: ARPACK asks for products y = A·x,
 * we compute them from the CSR arrays. No dense n×n matrix; O(n·ncv) workspace.
 */
final class LocalEigen {
    /** Guards ARPACK: its Java build keeps Fortran SAVE state in static fields. */
    static final Object ARPACK_LOCK = new Object();

    /** CSR: row i's columns are cols[rowStart[i] .. rowStart[i+1]). */
    record Csr(int n, int[] rowStart, int[] cols, double[] values) {
        void multiply(double[] x, int xOff, double[] y, int yOff) {
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int p = rowStart[i]; p < rowStart[i + 1]; p++) s += values[p] * x[xOff + cols[p]];
                y[yOff + i] = s;
            }
        }
    }

    /** Eigenvalues descending and eigenvectors as columns of vectors[i][q] (row i, eigenpair q). */
    record Pairs(double[] values, double[][] vectors) {}

    private LocalEigen() {}

    static Pairs largest(Csr a, int nev, long seed) {
        int n = a.n();
        if (nev >= n) throw new IllegalArgumentException("ARPACK needs fewer eigenpairs (" + nev + ") than rows (" + n + ")");
        int ncv = Math.min(n, Math.max(2 * nev + 1, 20));
        double[] resid = new double[n];
        Random rnd = new Random(seed); // a fixed start vector: ARPACK's own random start differs from call to call
        for (int i = 0; i < n; i++) resid[i] = rnd.nextDouble() - 0.5;
        double[] v = new double[n * ncv], workd = new double[3 * n];
        int lworkl = ncv * (ncv + 8);
        double[] workl = new double[lworkl];
        int[] iparam = new int[11], ipntr = new int[11];
        iparam[0] = 1;              // exact shifts
        iparam[2] = Math.max(300, 10 * n); // max restarts
        iparam[6] = 1;              // mode 1: A·x = λ·x
        intW ido = new intW(0), info = new intW(1); // info 1: start from resid
        doubleW tol = new doubleW(1e-10);
        ARPACK arpack = ARPACK.getInstance();
        synchronized (ARPACK_LOCK) {
            do {
                arpack.dsaupd(ido, "I", n, "LA", nev, tol, resid, ncv, v, n, iparam, ipntr, workd, workl, lworkl, info);
                if (ido.val == -1 || ido.val == 1) a.multiply(workd, ipntr[0] - 1, workd, ipntr[1] - 1);
            } while (ido.val == -1 || ido.val == 1);
            if (info.val != 0) throw new IllegalStateException("ARPACK dsaupd failed with info " + info.val + " (n " + n + ", nev " + nev + ")");
            if (iparam[4] < nev) throw new IllegalStateException("ARPACK converged " + iparam[4] + " of " + nev + " eigenpairs");
            double[] d = new double[nev], z = new double[n * nev];
            intW nconv = new intW(nev);
            arpack.dseupd(true, "A", new boolean[ncv], d, z, n, 0.0, "I", n, "LA", nconv, tol.val, resid, ncv, v, n, iparam, ipntr, workd,
                    workl, lworkl, info);
            if (info.val != 0) throw new IllegalStateException("ARPACK dseupd failed with info " + info.val);
            // dseupd returns ascending order; callers want the largest first
            double[] values = new double[nev];
            double[][] vectors = new double[n][nev];
            for (int q = 0; q < nev; q++) {
                int src = nev - 1 - q;
                values[q] = d[src];
                for (int i = 0; i < n; i++) vectors[i][q] = z[src * n + i];
            }
            return new Pairs(values, vectors);
        }
    }
}
