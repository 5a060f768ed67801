package org.lrpaudit.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.GraphProto;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.TensorProto;
import onnx.Onnx.ValueInfoProto;
import org.nd4j.shade.protobuf.InvalidProtocolBufferException;

/**
 * Reads an ONNX image classifier (as exported by torch.onnx.export or tf2onnx, opsets 9–21) into a
 * canonical {@link Network}: batch norm folded into the preceding conv/dense layer, Dropout/Identity dropped,
 * a final Softmax stripped. Only single-chain graphs are accepted for now; anything else is an error that
 * names the node.
 */
public final class OnnxImporter {

    public static final String SUPPORTED_OPS = "Conv (also grouped/depthwise), Gemm, MatMul(+Add), Add (bias, or residual sum of "
            + "equal shapes), Concat (channels), BatchNormalization (after Conv/Gemm/MatMul), Relu, Clip (e.g. ReLU6), Mul (by a "
            + "constant), Pad (constant zero), MaxPool, "
            + "AveragePool, GlobalAveragePool, Flatten, Reshape/Squeeze (to [N, features]), Dropout, Identity, "
            + "Softmax/LogSoftmax (final node only), Constant";
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
        return new GraphReader(model.getGraph(), name, new OnnxTensors(modelDir)).read();
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

    /** Walks the node list once, keeping the name of the single activation tensor flowing through the chain. */
    private static final class GraphReader {
        private final GraphProto graph;
        private final String modelName;
        private final OnnxTensors tensors;
        private final Map<String, TensorProto> constants = new HashMap<>();
        private final Map<String, List<NodeProto>> consumers = new HashMap<>();
        private final List<Layer> layers = new ArrayList<>();
        private final List<int[]> inputs = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();
        private final Map<String, Integer> producer = new HashMap<>(); // tensor -> layer index (-1: the image)
        private final Map<String, long[]> shapes = new HashMap<>();    // tensor -> per-image shape
        private long[] shape;          // per-image shape of the node's (first) activation input
        private String current;        // name of the node's (first) activation input
        private List<String> activations; // the node's activation inputs

        GraphReader(GraphProto graph, String modelName, OnnxTensors tensors) {
            this.graph = graph;
            this.modelName = modelName;
            this.tensors = tensors;
        }

