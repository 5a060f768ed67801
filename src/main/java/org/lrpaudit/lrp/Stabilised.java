package org.lrpaudit.lrp;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.Axpy;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The division step s = R / (z + e·sign(z)) of every rule, and s = 0 wherever z is exactly zero: no relevance flows
 * through a zero denominator, so neither NaN nor Inf can appear (z + e·sign(z) is zero only where z is; elsewhere
 * |z + e·sign(z)| ≥ |z|).
 *
 * <p>It runs over every convolution's output, so it is one pass in Java over blocks small enough to stay in cache
 * (read R and z once, write s once) rather than three libnd4j passes (sign, axpy, divide_no_nan), which cost a third of
 * a MobileNetV2 relevance pass. The arithmetic is the same IEEE float operations as those passes — e·sign(z) is exactly
 * ±e, one rounding for the sum, one for the quotient — so the results are bit for bit theirs; the loop is written
 * without branches so that the JIT vectorises it. Arrays that are not plain float buffers take the libnd4j passes.
 */
final class Stabilised {
    private Stabilised() {}

    /** Elements per block: three float blocks of 16 KB stay in a core's L1/L2 cache. */
    private static final int BLOCK = 4096;

    /** With one stabiliser e for the whole batch. */
    static INDArray divide(INDArray r, INDArray z, double e) { return divide(r, z, null, e); }

    /** With a stabiliser per image: {@code ePerImage} is a column [N, 1]. */
    static INDArray divide(INDArray r, INDArray z, INDArray ePerImage) { return divide(r, z, ePerImage, 0); }

    private static INDArray divide(INDArray r, INDArray z, INDArray ePerImage, double e) {
        INDArray rz = r.reshape(z.shape());
        if (JavaKernels.plainFloat(rz) && JavaKernels.plainFloat(z)) return fused(rz, z, ePerImage, (float) e);
        return libnd4j(rz, z, ePerImage, e);
    }

    private static INDArray fused(INDArray r, INDArray z, INDArray ePerImage, float e) {
        INDArray s = Nd4j.createUninitialized(DataType.FLOAT, z.shape());
        int length = (int) z.length();
        int images = ePerImage == null || z.rank() == 0 ? 1 : (int) z.size(0);
        int perImage = Math.max(1, length / images);
        float[] eOf = new float[images];
        for (int i = 0; i < images; i++) eOf[i] = ePerImage == null ? e : ePerImage.getFloat(i);
        FloatBuffer rb = r.data().asNioFloat(), zb = z.data().asNioFloat(), sb = s.data().asNioFloat();
        int rOff = (int) r.offset(), zOff = (int) z.offset(), sOff = (int) s.offset();
        int span = BLOCK * 16; // the unit of work split over threads
        JavaKernels.parallel((length + span - 1) / span, (from, to) -> divideRange(rb.duplicate(), rOff, zb.duplicate(), zOff,
                sb.duplicate(), sOff, from * span, Math.min(length, to * span), eOf, perImage));
        return s;
    }

    /** Elements [from, to) in blocks; a block never spans two images, each of which has its own stabiliser. */
    private static void divideRange(FloatBuffer rb, int rOff, FloatBuffer zb, int zOff, FloatBuffer sb, int sOff, int from, int to,
                                    float[] eOf, int perImage) {
        float[] rc = new float[BLOCK], zc = new float[BLOCK];
        for (int start = from; start < to; ) {
            int image = start / perImage;
            int len = Math.min(Math.min(BLOCK, to - start), (image + 1) * perImage - start);
            rb.get(rOff + start, rc, 0, len);
            zb.get(zOff + start, zc, 0, len);
            divideBlock(rc, zc, len, eOf[image]);
            sb.put(sOff + start, rc, 0, len);
            start += len;
        }
    }

    /**
     * r[i] ← r[i] / (z[i] + e·sign(z[i])), or 0 where z[i] = 0, without branches: sign(z) is z scaled past every
     * float's magnitude (2^149 takes the smallest subnormal to 1) and clamped to [−1, 1], so exactly −1, 0 or 1; where
     * it is 0 the denominator gets 1 added and the quotient is multiplied by |sign| = 0.
     */
    static void divideBlock(float[] r, float[] z, int len, float e) {
        for (int i = 0; i < len; i++) {
            float zi = z[i];
            float sign = Math.min(Math.max(zi * 0x1p100f * 0x1p49f, -1f), 1f);
            float nonZero = Math.abs(sign);
            r[i] = r[i] / (zi + e * sign + (1f - nonZero)) * nonZero;
        }
    }

    /** The same division in libnd4j passes, for double arrays and strided views. */
    static INDArray libnd4j(INDArray r, INDArray z, INDArray ePerImage, double e) {
        long n = z.size(0);
        INDArray sign = Transforms.sign(z, true), d = sign;
        if (ePerImage == null) {
            Nd4j.exec(new Axpy(sign, z, d, e)); // d = e·sign(z) + z in one pass
        } else {
            d = d.reshape(n, z.length() / n).muliColumnVector(ePerImage).reshape(z.shape());
            d.addi(z);
        }
        INDArray s = Nd4j.createUninitialized(r.dataType(), z.shape());
        Nd4j.exec(DynamicCustomOp.builder("divide_no_nan").addInputs(r, d).addOutputs(s).build());
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
