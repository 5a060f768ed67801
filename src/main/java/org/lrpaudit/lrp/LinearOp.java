package org.lrpaudit.lrp;

import java.util.Arrays;
import org.lrpaudit.model.Conv2d;
import org.lrpaudit.model.Dense;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The linear map of a conv or dense layer with interchangeable weights: the rules call it with ρ(W) in place of W.
 * {@link #transpose} is the transposed map (the gradient of Σ z·s with respect to the input), computing only
 * the input gradient.
 */
interface LinearOp {

    /** A weight in the model's layout ([out, in] or [O, I, kH, kW]) converted to the layout this op runs with. */
    default INDArray weights(INDArray modelLayout) { return modelLayout; }

    /** z = W(a) + b for a batch; bias may be null. Weights come from {@link #weights}. */
    INDArray forward(INDArray a, INDArray weight, INDArray bias);

    /** c = Wᵀ(s), shaped like the layer's input batch. */
    INDArray transpose(INDArray s, INDArray weight, long batch);

    static LinearOp of(Conv2d conv, long[] inputShape) { return new ConvOp(conv, inputShape); }

    static LinearOp of(Dense dense) { return new DenseOp(); }

    /** Dense: weight [out, in]. */
    final class DenseOp implements LinearOp {
        @Override public INDArray forward(INDArray a, INDArray weight, INDArray bias) {
            INDArray z = a.mmul(weight.transpose());
            return bias == null ? z : z.addiRowVector(bias);
        }

        @Override public INDArray transpose(INDArray s, INDArray weight, long batch) { return s.mmul(weight); }
    }

    /**
     * Conv2d, NCHW, weight [O, I, kH, kW]. Asymmetric padding is applied by padding the input explicitly. The
     * transposed pass is a deconvolution without padding onto the padded input canvas, then cropped: that gives the
     * exact input shape even when a stride leaves trailing rows unused (where deconv2d alone would be one short).
     * Dilated kernels are expanded with zeros into a dense kernel, because ND4J's oneDNN build refuses dilated
     * convolutions ("could not create a descriptor for a dilated convolution"); ρ is applied before the expansion.
     */
    final class ConvOp implements LinearOp {
        private static final int NCHW = 0, OIHW = 1;
        private final int kH, kW, sH, sW, dH, dW; // kernel as run: dilation already expanded into kH, kW
        private final int modelDH, modelDW;
        private final int[] pads;
        private final long inH, inW, outH, outW;
        private final boolean symmetric;

        ConvOp(Conv2d conv, long[] inputShape) {
            sH = conv.stride()[0]; sW = conv.stride()[1];
            modelDH = conv.dilation()[0]; modelDW = conv.dilation()[1];
            kH = modelDH * (conv.kernelH() - 1) + 1; kW = modelDW * (conv.kernelW() - 1) + 1;
            dH = 1; dW = 1;
            pads = conv.pads();
            symmetric = conv.symmetricPadding();
            inH = inputShape[1]; inW = inputShape[2];
            long[] out = conv.outputShape(inputShape);
            outH = out[1]; outW = out[2];
        }

        @Override public INDArray weights(INDArray w) {
            if (modelDH == 1 && modelDW == 1) return w;
            INDArray dense = Nd4j.zeros(DataType.FLOAT, w.size(0), w.size(1), kH, kW);
            dense.get(all(), all(), NDArrayIndex.interval(0, modelDH, kH), NDArrayIndex.interval(0, modelDW, kW)).assign(w);
            return dense;
        }

        @Override public INDArray forward(INDArray a, INDArray weight, INDArray bias) {
            INDArray in = a;
            int pH = pads[0], pW = pads[1];
            if (!symmetric) {
                in = Nd4j.pad(a, new int[][] {{0, 0}, {0, 0}, {pads[0], pads[2]}, {pads[1], pads[3]}});
                pH = 0; pW = 0;
            }
            INDArray z = Nd4j.createUninitialized(DataType.FLOAT, a.size(0), weight.size(0), outH, outW);
            DynamicCustomOp.DynamicCustomOpsBuilder op = DynamicCustomOp.builder("conv2d");
            if (bias == null) op.addInputs(in, weight); else op.addInputs(in, weight, bias);
            Nd4j.exec(op.addOutputs(z).addIntegerArguments(kH, kW, sH, sW, pH, pW, dH, dW, 0, NCHW, OIHW).build());
            if (in != a) Release.free(in);
            return z;
        }

        @Override public INDArray transpose(INDArray s, INDArray weight, long batch) {
            long fullH = (long) sH * (outH - 1) + (long) dH * (kH - 1) + 1;
            long fullW = (long) sW * (outW - 1) + (long) dW * (kW - 1) + 1;
            long channels = weight.size(1); // inC, or a multiple of it for stacked weights
            INDArray full = Nd4j.create(DataType.FLOAT, batch, channels, fullH, fullW);
            // deconv2d's weight layout 1 is [iC, oC, kH, kW] from its own point of view: exactly ONNX's [O, I, kH, kW].
            Nd4j.exec(DynamicCustomOp.builder("deconv2d").addInputs(s, weight).addOutputs(full)
                    .addIntegerArguments(kH, kW, sH, sW, 0, 0, dH, dW, 0, NCHW, OIHW).build());
            long padH = inH + pads[0] + pads[2], padW = inW + pads[1] + pads[3];
            if (fullH == padH && fullW == padW && pads[0] == 0 && pads[1] == 0) return full;
            INDArray canvas = fullH >= padH && fullW >= padW ? full : Nd4j.zeros(DataType.FLOAT, batch, channels, padH, padW);
            if (canvas != full) {
                long h = Math.min(fullH, padH), w = Math.min(fullW, padW);
                canvas.get(all(), all(), NDArrayIndex.interval(0, h), NDArrayIndex.interval(0, w))
                        .assign(full.get(all(), all(), NDArrayIndex.interval(0, h), NDArrayIndex.interval(0, w)));
            }
            INDArray cropped = canvas.get(all(), all(), NDArrayIndex.interval(pads[0], pads[0] + inH),
                    NDArrayIndex.interval(pads[1], pads[1] + inW)).dup();
            Release.free(full, canvas);
            return cropped;
        }

        private static INDArrayIndex all() { return NDArrayIndex.all(); }

        @Override public String toString() {
            return "conv k" + kH + "x" + kW + " s" + sH + "x" + sW + " d" + dH + "x" + dW + " p" + Arrays.toString(pads);
        }
    }
}
