package org.lrpaudit.lrp;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The division step s = R / (z + e·sign₊(z)) of every rule, with sign₊(0) = +1, and s = 0 wherever z is exactly
 * zero: no relevance flows through a zero denominator, so neither NaN nor Inf can appear (LRP.md §4.2).
 */
final class Stabilised {
    private Stabilised() {}

    /** With one stabiliser e for the whole batch. */
    static INDArray divide(INDArray r, INDArray z, double e) { return divide(r, z, null, e); }

    /** With a stabiliser per image: {@code ePerImage} is a column [N, 1]. */
    static INDArray divide(INDArray r, INDArray z, INDArray ePerImage) { return divide(r, z, ePerImage, 0); }

    private static INDArray divide(INDArray r, INDArray z, INDArray ePerImage, double e) {
        long n = z.size(0);
        INDArray z2 = z.reshape(n, z.length() / n);
        INDArray zero = z2.eq(0.0).castTo(z.dataType());
        INDArray d = Transforms.sign(z2, true).addi(zero); // sign₊
        if (ePerImage == null) d.muli(e); else d.muliColumnVector(ePerImage);
        d.addi(z2).addi(zero); // exact zeros divide by 1 and are masked out below
        INDArray s = r.reshape(n, z.length() / n).div(d).muli(zero.rsubi(1.0));
        return s.reshape(z.shape());
    }

    /** RMS of each image's z, as a column [N, 1]: ε of LRP-ε is k times this (never taken over the batch). */
    static INDArray rmsPerImage(INDArray z) {
        long n = z.size(0);
        long m = z.length() / n;
        return z.reshape(n, m).norm2(1).divi(Math.sqrt(m)).reshape(n, 1);
    }
}