        Network read() {
            for (TensorProto t : graph.getInitializerList()) constants.put(t.getName(), t);
            for (NodeProto n : graph.getNodeList()) {
                if (n.getOpType().equals("Constant")) {
                    AttributeProto value = attr(n, "value");
                    if (value == null) throw unsupported(n, "Constant without a tensor 'value' attribute");
                    constants.put(n.getOutput(0), value.getT());
                }
            }
            // torch.onnx.export de-duplicates equal initializers and re-creates them as Identity nodes of a constant
            for (NodeProto n : graph.getNodeList()) {
                if (isConstantAlias(n)) constants.put(n.getOutput(0), constants.get(n.getInput(0)));
            }
            for (NodeProto n : graph.getNodeList()) {
                if (isConstantNode(n)) continue;
                for (String in : n.getInputList()) consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
            readInput();
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
                activations = n.getInputList().stream().filter(s -> !s.isEmpty() && !constants.containsKey(s)).toList();
                for (String a : activations) {
                    if (!producer.containsKey(a)) {
                        throw new ModelFormatException(modelName + ": node '" + n.getName() + "' (" + n.getOpType() + ") reads '" + a
                                + "' before any node produces it: the graph is not in topological order");
                    }
                }
                if (activations.isEmpty()) throw unsupported(n, "a node without an activation input");
                boolean multi = n.getOpType().equals("Add") && activations.size() > 1 || n.getOpType().equals("Concat");
                if (activations.size() != 1 && !multi) {
                    throw unsupported(n, n.getOpType() + " of " + activations.size() + " activations " + activations);
                }
                current = activations.get(0);
                shape = shapes.get(current);
                apply(n);
            }
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

        private long[] inputShape;

        /** A Constant, or an Identity of a constant: both only name weights. */
        private boolean isConstantNode(NodeProto n) { return n.getOpType().equals("Constant") || isConstantAlias(n); }

        private boolean isConstantAlias(NodeProto n) {
            return n.getOpType().equals("Identity") && n.getInputCount() == 1 && constants.containsKey(n.getInput(0));
        }

        private void readInput() {
            List<ValueInfoProto> inputs = graph.getInputList().stream()
                    .filter(v -> !constants.containsKey(v.getName())).toList();
            if (inputs.size() != 1) {
                throw new ModelFormatException(modelName + " has " + inputs.size() + " inputs " + inputs.stream().map(ValueInfoProto::getName).toList()
                        + "; an image classifier must have exactly one");
            }
            ValueInfoProto in = inputs.get(0);
            var dims = in.getType().getTensorType().getShape().getDimList();
            if (dims.size() != 4) {
                throw new ModelFormatException(modelName + ": input '" + in.getName() + "' has rank " + dims.size()
                        + "; expected an image batch [N, C, H, W] (NCHW; for Keras models export with inputs_as_nchw)");
            }
            long[] s = new long[3];
            for (int i = 1; i < 4; i++) {
                var d = dims.get(i);
                if (d.getValueCase() != onnx.Onnx.TensorShapeProto.Dimension.ValueCase.DIM_VALUE || d.getDimValue() <= 0) {
                    throw new ModelFormatException(modelName + ": input '" + in.getName() + "' has no fixed size in dimension " + i
                            + " ('" + d.getDimParam() + "'); export with a fixed C, H, W");
                }
                s[i - 1] = d.getDimValue();
            }
            if (s[0] > 4096 || s[1] > 65536 || s[2] > 65536) {
                throw new ModelFormatException(modelName + ": input shape " + Arrays.toString(s) + " is implausible for an image");
            }
            inputShape = s;
            shape = s;
            current = in.getName();
            producer.put(current, -1);
            shapes.put(current, s);
        }

        private void apply(NodeProto n) {
            switch (n.getOpType()) {
                case "Conv" -> addLayer(n, conv(n));
                case "Gemm" -> addLayer(n, gemm(n));
                case "MatMul" -> addLayer(n, matmul(n));
                case "Add" -> {
                    if (activations.size() > 1) addLayer(n, new Add(n.getName(), activations.size()));
                    else addBias(n);
                }
                case "Concat" -> {
                    long axis = intAttr(n, "axis", 1);
                    if (axis != 1 && axis != -3) throw unsupported(n, "Concat along axis " + axis + " (only channels, axis 1)");
                    if (shape.length != 3) throw unsupported(n, "Concat of " + Arrays.toString(shape) + " tensors (only feature maps)");
                    addLayer(n, new Concat(n.getName(), activations.size()));
                }
                case "Clip" -> addLayer(n, clip(n));
                case "Mul" -> addLayer(n, scale(n));
                case "Pad" -> addLayer(n, pad(n));
                case "BatchNormalization" -> foldBatchNorm(n);
                case "Relu" -> addLayer(n, new Relu(n.getName()));
                case "MaxPool" -> {
                    if (n.getOutputCount() > 1 && !n.getOutput(1).isEmpty()) throw unsupported(n, "MaxPool with an Indices output");
                    if (intAttr(n, "ceil_mode", 0) != 0) throw unsupported(n, "ceil_mode=1 (export with ceil_mode=False)");
                    for (long d : ints(n, "dilations", new long[] {1, 1})) if (d != 1) throw unsupported(n, "dilated max pooling");
                    addLayer(n, new MaxPool2d(n.getName(), window(n)));
                }
                case "AveragePool" -> {
                    if (intAttr(n, "ceil_mode", 0) != 0) throw unsupported(n, "ceil_mode=1 (export with ceil_mode=False)");
                    addLayer(n, new AvgPool2d(n.getName(), window(n), intAttr(n, "count_include_pad", 0) != 0));
                }
                case "GlobalAveragePool" -> addLayer(n, new GlobalAvgPool(n.getName()));
                case "Flatten" -> {
                    long axis = intAttr(n, "axis", 1);
                    if (axis != 1 && !(axis == -1 && shape.length == 1)) throw unsupported(n, "Flatten with axis " + axis + " (only axis 1)");
                    addFlatten(n);
                }
                case "Reshape" -> reshape(n);
                case "Squeeze" -> {
                    if (shape.length == 3 && shape[1] == 1 && shape[2] == 1) addFlatten(n);
                    else throw unsupported(n, "Squeeze of a " + Arrays.toString(shape) + " tensor (only [C,1,1] to [C])");
                }
                case "Dropout", "Identity" -> {
                    notes.add(n.getOpType() + " '" + n.getName() + "' dropped (a no-op at inference)");
                    alias(n);
                }
                case "Softmax", "LogSoftmax" -> {
                    boolean last = graph.getNodeList().indexOf(n) == graph.getNodeCount() - 1;
                    if (!last || shape.length != 1) throw unsupported(n, n.getOpType() + " before the end of the network");
                    notes.add(n.getOpType() + " '" + n.getName() + "' stripped: LRP explains the logits, not probabilities");
                    alias(n);
                }
                default -> throw unsupported(n, "op type " + n.getOpType());
            }
        }

        /** A new layer reading the node's activation inputs; its output tensor maps to it. */
        private void addLayer(NodeProto n, Layer layer) {
            int[] in = activations.stream().mapToInt(producer::get).toArray();
            long[] out;
            try {
                out = layer.outputShape(activations.stream().map(shapes::get).toList());
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(modelName + ": " + e.getMessage(), e);
            }
            layers.add(layer);
            inputs.add(in);
            producer.put(n.getOutput(0), layers.size() - 1);
            shapes.put(n.getOutput(0), out);
        }

        /** The node's output is its input (a no-op, or a step folded into an earlier layer). */
        private void alias(NodeProto n) {
            producer.put(n.getOutput(0), producer.get(current));
            shapes.put(n.getOutput(0), shapes.get(current));
        }

        private void addFlatten(NodeProto n) {
            if (shape.length == 1) {
                notes.add(n.getOpType() + " '" + n.getName() + "' dropped (input already flat)");
                alias(n);
            } else {
                addLayer(n, new Flatten(n.getName()));
            }
        }

        /** Mul of the activation by a constant scalar or per-channel [C, 1, 1] factor. */
        private Scale scale(NodeProto n) {
            String constant = n.getInput(0).equals(current) ? n.getInput(1) : n.getInput(0);
            Tensor c = tensors.toFloat(constants.get(constant));
            long channels = shape.length == 3 ? shape[0] : -1;
            boolean perChannel = c.size() == channels && c.size() > 1 && c.rank() >= 3 && c.dim(c.rank() - 1) == 1 && c.dim(c.rank() - 2) == 1;
            if (c.size() != 1 && !perChannel) {
                throw unsupported(n, "Mul by a constant of shape " + Arrays.toString(c.shape()) + " (only a scalar or one factor per channel)");
            }
            return new Scale(n.getName(), c.data());
        }

        /** Constant zero padding of the spatial dimensions (ONNX Pad, pads as attribute or input). */
        private Pad2d pad(NodeProto n) {
            String mode = stringAttr(n, "mode", "constant");
            if (!mode.equals("constant")) throw unsupported(n, "Pad mode '" + mode + "' (only constant zero padding)");
            long[] p = n.getInputCount() > 1 && !n.getInput(1).isEmpty() ? tensors.toLongs(constants.get(n.getInput(1))) : ints(n, "pads", null);
            if (n.getInputCount() > 2 && !n.getInput(2).isEmpty() && scalar(n, 2) != 0f) throw unsupported(n, "padding with a non-zero value");
            if (p.length != 8 || p[0] != 0 || p[1] != 0 || p[4] != 0 || p[5] != 0) {
                throw unsupported(n, "pads " + Arrays.toString(p) + " (only the height and width of an [N, C, H, W] tensor)");
            }
            return new Pad2d(n.getName(), new int[] {(int) p[2], (int) p[3], (int) p[6], (int) p[7]});
        }

        private Clip clip(NodeProto n) {
            float low = floatAttr(n, "min", Float.NEGATIVE_INFINITY), high = floatAttr(n, "max", Float.POSITIVE_INFINITY);
            if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) low = scalar(n, 1);
            if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) high = scalar(n, 2);
            if (low > 0 || high <= 0) throw unsupported(n, "Clip to [" + low + ", " + high + "] (only ReLU-like clips with min <= 0 < max)");
            return new Clip(n.getName(), low, high);
        }

