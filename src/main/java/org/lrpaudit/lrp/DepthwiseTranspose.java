package org.lrpaudit.lrp;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The transposed pass of a strided depthwise convolution (one kernel per channel, stride > 1) in Java: each output
 * element of the layer sends w·s back to the kH·kW inputs it read. libnd4j has this only inside depthwise_conv2d_bp,
 * which also computes the weight gradient LRP discards and cost 2.7–3.3× the forward op on MobileNetV2's stride-2
 * layers.
 *
 * <p>Per channel plane, the input is accumulated split by the residues of its coordinates modulo the strides, so that
 * one kernel tap is one contiguous multiply-add over the plane, which the JIT vectorises; the residues are interleaved
 * back once per plane. Planes run on libnd4j's thread count.
 */
final class DepthwiseTranspose {
    private DepthwiseTranspose() {}

    /**
     * c = Wᵀ(s) for s [N, C, outH, outW] and a kernel [kH, kW, C, 1] (dilation already expanded into it), onto the
     * unpadded input [N, C, inH, inW]; padTop/padLeft place the kernel as the forward pass did.
     */
    static INDArray apply(INDArray s, INDArray weight, long inH, long inW, int sH, int sW, int padTop, int padLeft) {
        int n = (int) s.size(0), channels = (int) s.size(1), outH = (int) s.size(2), outW = (int) s.size(3);
        int kH = (int) weight.size(0), kW = (int) weight.size(1);
        float[] w = weight.dup('c').data().asFloat(); // [kH, kW, C]
        INDArray c = Nd4j.createUninitialized(DataType.FLOAT, n, channels, inH, inW);
        FloatBuffer sb = s.data().asNioFloat(), cb = c.data().asNioFloat();
        int sOff = (int) s.offset(), cOff = (int) c.offset();
        Plane geometry = new Plane((int) inH, (int) inW, outH, outW, kH, kW, sH, sW, padTop, padLeft);
        JavaKernels.parallel(n * channels, (from, to) -> {
            Scratch scratch = geometry.scratch();
            FloatBuffer sv = sb.duplicate(), cv = cb.duplicate();
            for (int plane = from; plane < to; plane++) {
                int channel = plane % channels;
                for (int t = 0; t < scratch.taps.length; t++) scratch.taps[t] = w[t * channels + channel];
                geometry.transpose(sv, sOff + plane * outH * outW, cv, cOff + plane * geometry.inH * geometry.inW, scratch);
            }
        });
        return c;
    }

    /** A thread's arrays for one plane at a time: kernel taps, s with margins, the residue-split canvas, the result. */
    private record Scratch(float[] taps, float[] s, float[] canvas, float[] c) {}

    /**
     * One channel plane's geometry; {@link #transpose} does one plane. The canvas holds the input plane split by the
     * residues of y and x modulo the strides, [ρy][ρx][row][column], each block with a margin of m cells, and s is
     * copied into rows of the same width: a kernel tap then moves every element of s by one fixed offset, and its
     * multiply-add runs over the whole plane as one contiguous loop (zero margins of s add zero wherever they land).
     */
    private record Plane(int inH, int inW, int outH, int outW, int kH, int kW, int sH, int sW, int padTop, int padLeft,
                         int margin, int rows, int width) {

        Plane(int inH, int inW, int outH, int outW, int kH, int kW, int sH, int sW, int padTop, int padLeft) {
            this(inH, inW, outH, outW, kH, kW, sH, sW, padTop, padLeft, margin(kH, kW, sH, sW, padTop, padLeft),
                    Math.max(outH, (inH + sH - 1) / sH), Math.max(outW, (inW + sW - 1) / sW));
        }

        /** The largest shift, in canvas cells, of any tap: y = i·sH + ky − padTop = (i + shift)·sH + ρ. */
        private static int margin(int kH, int kW, int sH, int sW, int padTop, int padLeft) {
            int m = 0;
            for (int ky = 0; ky < kH; ky++) m = Math.max(m, Math.abs(Math.floorDiv(ky - padTop, sH)));
            for (int kx = 0; kx < kW; kx++) m = Math.max(m, Math.abs(Math.floorDiv(kx - padLeft, sW)));
            return m;
        }

        int stride() { return width + 2 * margin; }

        int block() { return (rows + 2 * margin) * stride(); }

        Scratch scratch() {
            return new Scratch(new float[kH * kW], new float[outH * stride()], new float[sH * sW * block() + stride() + 2 * margin], new float[inH * inW]);
            // the slack past the last block takes the zeros of s's last row margin
        }

        void transpose(FloatBuffer sb, int sAt, FloatBuffer cb, int cAt, Scratch scratch) {
            float[] s = scratch.s, canvas = scratch.canvas, taps = scratch.taps, c = scratch.c;
            int stride = stride(), block = block(), length = outH * stride;
            for (int i = 0; i < outH; i++) sb.get(sAt + i * outW, s, i * stride, outW); // columns past outW stay 0
            java.util.Arrays.fill(canvas, 0f);
            for (int ky = 0; ky < kH; ky++) {
                int rhoY = Math.floorMod(ky - padTop, sH), shiftY = Math.floorDiv(ky - padTop, sH);
                for (int kx = 0; kx < kW; kx++) {
                    float tap = taps[ky * kW + kx];
                    if (tap == 0f) continue; // dilation's zeros
                    int rhoX = Math.floorMod(kx - padLeft, sW), shiftX = Math.floorDiv(kx - padLeft, sW);
                    int at = (rhoY * sW + rhoX) * block + (shiftY + margin) * stride + shiftX + margin;
                    for (int k = 0; k < length; k++) canvas[at + k] += tap * s[k];
                }
            }
            for (int rhoY = 0; rhoY < sH; rhoY++) {
                for (int rhoX = 0; rhoX < sW; rhoX++) {
                    int base = (rhoY * sW + rhoX) * block + margin * stride + margin;
                    for (int q = 0, y = rhoY; y < inH; q++, y += sH) {
                        int from = base + q * stride, to = y * inW;
                        for (int r = 0, x = rhoX; x < inW; r++, x += sW) c[to + x] = canvas[from + r];
                    }
                }
            }
            cb.put(cAt, c, 0, c.length);
        }
    }
}
