package org.lrpaudit.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.GraphProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.TensorProto;
import onnx.Onnx.ValueInfoProto;

/**
 * Walks an ONNX graph's nodes once, in their (topological) order, and builds the canonical layer list: which tensor
 * each layer reads, each activation's per-image shape, the notes on what import changed. What a node becomes is
 * decided by {@link OnnxConverters} (one op) and {@link OnnxPatterns} (subgraphs such as a decomposed layer norm);
 * integer shape arithmetic is evaluated by {@link ShapeValues}.
 */
final class OnnxGraphReader {
    final GraphProto graph;
    final String modelName;
    final OnnxTensors tensors;
    final Map<String, TensorProto> constants = new HashMap<>();
    final ShapeValues shapeValues = new ShapeValues();
    final Map<String, List<NodeProto>> consumers = new HashMap<>();
    final Map<String, NodeProto> producerNode = new HashMap<>();
    final List<Layer> layers = new ArrayList<>();
    final List<int[]> inputs = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    final Set<NodeProto> consumed = new HashSet<>(); // nodes already turned into layers as part of a pattern
    private final Map<String, Integer> producer = new HashMap<>(); // tensor -> layer index (-1: the image)
    private final Map<String, long[]> shapes = new HashMap<>();    // tensor -> per-image shape
    private final Map<String, BatchAxis> layouts = new HashMap<>(); // tensor -> where its ONNX shape holds the batch (absent: first)
    /** Constants expanded over the batch (ViT's class token): per-image values, used by a Concat. */
    final Map<String, Tensor> expanded = new HashMap<>();
    private long[] inputShape;
    /** The node being converted: its activation inputs, and the per-image shape and batch layout of the first. */
    List<String> activations;
    long[] shape;
    BatchAxis layout;
    String current;

    OnnxGraphReader(GraphProto graph, String modelName, OnnxTensors tensors) {
        this.graph = graph;
        this.modelName = modelName;
        this.tensors = tensors;
    }

