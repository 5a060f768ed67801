package org.lrpaudit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** Import-time tensor arithmetic against results worked out by hand with numpy's rules. */
class StaticTensorTest {
    private static StaticTensor t(long[] shape, double... v) { return new StaticTensor(shape, v, true); }

    private static StaticTensor iota(long... shape) {
        double[] v = new double[(int) Tensor.elementCount(shape)];
        for (int i = 0; i < v.length; i++) v[i] = i;
        return t(shape, v);
    }

    @Test
    void sliceWithNegativeStepReversesAsTorchPadConversionNeeds() {
        // F.pad's ONNX form: pads [[a,b],[c,d]] reversed along axis 0 with step -1
        StaticTensor pairs = iota(3, 2).slice(new long[] {-1}, new long[] {Long.MIN_VALUE / 2}, new long[] {0}, new long[] {-1});
        assertArrayEquals(new long[] {3, 2}, pairs.shape());
        assertArrayEquals(new double[] {4, 5, 2, 3, 0, 1}, pairs.data());
        StaticTensor everyOther = iota(2, 5).slice(new long[] {1}, new long[] {5}, new long[] {1}, new long[] {2});
        assertArrayEquals(new double[] {1, 3, 6, 8}, everyOther.data());
    }

    @Test
    void gatherTransposeConcatAndExpandFollowNumpy() {
        StaticTensor g = iota(2, 3).gather(t(new long[] {2}, 2, 0), 1);       // x[:, [2, 0]]
        assertArrayEquals(new double[] {2, 0, 5, 3}, g.data());
        assertArrayEquals(new double[] {0, 3, 1, 4, 2, 5}, iota(2, 3).transpose(new long[] {1, 0}).data());
        StaticTensor c = StaticTensor.concat(new StaticTensor[] {iota(2, 1), iota(2, 2)}, 1);
        assertArrayEquals(new double[] {0, 0, 1, 1, 2, 3}, c.data());
        StaticTensor e = iota(1, 3).expand(new long[] {2, 1});
        assertArrayEquals(new long[] {2, 3}, e.shape());
        assertArrayEquals(new double[] {0, 1, 2, 0, 1, 2}, e.data());
    }

    @Test
    void scatterNdReplacesTheNamedSlices() {
        // Swin's img_mask[:, h, w, :] = cnt, written as ScatterND on a zero mask
        StaticTensor zeros = t(new long[] {3, 2}, new double[6]);
        StaticTensor out = zeros.scatterNd(t(new long[] {2, 1}, 2, 0), t(new long[] {2, 2}, 7, 8, 9, 10));
        assertArrayEquals(new double[] {9, 10, 0, 0, 7, 8}, out.data());
    }

    @Test
    void broadcastingBinaryOps() {
        StaticTensor sum = StaticTensor.binary(iota(2, 1), iota(1, 3), Double::sum, true);
        assertArrayEquals(new long[] {2, 3}, sum.shape());
        assertArrayEquals(new double[] {0, 1, 2, 1, 2, 3}, sum.data());
        StaticTensor where = StaticTensor.where(t(new long[] {3}, 1, 0, 1), t(new long[] {1}, -100), t(new long[] {3}, 1, 2, 3));
        assertArrayEquals(new double[] {-100, 2, -100}, where.data());
    }
}
