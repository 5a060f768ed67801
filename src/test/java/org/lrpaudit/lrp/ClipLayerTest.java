package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Clip's forward takes two paths (relu6 for [0, 6], max then min otherwise): both against clamping by hand. */
class ClipLayerTest {
    @Test
    void bothPathsClampEveryElement() {
        float[] x = {-7.5f, -1f, -0.25f, 0f, 0.5f, 1.99f, 2f, 5.9f, 6f, 6.01f, 100f};
        for (float[] range : new float[][] {{0, 6}, {-1, 2}, {0, 1}}) {
            INDArray in = Nd4j.createFromArray(x).reshape(1, x.length).castTo(DataType.FLOAT);
            float[] got = new PointwiseLayers.ClipLayer(range[0], range[1]).forward(in).toFloatVector();
            float[] want = new float[x.length];
            for (int i = 0; i < x.length; i++) want[i] = Math.min(Math.max(x[i], range[0]), range[1]);
            assertArrayEquals(want, got, 0f, "clip to [" + range[0] + ", " + range[1] + "]");
            assertArrayEquals(x, in.toFloatVector(), 0f, "the input is left as it was");
        }
    }
}
