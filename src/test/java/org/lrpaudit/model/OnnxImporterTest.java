package org.lrpaudit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import onnx.Onnx.ModelProto;
import onnx.Onnx.StringStringEntryProto;
import onnx.Onnx.TensorProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.Fixtures;
import org.lrpaudit.lrp.Composite;
import org.lrpaudit.lrp.LrpEngine;
import org.lrpaudit.lrp.MaxPoolMode;
import org.lrpaudit.lrp.Rule;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class OnnxImporterTest {
    @TempDir Path tmp;

    @Test
    void cnnHasTheExpectedLayerTable() {
        Network net = Fixtures.network("cnn");
        List<String> types = net.layers().stream().map(Layer::type).toList();
        assertEquals(List.of("conv", "relu", "maxpool", "conv", "relu", "maxpool", "flatten", "dense", "relu", "dense"), types);
        assertArrayEquals(new long[] {1, 28, 28}, net.inputShape());
        assertEquals(10, net.classCount());
    }

    @Test
    void layerTablesMatchTheReferenceScript() {
        for (String model : Fixtures.modelNames()) {
            Network net = Fixtures.network(model);
            var layers = Fixtures.model(model).get("layers");
            assertEquals(layers.size(), net.size(), model);
            for (int i = 0; i < net.size(); i++) assertEquals(layers.get(i).get("type").asText(), net.layer(i).type(), model + " layer " + i);
        }
    }

    @Test
    void batchNormIsFoldedAndSoftmaxStripped() {
        Network net = Fixtures.network("cnn_bn");
        assertTrue(net.notes().stream().anyMatch(n -> n.startsWith("BatchNormalization")), net.notes().toString());
        assertTrue(net.notes().stream().anyMatch(n -> n.startsWith("Softmax") && n.contains("logits")), net.notes().toString());
        assertTrue(net.layers().stream().noneMatch(l -> l.type().contains("batch")));
    }

    @Test
    void matMulPlusAddBecomesOneDenseLayer() {
        Network net = Fixtures.network("cnn_stride");
        long dense = net.layers().stream().filter(l -> l instanceof Dense).count();
        assertEquals(2, dense);
    }

    @Test
    void constantNodesWithTypedFloatDataLoadTheSameWeights() {
        Network a = Fixtures.network("cnn"), b = Fixtures.network("cnn_constnodes");
        assertEquals(a.layers(), b.layers());
    }

    /** torch.onnx.export turns equal initializers into one plus Identity nodes; those are weights, not the chain. */
    @Test
    void identityNodesOfInitializersAreWeights() throws IOException {
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(Fixtures.modelPath("cnn")));
        var graph = model.getGraph().toBuilder();
        int conv = 0;
        while (!graph.getNode(conv).getOpType().equals("Conv")) conv++;
        String bias = graph.getNode(conv).getInput(2);
        graph.addInitializer(graph.getInitializerList().stream().filter(t -> t.getName().equals(bias)).findFirst().orElseThrow()
                .toBuilder().setName("shared_bias"));
        graph.removeInitializer(graph.getInitializerList().indexOf(
                graph.getInitializerList().stream().filter(t -> t.getName().equals(bias)).findFirst().orElseThrow()));
        graph.addNode(0, onnx.Onnx.NodeProto.newBuilder().setName("Identity_0").setOpType("Identity").addInput("shared_bias").addOutput(bias));
        Network net = OnnxImporter.fromProto(model.toBuilder().setGraph(graph).build(), "cnn.onnx", null);
        assertEquals(Fixtures.network("cnn").layers(), net.layers());
    }

    @Test
    void truncatedFileIsAClearError() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.modelPath("cnn"));
        Path cut = tmp.resolve("cut.onnx");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxImporter.load(cut));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void notAModelIsAClearError() throws IOException {
        Path junk = tmp.resolve("junk.onnx");
        Files.writeString(junk, "this is not a model at all, just some text that protobuf will choke on");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxImporter.load(junk));
        assertTrue(e.getMessage().contains("ONNX"), e.getMessage());
        assertThrows(ModelFormatException.class, () -> OnnxImporter.load(tmp.resolve("missing.onnx")));
    }

    @Test
    void unsupportedOpNamesTheNodeAndOpType() throws IOException {
        assertTrue(Fixtures.network("unsupported_op").layers().stream().anyMatch(l -> l.type().equals("tanh")), "Tanh is an activation now");
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(Fixtures.modelPath("unsupported_op")));
        var graph = model.getGraph().toBuilder();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            if (graph.getNode(i).getOpType().equals("Tanh")) graph.setNode(i, graph.getNode(i).toBuilder().setOpType("Einsum"));
        }
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxImporter.fromProto(model.toBuilder().setGraph(graph).build(), "einsum.onnx", null));
        assertTrue(e.getMessage().contains("Einsum") && e.getMessage().contains("Supported:"), e.getMessage());
    }

    /** A batch norm with no conv before it to fold into (here on the image itself) is a per-channel affine layer. */
    @Test
    void batchNormBeforeAConvIsAPerChannelAffineLayer() {
        Network net = OnnxImporter.load(Fixtures.ROOT.resolve("graph/ops/bn_first.onnx"));
        assertEquals(List.of("conv", "conv", "relu", "flatten", "dense"), net.layers().stream().map(Layer::type).toList());
        Conv2d bn = (Conv2d) net.layer(0);
        assertTrue(bn.isChannelAffine(), bn.toString());
        assertEquals("/bn0", bn.name());
        assertEquals(1f / (float) Math.sqrt(1 + 1e-5), bn.weight().data()[0], 1e-7f); // γ / sqrt(var + eps) with γ = var = 1
        assertTrue(net.notes().stream().anyMatch(n -> n.contains("/bn0") && n.contains("affine")), net.notes().toString());
    }

    /** y = relu(conv(x)) + x: the image feeds both the conv and the residual sum. */
    @Test
    void residualGraphImportsWithItsBranches() {
        Network net = Fixtures.network("branching");
        assertEquals(List.of("conv", "relu", "add", "flatten", "dense"), net.layers().stream().map(Layer::type).toList());
        assertArrayEquals(new int[] {1, -1}, net.inputsOf(2));
        assertArrayEquals(new int[] {-1}, net.inputsOf(0));
        assertEquals(2, net.consumers(-1));
        assertFalse(net.isChain());
    }

    /** A hostile initializer claiming 10^10 floats with no bytes behind them fails before any allocation. */
    @Test
    void absurdDimensionsAreRefusedBeforeAllocation() throws IOException {
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(Fixtures.modelPath("cnn")));
        var graph = model.getGraph().toBuilder();
        TensorProto first = graph.getInitializer(0);
        graph.setInitializer(0, first.toBuilder().clearDims().addDims(100_000).addDims(100_000).build());
        ModelProto hostile = model.toBuilder().setGraph(graph).build();
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxImporter.fromProto(hostile, "hostile", null));
        assertTrue(e.getMessage().contains(first.getName()), e.getMessage());

        graph.setInitializer(0, first.toBuilder().clearDims().addDims(1L << 40).addDims(1L << 40).build());
        ModelProto overflow = model.toBuilder().setGraph(graph).build();
        e = assertThrows(ModelFormatException.class, () -> OnnxImporter.fromProto(overflow, "overflow", null));
        assertTrue(e.getMessage().contains("impossible dimensions"), e.getMessage());
    }

    @Test
    void missingWeightNamesTheNode() throws IOException {
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(Fixtures.modelPath("cnn")));
        var graph = model.getGraph().toBuilder();
        String name = graph.getInitializer(0).getName();
        graph.removeInitializer(0);
        ModelProto broken = model.toBuilder().setGraph(graph).build();
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxImporter.fromProto(broken, "broken", null));
        assertTrue(e.getMessage().contains("reads '" + name + "'") && e.getMessage().contains("weight is missing"), e.getMessage());
    }

    /** Weights as external data load from beside the model; a location that climbs out of the folder is refused. */
    @Test
    void externalDataIsReadOnlyFromTheModelsFolder() throws IOException {
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(Fixtures.modelPath("cnn")));
        var graph = model.getGraph().toBuilder();
        TensorProto t = graph.getInitializer(0);
        Path dir = Files.createDirectories(tmp.resolve("model"));
        Files.write(dir.resolve("weights.bin"), t.getRawData().toByteArray());
        graph.setInitializer(0, external(t, "weights.bin"));
        Path file = dir.resolve("external.onnx");
        Files.write(file, model.toBuilder().setGraph(graph).build().toByteArray());
        assertEquals(Fixtures.network("cnn").layers(), OnnxImporter.load(file).layers());

        Files.write(tmp.resolve("outside.bin"), t.getRawData().toByteArray());
        graph.setInitializer(0, external(t, "../outside.bin"));
        Files.write(file, model.toBuilder().setGraph(graph).build().toByteArray());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxImporter.load(file));
        assertTrue(e.getMessage().contains("outside the model's folder"), e.getMessage());
    }

    private static TensorProto external(TensorProto t, String location) {
        return t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("0"))
                .build();
    }

    @Test
    void wrongInputShapeIsAClearError() {
        Network net = Fixtures.network("cnn");
        LrpEngine engine = new LrpEngine(net, Composite.uniform(net, new Rule.Zero(), MaxPoolMode.AVG), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> engine.explain(Nd4j.zeros(DataType.FLOAT, 1, 3, 32, 32)));
        assertTrue(e.getMessage().contains("[N, 1, 28, 28]"), e.getMessage());
    }

    /**
     * Split along channels (as tf2onnx writes a channel split) becomes one slice layer per part; a part that nothing reads
     * gets no relevance, the others keep theirs: with LRP-0 and no biases Σ R = the logit.
     */
    @Test
    void splitAlongChannelsBecomesSlices() {
        var b = onnx.Onnx.GraphProto.newBuilder().setName("split");
        b.addInput(valueInfo("input", 1, 4, 3, 3)).addOutput(valueInfo("logits", 1, 2));
        b.addInitializer(ints("sizes", 1, 3));
        float[] w = new float[2 * 27];
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(i + 1);
        b.addInitializer(TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(2).addDims(27)
                .addAllFloatData(java.util.stream.IntStream.range(0, w.length).mapToObj(i -> w[i]).toList()));
        b.addNode(node("Split", "split", List.of("input", "sizes"), List.of("a", "rest")).addAttribute(intAttr("axis", 1)));
        b.addNode(node("Flatten", "flatten", List.of("rest"), List.of("flat")));
        b.addNode(node("Gemm", "fc", List.of("flat", "w"), List.of("logits")).addAttribute(intAttr("transB", 1)));
        ModelProto model = ModelProto.newBuilder().setIrVersion(8).setGraph(b)
                .addOpsetImport(onnx.Onnx.OperatorSetIdProto.newBuilder().setVersion(13)).build();
        Network net = OnnxImporter.fromProto(model, "split.onnx", null);
        assertEquals(List.of("slice", "slice", "flatten", "dense"), net.layers().stream().map(Layer::type).toList());
        assertArrayEquals(new long[] {3, 3, 3}, net.shapes().get(2));
        var engine = new LrpEngine(net, Composite.uniform(net, new Rule.Zero(), MaxPoolMode.AVG), null); // loads ND4J first
        var e = engine.explain(Nd4j.rand(DataType.FLOAT, 2, 4, 3, 3), null, false);
        for (int i = 0; i < 2; i++) {
            assertEquals(e.targetLogit(i), e.relevanceSum(i), 1e-4 * Math.abs(e.targetLogit(i)));
            assertEquals(0.0, e.relevance().get(org.nd4j.linalg.indexing.NDArrayIndex.point(i), org.nd4j.linalg.indexing.NDArrayIndex.point(0))
                    .amaxNumber().doubleValue(), 0, "the part nothing reads gets no relevance");
        }
    }

    private static onnx.Onnx.ValueInfoProto valueInfo(String name, long... dims) {
        var shape = onnx.Onnx.TensorShapeProto.newBuilder();
        for (long d : dims) shape.addDim(onnx.Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return onnx.Onnx.ValueInfoProto.newBuilder().setName(name).setType(onnx.Onnx.TypeProto.newBuilder()
                .setTensorType(onnx.Onnx.TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    private static TensorProto ints(String name, long... values) {
        var t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE).addDims(values.length);
        for (long v : values) t.addInt64Data(v);
        return t.build();
    }

    private static onnx.Onnx.NodeProto.Builder node(String op, String name, List<String> in, List<String> out) {
        return onnx.Onnx.NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(in).addAllOutput(out);
    }

    private static onnx.Onnx.AttributeProto intAttr(String name, long v) {
        return onnx.Onnx.AttributeProto.newBuilder().setName(name).setType(onnx.Onnx.AttributeProto.AttributeType.INT).setI(v).build();
    }
}
