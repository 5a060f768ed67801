package org.lrpaudit.lrp;

import java.util.Arrays;
import org.lrpaudit.model.Conv2d;
import org.lrpaudit.model.Dense;
import org.lrpaudit.model.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
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

    /**
     * c = Wᵀ(s), shaped like the layer's input batch. input is that batch (or any array of its shape): ops read its
     * shape, and the depthwise backward op, which also computes a weight gradient LRP discards, reads its values.
     */
    INDArray transpose(INDArray s, INDArray weight, INDArray input);

    /**
     * The op that runs a conv layer: per-channel affine maps, depthwise and grouped convolutions natively, never with
     * the g-times larger dense kernel (-Dlrp.denseGroups=true runs grouped ones dense, to compare in benchmarks).
     */
    static LinearOp of(Conv2d conv, long[] inputShape) {
        if (conv.groups() == 1 && PointwiseOp.fits(conv) && !Boolean.getBoolean("lrp.convPointwise")) return new PointwiseOp();
        if (conv.groups() == 1 || Boolean.getBoolean("lrp.denseGroups")) return new ConvOp(conv, inputShape);
        if (conv.isChannelAffine()) return new ChannelAffineOp();
        if (conv.inChannels() == conv.groups()) return new DepthwiseOp(conv, inputShape);
        return new GroupedOp(conv, inputShape);
    }

    /**
     * A conv layer as one dense kernel whatever its groups, zero across groups (every rule maps zero weights to zero,
     * so relevance stays within groups): the z^B rule stacks kernels along the input axis, which needs one kernel.
     */
    static LinearOp dense(Conv2d conv, long[] inputShape) { return new ConvOp(conv, inputShape); }

    static LinearOp of(Dense dense) { return new DenseOp(); }

    /** Dense: weight [out, in], on [N, in] or on the last axis of [N, ..., in] (as rows of one matrix product). */
    final class DenseOp implements LinearOp {
        @Override public INDArray forward(INDArray a, INDArray weight, INDArray bias) {
            INDArray z = rows(a).mmul(weight.transpose());
            if (bias != null) z.addiRowVector(bias);
            return a.rank() == 2 ? z : z.reshape('c', lastAxis(a.shape(), weight.size(0)));
        }

        @Override public INDArray transpose(INDArray s, INDArray weight, INDArray input) {
            INDArray c = rows(s).mmul(weight);
            return s.rank() == 2 ? c : c.reshape('c', lastAxis(s.shape(), weight.size(1)));
        }

        private static INDArray rows(INDArray a) { return a.rank() == 2 ? a : a.reshape('c', a.length() / a.size(a.rank() - 1), a.size(a.rank() - 1)); }

        private static long[] lastAxis(long[] shape, long size) {
            long[] out = shape.clone();
            out[out.length - 1] = size;
            return out;
        }
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
        private final int modelDH, modelDW, groups;
        private final int[] pads;
        private final long inH, inW, outH, outW;
        private final boolean symmetric;

        ConvOp(Conv2d conv, long[] inputShape) {
            sH = conv.stride()[0]; sW = conv.stride()[1];
            modelDH = conv.dilation()[0]; modelDW = conv.dilation()[1];
            groups = conv.groups();
            kH = modelDH * (conv.kernelH() - 1) + 1; kW = modelDW * (conv.kernelW() - 1) + 1;
            dH = 1; dW = 1;
            pads = conv.pads();
            symmetric = conv.symmetricPadding();
            inH = inputShape[1]; inW = inputShape[2];
            long[] out = conv.outputShape(inputShape);
            outH = out[1]; outW = out[2];
        }

        @Override public INDArray weights(INDArray grouped) {
            return Grouping.dilate(Grouping.ungroup(grouped, groups), modelDH, modelDW);
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

        @Override public INDArray transpose(INDArray s, INDArray weight, INDArray input) {
            long fullH = (long) sH * (outH - 1) + (long) dH * (kH - 1) + 1;
            long fullW = (long) sW * (outW - 1) + (long) dW * (kW - 1) + 1;
            long channels = weight.size(1); // inC, or a multiple of it for stacked weights
            long batch = input.size(0);
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

    /**
     * A 1×1 convolution with stride 1 and no padding (MobileNet's and EfficientNet's expansions and projections) as one
     * matrix product per image, W [O, I] · a [I, H·W], and its transpose Wᵀ · s. On an AVX2 CPU, MobileNetV2's zoo check
     * gave 2.5e-2 relative L2 with oneDNN's 1×1 kernels (over the 2e-2 bar) and 1.1e-2 with the products (ResNet-50:
     * 6.6e-3 and 8.8e-3): rounding that LRP-0's division by z amplifies where z ≈ 0. In isolation the products ran
     * faster (8×16→96×112²: 23 vs 30 ms forward, 19 vs 22 ms transposed); end to end the same within noise.
     * -Dlrp.convPointwise=true runs them as convolutions again, to compare.
     */
    final class PointwiseOp implements LinearOp {
        static boolean fits(Conv2d conv) {
            return conv.kernelH() == 1 && conv.kernelW() == 1 && conv.stride()[0] == 1 && conv.stride()[1] == 1
                    && Arrays.stream(conv.pads()).allMatch(p -> p == 0);
        }

        @Override public INDArray weights(INDArray modelLayout) { return modelLayout.reshape('c', modelLayout.size(0), modelLayout.size(1)).dup('c'); }

        @Override public INDArray forward(INDArray a, INDArray weight, INDArray bias) {
            INDArray z = perImage(a, weight, false);
            if (bias != null) Nd4j.exec(new BroadcastAddOp(z, bias, z, 1));
            return z;
        }

        @Override public INDArray transpose(INDArray s, INDArray weight, INDArray input) { return perImage(s, weight, true); }

        /** out_n = W · x_n (or Wᵀ · x_n) for each image n, shaped [N, rows, H, W]. */
        private static INDArray perImage(INDArray x, INDArray weight, boolean transposed) {
            long n = x.size(0), h = x.size(2), w = x.size(3);
            long rows = transposed ? weight.size(1) : weight.size(0);
            INDArray in = x.reshape('c', n, x.size(1), h * w);
            INDArray out = Nd4j.createUninitialized(DataType.FLOAT, n, rows, h * w);
            for (long i = 0; i < n; i++) Nd4j.gemm(weight, in.slice(i), out.slice(i), transposed, false, 1.0, 0.0);
            if (in != x && !Release.shares(in, x)) Release.free(in);
            return out.reshape('c', n, rows, h, w);
        }

        @Override public String toString() { return "1x1 conv as matrix products"; }
    }

    /** A per-channel affine map y = w·x + b (a batch norm of its own): broadcasts along the channel axis. */
    final class ChannelAffineOp implements LinearOp {
        @Override public INDArray weights(INDArray modelLayout) { return modelLayout.reshape(modelLayout.length()); }

        @Override public INDArray forward(INDArray a, INDArray weight, INDArray bias) {
            INDArray z = a.dup();
            Nd4j.exec(new BroadcastMulOp(z, weight, z, 1));
            if (bias != null) Nd4j.exec(new BroadcastAddOp(z, bias, z, 1));
            return z;
        }

        @Override public INDArray transpose(INDArray s, INDArray weight, INDArray input) {
            INDArray c = s.dup();
            Nd4j.exec(new BroadcastMulOp(c, weight, c, 1));
            return c;
        }

        @Override public String toString() { return "per-channel affine"; }
    }

    /**
     * A depthwise convolution (group = input channels, m outputs per channel) with libnd4j's depthwise ops in the kernel
     * layout [kH, kW, C, m], the one they hand to oneDNN: on MobileNetV2's 96×112×112 maps the layouts [m, C, kH, kW] and
     * [m, kH, kW, C] measured 20–40× slower. Asymmetric padding is applied explicitly; dilation is expanded into the
     * kernel, as for {@link ConvOp}. The transposed pass: at stride 1 the forward op with the kernel rotated, strided
     * with one kernel per channel {@link DepthwiseTranspose}, else the input gradient of depthwise_conv2d_bp
     * (-Dlrp.depthwiseBackprop=true always takes that, to compare in benchmarks).
     */
    final class DepthwiseOp implements LinearOp {
        private static final int NCHW = 0, KH_KW_C_M = 0;
        private final int kH, kW, sH, sW, modelDH, modelDW;
        private final int[] pads;
        private final boolean symmetric;
        private final long channels, inH, inW, outH, outW;

        DepthwiseOp(Conv2d conv, long[] inputShape) {
            sH = conv.stride()[0]; sW = conv.stride()[1];
            modelDH = conv.dilation()[0]; modelDW = conv.dilation()[1];
            kH = modelDH * (conv.kernelH() - 1) + 1; kW = modelDW * (conv.kernelW() - 1) + 1;
            pads = conv.pads();
            symmetric = conv.symmetricPadding();
            channels = inputShape[0]; inH = inputShape[1]; inW = inputShape[2];
            long[] out = conv.outputShape(inputShape);
            outH = out[1]; outW = out[2];
        }

        /** ONNX's [C·m, 1, kH, kW] (output channel c·m + j reads input channel c) as [kH, kW, C, m]. */
        @Override public INDArray weights(INDArray w) {
            INDArray dilated = Grouping.dilate(w, modelDH, modelDW);
            long m = dilated.size(0) / channels;
            return dilated.reshape('c', channels, m, kH, kW).permute(2, 3, 0, 1).dup('c');
        }

        private int[] args(boolean explicitPadding) {
            return new int[] {kH, kW, sH, sW, explicitPadding ? 0 : pads[0], explicitPadding ? 0 : pads[1], 1, 1, 0, NCHW, KH_KW_C_M};
        }

        @Override public INDArray forward(INDArray a, INDArray weight, INDArray bias) {
            INDArray in = symmetric ? a : PoolLayers.embed(a, pads, 0f);
            INDArray z = Nd4j.createUninitialized(DataType.FLOAT, a.size(0), channels * weight.size(3), outH, outW);
            DynamicCustomOp.DynamicCustomOpsBuilder op = DynamicCustomOp.builder("depthwise_conv2d");
            if (bias == null) op.addInputs(in, weight); else op.addInputs(in, weight, bias);
            Nd4j.exec(op.addOutputs(z).addIntegerArguments(args(!symmetric)).build());
            if (in != a) Release.free(in);
            return z;
        }

        @Override public INDArray transpose(INDArray s, INDArray weight, INDArray input) {
            if (sH == 1 && sW == 1 && weight.size(3) == 1 && pads[0] < kH && pads[2] < kH && pads[1] < kW && pads[3] < kW) {
                return transposeAsCorrelation(s, weight);
            }
            if (weight.size(3) == 1 && JavaKernels.plainFloat(s) && !Boolean.getBoolean("lrp.depthwiseBackprop")) {
                return DepthwiseTranspose.apply(s, weight, inH, inW, sH, sW, pads[0], pads[1]);
            }
            return transposeWithBackprop(s, weight, input);
        }

        /** The input gradient of depthwise_conv2d_bp (it also computes the weight gradient, discarded). */
        INDArray transposeWithBackprop(INDArray s, INDArray weight, INDArray input) {
            long batch = input.size(0);
            long h = symmetric ? inH : inH + pads[0] + pads[2], w = symmetric ? inW : inW + pads[1] + pads[3];
            // the op reads the input for the weight gradient, which is discarded: the layer's own input, padded as forward pads it
            INDArray in = symmetric ? input : PoolLayers.embed(input, pads, 0f);
            INDArray gradIn = Nd4j.createUninitialized(DataType.FLOAT, batch, channels, h, w);
            INDArray gradW = Nd4j.createUninitialized(DataType.FLOAT, weight.shape());
            Nd4j.exec(DynamicCustomOp.builder("depthwise_conv2d_bp").addInputs(in, weight, s).addOutputs(gradIn, gradW)
                    .addIntegerArguments(args(!symmetric)).build());
            Release.free(gradW);
            if (in != input) Release.free(in);
            if (symmetric) return gradIn;
            INDArray cropped = PoolLayers.crop(gradIn, pads, inH, inW);
            Release.free(gradIn);
            return cropped;
        }

        /**
         * At stride 1 the transposed depthwise convolution is the forward one with the kernel rotated by 180° and the
         * padding k − 1 − p: the forward op, which skips the weight gradient that depthwise_conv2d_bp also computes
         * (25% less time on MobileNetV2's stride-1 layers).
         */
        private INDArray transposeAsCorrelation(INDArray s, INDArray weight) {
            INDArray rotated = Nd4j.createUninitialized(DataType.FLOAT, weight.shape());
            Nd4j.exec(DynamicCustomOp.builder("reverse").addInputs(weight).addOutputs(rotated).addIntegerArguments(0, 1).build());
            int[] back = {kH - 1 - pads[0], kW - 1 - pads[1], kH - 1 - pads[2], kW - 1 - pads[3]};
            boolean even = back[0] == back[2] && back[1] == back[3];
            INDArray in = even ? s : PoolLayers.embed(s, back, 0f);
            INDArray c = Nd4j.createUninitialized(DataType.FLOAT, s.size(0), channels, inH, inW);
            Nd4j.exec(DynamicCustomOp.builder("depthwise_conv2d").addInputs(in, rotated).addOutputs(c)
                    .addIntegerArguments(kH, kW, 1, 1, even ? back[0] : 0, even ? back[1] : 0, 1, 1, 0, NCHW, KH_KW_C_M).build());
            Release.free(rotated);
            if (in != s) Release.free(in);
            return c;
        }

        @Override public String toString() { return "depthwise k" + kH + "x" + kW + " s" + sH + "x" + sW + " p" + Arrays.toString(pads); }
    }
}