        private float scalar(NodeProto n, int input) {
            Tensor t = weight(n, input);
            if (t.size() != 1) throw unsupported(n, "a non-scalar bound");
            return t.data()[0];
        }

        /**
         * The layer whose output the node folds into (a bias Add, a BatchNormalization): a Conv/Gemm/MatMul whose output
         * nothing else reads, so changing it changes only what this node computes.
         */
        private int foldTarget(NodeProto n, String what) {
            Integer p = producer.get(current);
            if (p == null || p < 0 || !(layers.get(p) instanceof Dense || layers.get(p) instanceof Conv2d)
                    || consumers.getOrDefault(current, List.of()).size() != 1) {
                throw unsupported(n, what);
            }
            return p;
        }

        private Conv2d conv(NodeProto n) {
            Tensor w = weight(n, 1);
            if (w.rank() != 4) throw unsupported(n, "a " + w.rank() + "-D convolution (only 2-D)");
            int groups = (int) intAttr(n, "group", 1);
            if (groups != 1) w = ungroup(n, w, groups);
            Tensor b = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? weight(n, 2) : new Tensor(new long[] {w.dim(0)}, new float[(int) w.dim(0)]);
            int[] kernel = {(int) w.dim(2), (int) w.dim(3)};
            int[] stride = toInts(ints(n, "strides", new long[] {1, 1}));
            int[] dilation = toInts(ints(n, "dilations", new long[] {1, 1}));
            int[] pads = pads(n, kernel, stride, dilation);
            return new Conv2d(n.getName(), w, b, stride, pads, dilation);
        }

