package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lrpaudit.model.Conv2d;
import org.lrpaudit.model.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Java transposed pass of strided depthwise convolutions against libnd4j's depthwise_conv2d_bp input gradient,
 * and against its definition ⟨W(a), s⟩ = ⟨a, Wᵀ(s)⟩ for the adjoint: strides 2 and 3, unequal strides, kernels 3 and
 * 5, dilation, asymmetric padding, odd sizes, several images.
 */
class DepthwiseTransposeTest {

    @ParameterizedTest(name = "k{0} stride {1}x{2} dilation {3} pads {4},{5},{6},{7} input {8}x{9}")
    @CsvSource({
            "3, 2, 2, 1, 1, 1, 1, 1, 16, 16",  // MobileNetV2's stride-2 layers
            "5, 2, 2, 1, 2, 2, 2, 2, 15, 13",  // EfficientNet's 5x5, odd sizes
            "3, 2, 2, 1, 0, 1, 1, 0, 12, 12",  // asymmetric (TF 'SAME')
            "3, 3, 3, 2, 2, 2, 2, 2, 17, 11",  // stride 3, dilation 2
            "3, 2, 1, 1, 1, 1, 1, 1, 9, 10",   // stride only along the height
            "3, 1, 2, 1, 0, 0, 0, 0, 7, 9",    // stride only along the width, no padding
    })
    void equalsTheBackpropInputGradientAndIsTheAdjoint(int k, int sH, int sW, int dilation, int top, int left, int bottom, int right,
                                                       int h, int w) {
        org.lrpaudit.backend.NativeBackend.ensureLoaded();
        Random random = new Random(11);
        int channels = 5, n = 3;
        float[] kernel = new float[channels * k * k];
        for (int i = 0; i < kernel.length; i++) kernel[i] = (float) random.nextGaussian();
        Conv2d conv = new Conv2d("dw", new Tensor(new long[] {channels, 1, k, k}, kernel), new Tensor(new long[] {channels}, new float[channels]), new int[] {sH, sW},
                new int[] {top, left, bottom, right}, new int[] {dilation, dilation}, channels);
        long[] inputShape = {channels, h, w};
        LinearOp.DepthwiseOp op = (LinearOp.DepthwiseOp) LinearOp.of(conv, inputShape);
        INDArray weight = op.weights(Nd4j.createFromArray(kernel).reshape(channels, 1, k, k));
        Nd4j.getRandom().setSeed(5);
        INDArray a = Nd4j.randn(DataType.FLOAT, n, channels, h, w);
        INDArray z = op.forward(a, weight, null);
        INDArray s = Nd4j.randn(DataType.FLOAT, z.shape());

        INDArray java = op.transpose(s, weight, a), backprop = op.transposeWithBackprop(s, weight, a);
        assertArrayEquals(a.shape(), java.shape());
        float[] x = java.data().asFloat(), y = backprop.dup('c').data().asFloat();
        double scale = backprop.amaxNumber().doubleValue();
        for (int i = 0; i < x.length; i++) assertEquals(y[i], x[i], 1e-5 * scale, "element " + i);
        double left1 = z.castTo(DataType.DOUBLE).mul(s.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
        double right1 = a.castTo(DataType.DOUBLE).mul(java.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
        assertTrue(Math.abs(left1 - right1) <= 1e-4 * Math.max(1, Math.abs(left1)), left1 + " vs " + right1);
    }
}