    Network read() {
        for (TensorProto t : graph.getInitializerList()) constants.put(t.getName(), t);
        for (NodeProto n : graph.getNodeList()) {
            if (n.getOpType().equals("Constant")) {
                AttributeProto value = OnnxNodes.attr(n, "value");
                if (value == null) throw unsupported(n, "Constant without a tensor 'value' attribute");
                constants.put(n.getOutput(0), value.getT());
            }
        }
        // torch.onnx.export de-duplicates equal initializers and re-creates them as Identity nodes of a constant
        for (NodeProto n : graph.getNodeList()) {
            if (isConstantAlias(n)) constants.put(n.getOutput(0), constants.get(n.getInput(0)));
        }
        for (NodeProto n : graph.getNodeList()) {
            for (String out : n.getOutputList()) producerNode.put(out, n);
            if (isConstantNode(n)) continue;
            for (String in : n.getInputList()) consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
        readInput();
        checkEveryInputIsDefined();
        for (NodeProto n : graph.getNodeList()) {
            if (isConstantNode(n) || consumed.contains(n)) continue;
            try {
                if (shapeValues.evaluate(n, this::staticConstant, this::logicalShapes)) {
                    ShapeValues.Value v = shapeValues.get(n.getOutput(0)); // known before any pixel: a constant from here on
                    if (!v.dependsOnBatch()) constants.put(n.getOutput(0), OnnxTensors.toProto(n.getOutput(0), v.at1()));
                    continue;
                }
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw unsupported(n, "shape arithmetic (" + e.getMessage() + ")");
            }
            if (OnnxShapes.expandConstant(this, n)) continue;
            activations = n.getInputList().stream()
                    .filter(s -> !s.isEmpty() && !constants.containsKey(s) && !shapeValues.contains(s) && !expanded.containsKey(s)).toList();
            for (String a : activations) {
                if (!producer.containsKey(a)) {
                    throw new ModelFormatException(modelName + ": node '" + n.getName() + "' (" + n.getOpType() + ") reads '" + a
                            + "' before any node produces it: the graph is not in topological order");
                }
            }
            if (activations.isEmpty()) throw unsupported(n, "a node without an activation input");
            current = activations.get(0);
            shape = shapes.get(current);
            layout = layoutOf(current);
            OnnxConverters.apply(this, n);
        }
        return network();
    }

    private Network network() {
        Set<String> outputs = new HashSet<>();
        graph.getOutputList().forEach(o -> outputs.add(o.getName()));
        if (outputs.size() != 1) throw new ModelFormatException(modelName + " has " + outputs.size() + " outputs " + outputs + "; a classifier has one");
        String out = outputs.iterator().next();
        Integer last = producer.get(out);
        if (last == null || last != layers.size() - 1) {
            throw new ModelFormatException(modelName + ": the graph output '" + out + "' is not produced by the last layer of the graph");
        }
        try {
            return new Network(modelName, inputShape, layers, inputs, notes);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(modelName + ": " + e.getMessage(), e);
        }
    }

    private void checkEveryInputIsDefined() {
        Set<String> produced = new HashSet<>(List.of(current));
        graph.getNodeList().forEach(n -> produced.addAll(n.getOutputList()));
        for (NodeProto n : graph.getNodeList()) {
            if (isConstantNode(n)) continue;
            for (String in : n.getInputList()) {
                if (!in.isEmpty() && !constants.containsKey(in) && !produced.contains(in)) {
                    throw new ModelFormatException(modelName + ": node '" + n.getName() + "' (" + n.getOpType() + ") reads '" + in
                            + "', which is neither an initializer, a Constant nor any node's output: a weight is missing from the file "
                            + "(export with export_params=True, and keep external data files beside the model)");
                }
            }
        }
    }

    /** A Constant, or an Identity of a constant: both only name weights. */
    private boolean isConstantNode(NodeProto n) { return n.getOpType().equals("Constant") || isConstantAlias(n); }

    private boolean isConstantAlias(NodeProto n) {
        return n.getOpType().equals("Identity") && n.getInputCount() == 1 && constants.containsKey(n.getInput(0));
    }

    /**
     * The image input, [N, C, H, W]. A model that reads [N, H, W, C] and transposes it to NCHW first (as tf2onnx writes
     * Keras models) takes that transpose into its input: the network then reads [C, H, W] like any other.
     */
    private void readInput() {
        List<ValueInfoProto> in = graph.getInputList().stream().filter(v -> !constants.containsKey(v.getName())).toList();
        if (in.size() != 1) {
            throw new ModelFormatException(modelName + " has " + in.size() + " inputs " + in.stream().map(ValueInfoProto::getName).toList()
                    + "; an image classifier must have exactly one");
        }
        ValueInfoProto image = in.get(0);
        var dims = image.getType().getTensorType().getShape().getDimList();
        if (dims.size() != 4) {
            throw new ModelFormatException(modelName + ": input '" + image.getName() + "' has rank " + dims.size()
                    + "; expected an image batch [N, C, H, W] (or [N, H, W, C] followed by a Transpose to NCHW)");
        }
        long[] s = new long[3];
        for (int i = 1; i < 4; i++) {
            var d = dims.get(i);
            if (d.getValueCase() != onnx.Onnx.TensorShapeProto.Dimension.ValueCase.DIM_VALUE || d.getDimValue() <= 0) {
                throw new ModelFormatException(modelName + ": input '" + image.getName() + "' has no fixed size in dimension " + i
                        + " ('" + d.getDimParam() + "'); export with a fixed C, H, W");
            }
            s[i - 1] = d.getDimValue();
        }
        String name = image.getName();
        List<NodeProto> readers = consumers.getOrDefault(name, List.of());
        if (readers.size() == 1 && readers.get(0).getOpType().equals("Transpose")
                && Arrays.equals(OnnxNodes.intsOrNull(readers.get(0), "perm"), new long[] {0, 3, 1, 2})) {
            NodeProto t = readers.get(0);
            s = new long[] {s[2], s[0], s[1]};
            consumed.add(t);
            notes.add("input read as NHWC and transposed to NCHW by '" + t.getName() + "': the network reads [C, H, W] = " + Arrays.toString(s));
            producer.put(t.getOutput(0), -1);
            shapes.put(t.getOutput(0), s);
        }
        if (s[0] > 4096 || s[1] > 65536 || s[2] > 65536) {
            throw new ModelFormatException(modelName + ": input shape " + Arrays.toString(s) + " is implausible for an image");
        }
        inputShape = s;
        shape = s;
        current = name;
        producer.put(name, -1);
        shapes.put(name, s);
    }

    // ---- bookkeeping used by the converters ----

    /** A new layer reading the node's activation inputs; the node's first output maps to it. */
    void addLayer(NodeProto n, Layer layer) { addLayer(n.getOutput(0), activations, layer); }

    /** A new layer reading {@code from} and producing tensor {@code output}. */
    void addLayer(String output, List<String> from, Layer layer) {
        int[] in = from.stream().mapToInt(producer::get).toArray();
        BatchAxis first = layoutOf(from.get(0));
        for (String f : from) {
            if (!layoutOf(f).equals(first)) {
                throw new ModelFormatException(modelName + ": layer '" + layer.name() + "' combines tensors whose batch sits in different places ("
                        + first + ", " + layoutOf(f) + "); transpose them alike before combining");
            }
        }
        long[] out;
        try {
            out = layer.outputShape(from.stream().map(shapes::get).toList());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(modelName + ": " + e.getMessage(), e);
        }
        layers.add(layer);
        inputs.add(in);
        producer.put(output, layers.size() - 1);
        shapes.put(output, out);
        setLayout(output, first);
    }

    /** The node's output is its (first activation) input: a no-op, or a step folded into an earlier layer. */
    void alias(NodeProto n) { alias(n.getOutput(0), current); }

    void alias(String output, String of) {
        producer.put(output, producer.get(of));
        shapes.put(output, shapes.get(of));
        setLayout(output, layoutOf(of));
    }

    /** The per-image shape of an activation. */
    long[] shapeOf(String tensor) { return shapes.get(tensor); }

    BatchAxis layoutOf(String tensor) { return layouts.getOrDefault(tensor, BatchAxis.FIRST); }

    void setLayout(String tensor, BatchAxis layout) {
        if (layout.equals(BatchAxis.FIRST)) layouts.remove(tensor);
        else layouts.put(tensor, layout);
    }

    /** The ONNX shape of an activation at batch 1 and at batch 2, or null if the name is not an activation. */
    long[][] logicalShapes(String tensor) {
        long[] s = shapes.get(tensor);
        if (s == null) return null;
        BatchAxis b = layoutOf(tensor);
        return new long[][] {b.logical(s, 1), b.logical(s, 2)};
    }

    /** Refuses the node unless the current tensor holds the batch first, as convolutions and pooling read it. */
    void requireBatchFirst(NodeProto n) {
        if (!layout.equals(BatchAxis.FIRST)) throw unsupported(n, n.getOpType() + " on a tensor with its " + layout);
    }

    /** The index of the layer producing a tensor (−1: the image), or null. */
    Integer producerOf(String tensor) { return producer.get(tensor); }

    List<NodeProto> consumersOf(String tensor) { return consumers.getOrDefault(tensor, List.of()); }

    boolean isConstant(String name) { return constants.containsKey(name); }

    /** The constant input of a node with one activation input (the other operand of a Mul, Add, …). */
    String constantOperand(NodeProto n) {
        for (String in : n.getInputList()) if (constants.containsKey(in)) return in;
        throw unsupported(n, "an operand that is neither an activation nor a constant");
    }

    Tensor weight(NodeProto n, int input) {
        String name = n.getInput(input);
        TensorProto t = constants.get(name);
        if (t == null) {
            throw new ModelFormatException(modelName + ": node '" + n.getName() + "' (" + n.getOpType() + ") input " + input
                    + " '" + name + "' is not an initializer or Constant; weights must be stored in the model");
        }
        return tensors.toFloat(t);
    }

    /** The integer values of input i: a constant, or shape arithmetic that does not depend on the batch size. */
    long[] integers(NodeProto n, int input) {
        String name = n.getInput(input);
        if (shapeValues.contains(name)) {
            ShapeValues.Value v = shapeValues.get(name);
            if (v.dependsOnBatch()) throw unsupported(n, "input '" + name + "' depends on the batch size");
            return v.atBatch1();
        }
        long[] c = integerConstant(name);
        if (c == null) throw unsupported(n, "input '" + name + "' computed from pixel values (it must be a constant)");
        return c;
    }

    /** A small numeric constant for import-time arithmetic, or null (not a constant, or too large to be shape arithmetic). */
    StaticTensor staticConstant(String name) {
        TensorProto t = constants.get(name);
        if (t == null) return null;
        long n = t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
        return n > 1 << 20 ? null : tensors.toStatic(t);
    }

    /** An integer constant by name, or null if the name is not an integer constant. */
    long[] integerConstant(String name) {
        TensorProto t = constants.get(name);
        if (t == null || t.getDataType() != TensorProto.DataType.INT64_VALUE && t.getDataType() != TensorProto.DataType.INT32_VALUE) return null;
        return tensors.toLongs(t);
    }

    float scalar(NodeProto n, int input) {
        Tensor t = weight(n, input);
        if (t.size() != 1) throw unsupported(n, "a non-scalar constant in input " + input);
        return t.data()[0];
    }

    ModelFormatException unsupported(NodeProto n, String what) {
        return new ModelFormatException(modelName + ": node '" + n.getName() + "' (" + n.getOpType() + "): " + what
                + " is not supported. Supported: " + OnnxImporter.SUPPORTED_OPS);
    }
}
