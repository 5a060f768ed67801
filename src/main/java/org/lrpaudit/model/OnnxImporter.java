package org.lrpaudit.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import onnx.Onnx.ModelProto;
import org.nd4j.shade.protobuf.InvalidProtocolBufferException;

/**
 * Reads an ONNX image classifier (as exported by torch.onnx.export or tf2onnx, opsets 9–21) into a canonical
 * {@link Network}: batch norm folded into the preceding conv/dense layer, Dropout/Identity dropped, a final Softmax
 * stripped, shape arithmetic evaluated, decomposed layer norms recognised (see {@link OnnxGraphReader}). An op outside
 * the supported set is an error that names the node, the op and the supported list.
 */
public final class OnnxImporter {

    public static final String SUPPORTED_OPS = "Conv (also grouped/depthwise), Gemm, MatMul with constant weights (+Add), "
            + "BatchNormalization (folded, or per-channel affine), LayerNormalization and its opset-13 decomposition, "
            + "Add/Sub (bias, constant shift, or residual sum of equal shapes), Mul (by a constant, or of a signal and a gate), "
            + "Div (by a constant), Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh, Erf, Gelu, LeakyRelu, MaxPool, "
            + "AveragePool, GlobalAveragePool, ReduceMean (over H and W), Pad (constant zero), Concat, Slice, Split, "
            + "Flatten, Reshape, Squeeze, Unsqueeze, Transpose (the batch axis may move or fold into another while images stay whole), anything computed from shapes and constants alone (Shape, Gather, Cast, Mod, Range, Where, ScatterND, …), Dropout, Identity, "
            + "Softmax/LogSoftmax (final node), Softmax inside (attention), MatMul or Einsum of two activations (attention), Gather of one "
            + "index (a class-token read-out), Expand of a constant over the batch + Concat (a class token), Constant";
    private static final long MAX_INLINE_BYTES = Integer.MAX_VALUE - 64;

    private OnnxImporter() {}

    /** Loads a model file; weights stored as external data are read from the model's own folder only. */
    public static Network load(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read model file " + file + ": " + e.getMessage()
                    + " (check the --model path)", e);
        }
        if (size > MAX_INLINE_BYTES) {
            throw new ModelFormatException("model file " + file + " is " + size + " bytes; ONNX files over 2 GB must keep "
                    + "their weights as external data (onnx.save_model(..., save_as_external_data=True))");
        }
        ModelProto model;
        try {
            model = ModelProto.parseFrom(Files.readAllBytes(file));
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFormatException("model file " + file + " is not a valid ONNX model (truncated or corrupt: "
                    + e.getMessage() + "); re-export it with torch.onnx.export or tf2onnx", e);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read model file " + file + ": " + e.getMessage(), e);
        }
        Path dir = file.toAbsolutePath().getParent();
        return fromProto(model, file.getFileName().toString(), dir);
    }

    /** Converts a parsed model; {@code modelDir} is where external data may live (null: none allowed). */
    public static Network fromProto(ModelProto model, String name, Path modelDir) {
        if (!model.hasGraph() || model.getGraph().getNodeCount() == 0) {
            throw new ModelFormatException(name + " holds no graph (empty or not an ONNX model)");
        }
        checkOpset(model, name);
        return new OnnxGraphReader(model.getGraph(), name, new OnnxTensors(modelDir)).read();
    }

    private static void checkOpset(ModelProto model, String name) {
        for (var opset : model.getOpsetImportList()) {
            String domain = opset.getDomain();
            if ((domain.isEmpty() || domain.equals("ai.onnx")) && (opset.getVersion() < 9 || opset.getVersion() > 21)) {
                throw new ModelFormatException(name + " uses ONNX opset " + opset.getVersion()
                        + "; supported are opsets 9 to 21 (export with opset_version=13..17)");
            }
        }
    }
}