        /**
         * A grouped (or depthwise) kernel [O, I/g, kh, kw] as the equivalent dense kernel [O, I, kh, kw], zero between
         * groups: every LRP rule maps zero weights to zero, so relevance stays within groups. Costs g× the arithmetic.
         */
        private Tensor ungroup(NodeProto n, Tensor w, int groups) {
            long out = w.dim(0), perGroup = w.dim(1), in = perGroup * groups, plane = w.dim(2) * w.dim(3);
            if (shape == null || shape[0] != in || out % groups != 0) {
                throw unsupported(n, "group=" + groups + " with " + out + " outputs over " + (shape == null ? "?" : shape[0]) + " input channels");
            }
            if (out * in * plane > Integer.MAX_VALUE) throw unsupported(n, "a grouped convolution too large to expand");
            float[] dense = new float[(int) (out * in * plane)];
            long outPerGroup = out / groups;
            for (long o = 0; o < out; o++) {
                long g = o / outPerGroup;
                for (long i = 0; i < perGroup; i++) {
                    System.arraycopy(w.data(), (int) ((o * perGroup + i) * plane), dense, (int) ((o * in + g * perGroup + i) * plane), (int) plane);
                }
            }
            notes.add("Conv '" + n.getName() + "' with group=" + groups + " expanded to a dense kernel (zero across groups)");
            return new Tensor(new long[] {out, in, w.dim(2), w.dim(3)}, dense);
        }

        private PoolWindow window(NodeProto n) {
            int[] kernel = toInts(ints(n, "kernel_shape", null));
            if (kernel.length != 2) throw unsupported(n, "a " + kernel.length + "-D pooling window (only 2-D)");
            int[] stride = toInts(ints(n, "strides", new long[] {1, 1}));
            return new PoolWindow(kernel, stride, pads(n, kernel, stride, new int[] {1, 1}));
        }

