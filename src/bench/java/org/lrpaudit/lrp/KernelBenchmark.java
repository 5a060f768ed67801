package org.lrpaudit.lrp;

import org.lrpaudit.model.Conv2d;
import org.lrpaudit.model.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The relevance pass's Java kernels against the libnd4j ops they replace, in one process, on MobileNetV2's largest
 * maps at batch 8 (in a workspace, as the engine runs): the stabilised division over [8, 96, 112, 112] (one pass
 * against sign, axpy, divide_no_nan) and the stride-2 depthwise transpose [8, 96, 56, 56] → [8, 96, 112, 112]
 * (against depthwise_conv2d_bp; the forward op for scale); SiLU over [8, 96, 112, 112] (EfficientNet-B0's largest, the
 * vector kernel against libnd4j's swish). Prints the median of 15 rounds after 5 of warm-up.
 * <pre>OMP_NUM_THREADS=2 java ... org.lrpaudit.lrp.KernelBenchmark</pre>
 */
public final class KernelBenchmark {
    public static void main(String[] args) {
        org.lrpaudit.backend.NativeBackend.ensureLoaded();
        Nd4j.getRandom().setSeed(1);
        int c = 96, h = 112;
        INDArray z = Nd4j.randn(DataType.FLOAT, 8, c, h, h), r = Nd4j.randn(DataType.FLOAT, 8, c, h, h);
        float[] kernel = new float[c * 9];
        for (int i = 0; i < kernel.length; i++) kernel[i] = (float) Math.sin(i);
        Conv2d conv = new Conv2d("dw", new Tensor(new long[] {c, 1, 3, 3}, kernel), new Tensor(new long[] {c}, new float[c]),
                new int[] {2, 2}, new int[] {1, 1, 1, 1}, new int[] {1, 1}, c);
        LinearOp.DepthwiseOp op = (LinearOp.DepthwiseOp) LinearOp.of(conv, new long[] {c, h, h});
        INDArray w = op.weights(Nd4j.createFromArray(kernel).reshape(c, 1, 3, 3));
        INDArray s = Nd4j.randn(DataType.FLOAT, 8, c, h / 2, h / 2);
        int warmUp = 5, rounds = 15;
        double[][] ms = new double[7][rounds];
        for (int round = 0; round < warmUp + rounds; round++) {
            try (var ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(EnginePasses.WORKSPACE, "kernels")) {
                long t0 = System.nanoTime();
                Stabilised.divide(r, z, Rule.STABILISER);
                long t1 = System.nanoTime();
                Stabilised.libnd4j(r, z, null, Rule.STABILISER);
                long t2 = System.nanoTime();
                op.transpose(s, w, z);
                long t3 = System.nanoTime();
                op.transposeWithBackprop(s, w, z);
                long t4 = System.nanoTime();
                op.forward(z, w, null);
                long t5 = System.nanoTime();
                Silu.apply(z);
                long t6 = System.nanoTime();
                Silu.libnd4j(z);
                long t7 = System.nanoTime();
                if (round < warmUp) continue;
                long[] t = {t0, t1, t2, t3, t4, t5, t6, t7};
                for (int k = 0; k < 7; k++) ms[k][round - warmUp] = (t[k + 1] - t[k]) / 1e6;
            }
        }
        double[] m = new double[7];
        for (int k = 0; k < 7; k++) { java.util.Arrays.sort(ms[k]); m[k] = ms[k][rounds / 2]; }
        System.out.printf("division [8,96,112,112]: one Java pass %.1f ms, libnd4j sign+axpy+divide_no_nan %.1f ms (%.2fx)%n", m[0], m[1], m[1] / m[0]);
        System.out.printf("stride-2 depthwise transpose: Java %.1f ms, depthwise_conv2d_bp %.1f ms (%.2fx); forward op %.1f ms%n", m[2], m[3], m[3] / m[2], m[4]);
        System.out.printf("SiLU [8,96,112,112]: vector kernel %.1f ms%s, libnd4j swish %.1f ms (%.2fx)%n", m[5],
                Silu.VECTOR_API ? "" : " (vector API absent: libnd4j's)", m[6], m[6] / m[5]);
    }
}
