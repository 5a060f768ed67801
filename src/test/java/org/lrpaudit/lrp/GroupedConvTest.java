package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrpaudit.model.Conv2d;
import org.lrpaudit.model.Dense;
import org.lrpaudit.model.Flatten;
import org.lrpaudit.model.Layer;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.Relu;
import org.lrpaudit.model.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The native grouped, depthwise (one kernel per channel, dilated; and with a channel multiplier and asymmetric padding,
 * which runs as a grouped convolution) and per-channel affine convolutions
 * against the same network with each kernel expanded to its dense equivalent (zero across groups), which runs through
 * the plain convolution: same logits and same relevance for every rule.
 */
class GroupedConvTest {
    private static final Random RANDOM = new Random(7);

    private static Tensor random(long... shape) {
        float[] v = new float[(int) Tensor.elementCount(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) RANDOM.nextGaussian() * 0.5f;
        return new Tensor(shape, v);
    }

    private static Conv2d conv(String name, Tensor w, int groups, int stride, int[] pads) {
        return new Conv2d(name, w, random(w.dim(0)), new int[] {stride, stride}, pads, new int[] {1, 1}, groups);
    }

    private static Conv2d dilated(String name, Tensor w, int groups, int dilation, int[] pads) {
        return new Conv2d(name, w, random(w.dim(0)), new int[] {1, 1}, pads, new int[] {dilation, dilation}, groups);
    }

    /** The dense kernel [O, I, kH, kW] of a grouped one, zero across groups. */
    private static Conv2d dense(Conv2d c) {
        long out = c.outChannels(), in = c.inChannels(), perGroup = in / c.groups(), plane = c.kernelH() * c.kernelW();
        float[] d = new float[(int) (out * in * plane)];
        for (long o = 0; o < out; o++) {
            long g = o / (out / c.groups());
            System.arraycopy(c.weight().data(), (int) (o * perGroup * plane), d, (int) ((o * in + g * perGroup) * plane), (int) (perGroup * plane));
        }
        return new Conv2d(c.name(), new Tensor(new long[] {out, in, c.kernelH(), c.kernelW()}, d), c.bias(), c.stride(), c.pads(), c.dilation(), 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"zero", "epsilon=0.25", "gamma=0.25", "alpha1beta0", "alpha2beta1", "flat", "wsquare"})
    void nativeGroupsEqualTheDenseKernels(String rule) {
        org.lrpaudit.backend.NativeBackend.ensureLoaded(); // before the first ND4J array, as the engine does
        Conv2d grouped = conv("grouped", random(6, 2, 3, 3), 2, 1, new int[] {1, 0, 0, 1});            // 4 -> 6, 2 groups
        Conv2d depthwise = conv("depthwise", random(12, 1, 3, 3), 6, 2, new int[] {0, 1, 1, 0});       // 6 -> 12, multiplier 2
        Conv2d perChannel = dilated("per-channel", random(12, 1, 3, 3), 12, 2, new int[] {2, 2, 2, 2});   // 12 -> 12, dilation 2
        Conv2d affine = Conv2d.channelAffine("bn", random(12).data(), random(12).data());
        Conv2d lopsided = conv("lopsided", random(12, 1, 3, 3), 12, 1, new int[] {2, 0, 0, 2});         // stride 1, asymmetric pads
        List<Layer> layers = List.of(grouped, new Relu("r1"), depthwise, new Relu("r2"), perChannel, new Relu("r3"), affine, new Relu("r4"),
                lopsided, new Relu("r5"), new Flatten("f"), new Dense("fc", random(3, 12 * 3 * 3), random(3)));
        Network net = new Network("grouped", new long[] {4, 8, 8}, layers, List.of());
        Network expanded = net.withLayer(0, dense(grouped)).withLayer(2, dense(depthwise)).withLayer(4, dense(perChannel))
                .withLayer(6, dense(affine)).withLayer(8, dense(lopsided));
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 4, 8, 8).subi(0.3);
        Explanation a = new LrpEngine(net, Composite.parse("0-:" + rule, net, MaxPoolMode.AVG), null).explain(x, null, false);
        Explanation b = new LrpEngine(expanded, Composite.parse("0-:" + rule, expanded, MaxPoolMode.AVG), null).explain(x, null, false);
        assertTrue(b.relevance().amaxNumber().doubleValue() > 0, rule + ": the random network passes no relevance, the check would be vacuous");
        double logits = a.logits().sub(b.logits()).amaxNumber().doubleValue() / b.logits().amaxNumber().doubleValue();
        double relevance = a.relevance().sub(b.relevance()).amaxNumber().doubleValue() / b.relevance().amaxNumber().doubleValue();
        assertTrue(logits < 1e-5, "logits differ by " + logits);
        assertTrue(relevance < 1e-4, rule + ": relevance differs by " + relevance + " of its largest value");
    }

    /** Per-group convolutions (large calls) and the dense kernel (small calls) give one grouped op the same sums. */
    @org.junit.jupiter.api.Test
    void perGroupAndDenseKernelPathsAgree() {
        org.lrpaudit.backend.NativeBackend.ensureLoaded();
        Conv2d c = conv("grouped", random(12, 2, 3, 3), 3, 2, new int[] {1, 0, 1, 1}); // 6 -> 12, 3 groups, stride 2
        long[] in = {6, 9, 9};
        GroupedOp perGroup = new GroupedOp(c, in, 0), denseKernel = new GroupedOp(c, in, Long.MAX_VALUE);
        INDArray w = perGroup.weights(Nd4j.createFromArray(c.weight().data()).reshape(12, 2, 3, 3));
        INDArray b = Nd4j.createFromArray(c.bias().data());
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 6, 9, 9).subi(0.5);
        INDArray z1 = perGroup.forward(x, w, b), z2 = denseKernel.forward(x, w, b);
        assertTrue(z1.sub(z2).amaxNumber().doubleValue() < 1e-5 * z2.amaxNumber().doubleValue(), "forward differs");
        INDArray s = Nd4j.rand(DataType.FLOAT, z1.shape());
        INDArray c1 = perGroup.transpose(s, w, x), c2 = denseKernel.transpose(s, w, x);
        assertTrue(java.util.Arrays.equals(c1.shape(), x.shape()), "transpose shape");
        assertTrue(c1.sub(c2).amaxNumber().doubleValue() < 1e-5 * c2.amaxNumber().doubleValue(), "transpose differs");
        assertTrue(c2.amaxNumber().doubleValue() > 0, "vacuous");
    }
}