        /** Explicit pads {top, left, bottom, right}, resolving auto_pad against the current input size. */
        private int[] pads(NodeProto n, int[] kernel, int[] stride, int[] dilation) {
            String autoPad = stringAttr(n, "auto_pad", "NOTSET");
            if (autoPad.equals("NOTSET")) {
                long[] p = ints(n, "pads", new long[] {0, 0, 0, 0});
                if (p.length != 4) throw unsupported(n, "pads " + Arrays.toString(p));
                return new int[] {(int) p[0], (int) p[1], (int) p[2], (int) p[3]};
            }
            if (autoPad.equals("VALID")) return new int[4];
            if (!autoPad.startsWith("SAME")) throw unsupported(n, "auto_pad=" + autoPad);
            int[] pads = new int[4];
            for (int i = 0; i < 2; i++) {
                long in = shape[i + 1];
                long out = (in + stride[i] - 1) / stride[i];
                long total = Math.max(0, (out - 1) * stride[i] + (long) dilation[i] * (kernel[i] - 1) + 1 - in);
                int small = (int) (total / 2), large = (int) (total - total / 2);
                boolean upper = autoPad.equals("SAME_UPPER");
                pads[i] = upper ? small : large;
                pads[i + 2] = upper ? large : small;
            }
            return pads;
        }

