package org.lrpaudit.lrp;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.Axpy;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The division step s = R / (z + e·sign(z)) of every rule, and s = 0 wherever z is exactly zero: no relevance flows
 * through a zero denominator, so neither NaN nor Inf can appear. Because z + e·sign(z) is zero only
 * where z is (elsewhere |z + e·sign(z)| ≥ |z|), libnd4j's divide_no_nan does the masking in the same pass.
 */
final class Stabilised {
    private Stabilised() {}

    /** With one stabiliser e for the whole batch. */
    static INDArray divide(INDArray r, INDArray z, double e) { return divide(r, z, null, e); }

    /** With a stabiliser per image: {@code ePerImage} is a column [N, 1]. */
    static INDArray divide(INDArray r, INDArray z, INDArray ePerImage) { return divide(r, z, ePerImage, 0); }

    private static INDArray divide(INDArray r, INDArray z, INDArray ePerImage, double e) {
        long n = z.size(0);
        INDArray sign = Transforms.sign(z, true), d = sign;
        if (ePerImage == null) {
            Nd4j.exec(new Axpy(sign, z, d, e)); // d = e·sign(z) + z in one pass: the division runs over every conv output
        } else {
            d = d.reshape(n, z.length() / n).muliColumnVector(ePerImage).reshape(z.shape());
            d.addi(z);
        }
        INDArray s = Nd4j.createUninitialized(r.dataType(), z.shape());
        Nd4j.exec(DynamicCustomOp.builder("divide_no_nan").addInputs(r.reshape(z.shape()), d).addOutputs(s).build());
        Release.free(sign); // d may be a reshaped view, which close() would not free
        return s;
    }

    /** RMS of each image's z, as a column [N, 1]: ε of LRP-ε is k times this (never taken over the batch). */
    static INDArray rmsPerImage(INDArray z) {
        long n = z.size(0);
        long m = z.length() / n;
        return z.reshape(n, m).norm2(1).divi(Math.sqrt(m)).reshape(n, 1);
    }
}