        private Dense gemm(NodeProto n) {
            if (intAttr(n, "transA", 0) != 0) throw unsupported(n, "Gemm with transA=1");
            float alpha = floatAttr(n, "alpha", 1f), beta = floatAttr(n, "beta", 1f);
            Tensor b = weight(n, 1);
            if (b.rank() != 2) throw unsupported(n, "Gemm with a " + b.rank() + "-D weight");
            Tensor w = intAttr(n, "transB", 0) != 0 ? b : transpose(b); // as [out, in]
            if (alpha != 1f) w = w.map(v -> v * alpha);
            int out = (int) w.dim(0);
            float[] bias = new float[out];
            if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
                float[] c = broadcastBias(n, weight(n, 2), out);
                for (int i = 0; i < out; i++) bias[i] = beta * c[i];
            }
            return new Dense(n.getName(), w, new Tensor(new long[] {out}, bias));
        }

        private Dense matmul(NodeProto n) {
            if (!n.getInput(0).equals(current)) throw unsupported(n, "MatMul with the weights on the left");
            Tensor b = weight(n, 1);
            if (b.rank() != 2) throw unsupported(n, "MatMul with a " + b.rank() + "-D weight");
            int out = (int) b.dim(1);
            return new Dense(n.getName(), transpose(b), new Tensor(new long[] {out}, new float[out]));
        }

        /** Add of a constant right after a Conv/Gemm/MatMul becomes that layer's bias. */
        private void addBias(NodeProto n) {
            int p = foldTarget(n, "Add of a constant that is not the bias of a directly preceding Conv/Gemm/MatMul");
            Layer last = layers.get(p);
            String constant = n.getInput(0).equals(current) ? n.getInput(1) : n.getInput(0);
            Tensor c = tensors.toFloat(constants.get(constant));
            if (last instanceof Dense d) {
                float[] add = broadcastBias(n, c, d.outFeatures());
                layers.set(p, d.withWeights(d.weight(), plus(d.bias(), add)));
            } else {
                Conv2d cv = (Conv2d) last;
                float[] add = broadcastBias(n, c, cv.outChannels());
                layers.set(p, cv.withWeights(cv.weight(), plus(cv.bias(), add)));
            }
            alias(n);
        }

        /** y = γ (x − μ)/sqrt(σ² + eps) + β folded into the preceding layer's weights and bias, per output channel. */
        private void foldBatchNorm(NodeProto n) {
            int p = foldTarget(n, "BatchNormalization that does not directly follow a Conv/Gemm/MatMul (cannot be folded; a batch norm "
                    + "before a convolution, as in pre-activation ResNets, has no LRP rule here: export a model with conv-BN-ReLU order)");
            Layer last = layers.get(p);
            float eps = floatAttr(n, "epsilon", 1e-5f);
            float[] gamma = weight(n, 1).data(), beta = weight(n, 2).data(), mean = weight(n, 3).data(), var = weight(n, 4).data();
            Tensor w = last instanceof Dense d ? d.weight() : ((Conv2d) last).weight();
            Tensor b = last instanceof Dense d ? d.bias() : ((Conv2d) last).bias();
            int out = (int) w.dim(0);
            if (gamma.length != out || beta.length != out || mean.length != out || var.length != out) {
                throw unsupported(n, "BatchNormalization over " + gamma.length + " channels after a layer with " + out);
            }
            float[] nw = w.data().clone(), nb = new float[out];
            int per = nw.length / out;
            for (int o = 0; o < out; o++) {
                double scale = gamma[o] / Math.sqrt((double) var[o] + eps);
                for (int i = 0; i < per; i++) nw[o * per + i] = (float) (w.data()[o * per + i] * scale);
                nb[o] = (float) ((b.data()[o] - mean[o]) * scale + beta[o]);
            }
            Tensor newW = new Tensor(w.shape(), nw), newB = new Tensor(new long[] {out}, nb);
            layers.set(p, last instanceof Dense d ? d.withWeights(newW, newB) : ((Conv2d) last).withWeights(newW, newB));
            notes.add("BatchNormalization '" + n.getName() + "' folded into '" + last.name() + "'");
            alias(n);
        }

        private void reshape(NodeProto n) {
            TensorProto target = constants.get(n.getInput(1));
            if (target == null) throw unsupported(n, "Reshape to a computed (dynamic) shape");
            long[] dims = tensors.toLongs(target);
            long features = Tensor.elementCount(shape);
            boolean flat = dims.length == 2 && (dims[0] == -1 || dims[0] == 0 || dims[0] >= 1)
                    && (dims[1] == -1 || dims[1] == features)
                    && !(dims[0] == -1 && dims[1] == -1);
            if (!flat) throw unsupported(n, "Reshape to " + Arrays.toString(dims) + " (only flattening to [N, " + features + "])");
            addFlatten(n);
        }

        private Tensor weight(NodeProto n, int input) {
            String name = n.getInput(input);
            TensorProto t = constants.get(name);
            if (t == null) {
                throw new ModelFormatException(modelName + ": node '" + n.getName() + "' (" + n.getOpType() + ") input " + input
                        + " '" + name + "' is not an initializer or Constant; weights must be stored in the model");
            }
            return tensors.toFloat(t);
        }

        private float[] broadcastBias(NodeProto n, Tensor c, int out) {
            long size = c.size();
            if (size == out) return c.data();
            if (size == 1) { float[] f = new float[out]; Arrays.fill(f, c.data()[0]); return f; }
            throw unsupported(n, "bias of shape " + Arrays.toString(c.shape()) + " for " + out + " outputs");
        }

        private ModelFormatException unsupported(NodeProto n, String what) {
            return new ModelFormatException(modelName + ": node '" + n.getName() + "' (" + n.getOpType() + "): " + what
                    + " is not supported. Supported: " + SUPPORTED_OPS);
        }

        private static Tensor transpose(Tensor t) {
            int r = (int) t.dim(0), c = (int) t.dim(1);
            float[] out = new float[r * c];
            float[] in = t.data();
            for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) out[j * r + i] = in[i * c + j];
            return new Tensor(new long[] {c, r}, out);
        }

        private static Tensor plus(Tensor bias, float[] add) {
            float[] out = bias.data().clone();
            for (int i = 0; i < out.length; i++) out[i] += add[i];
            return new Tensor(bias.shape(), out);
        }

        private static AttributeProto attr(NodeProto n, String name) {
            for (AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return a;
            return null;
        }

        private static long intAttr(NodeProto n, String name, long dflt) {
            AttributeProto a = attr(n, name);
            return a == null ? dflt : a.getI();
        }

        private static float floatAttr(NodeProto n, String name, float dflt) {
            AttributeProto a = attr(n, name);
            return a == null ? dflt : a.getF();
        }

        private static String stringAttr(NodeProto n, String name, String dflt) {
            AttributeProto a = attr(n, name);
            return a == null ? dflt : a.getS().toStringUtf8();
        }

        private long[] ints(NodeProto n, String name, long[] dflt) {
            AttributeProto a = attr(n, name);
            if (a == null) {
                if (dflt == null) throw unsupported(n, "a missing '" + name + "' attribute");
                return dflt;
            }
            return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
        }

        private static int[] toInts(long[] v) {
            int[] out = new int[v.length];
            for (int i = 0; i < v.length; i++) out[i] = Math.toIntExact(v[i]);
            return out;
        }
    }
}
