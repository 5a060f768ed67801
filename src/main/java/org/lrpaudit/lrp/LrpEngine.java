package org.lrpaudit.lrp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lrpaudit.backend.NativeBackend;
import org.lrpaudit.model.Flatten;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.Relu;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * Explains a batch of images with LRP: a forward pass keeping every activation, the target's logit as the
 * initial relevance, then each layer's rule from the top down. Built once per network and composite;
 * immutable and safe to share between threads (executor tasks). {@link #close} frees its native arrays at once, for
 * callers that build engines for many models in one JVM; otherwise the garbage collector frees them eventually.
 * How a batch splits into passes is {@link EnginePasses}; the memory figures are {@link MemoryModel#measure}, the
 * per-layer timings {@link LayerProfiler}.
 */
public final class LrpEngine implements AutoCloseable {

    private final Network network;
    private final Composite composite;
    private final List<PreparedLayer> layers;
    private final long[] inputShape;
    private final int chunk;
    private volatile boolean closed;

    /**
     * @param bounds the input bounds for z^B layers whose rule does not give its own ({@code zb}); may be null
     *               when no layer uses them
     */
    public LrpEngine(Network network, Composite composite, InputBounds bounds) {
        this(network, composite, bounds, 0);
    }

    /** @param chunk images per engine pass; 0 chooses from the activation sizes ({@link EnginePasses#chunkSize}) */
    LrpEngine(Network network, Composite composite, InputBounds bounds, int chunk) {
        if (composite.size() != network.size()) {
            throw new IllegalArgumentException("composite has " + composite.size() + " layers, network " + network.size());
        }
        NativeBackend.ensureLoaded();
        this.network = network;
        this.composite = composite;
        this.inputShape = network.inputShape();
        List<long[]> shapes = network.shapes();
        List<PreparedLayer> prepared = new ArrayList<>();
        for (int i = 0; i < network.size(); i++) {
            Rule rule = composite.rule(i);
            long[] in = network.inputShapeOf(i);
            RulePropagator.BoxBounds box = rule instanceof Rule.ZBox z ? boxBounds(i, z, in, bounds) : null;
            List<long[]> inShapes = new ArrayList<>();
            for (int j : network.inputsOf(i)) inShapes.add(shapes.get(j + 1));
            PreparedLayer layer = PreparedLayer.of(network.layer(i), inShapes, rule, composite.poolMode(i), composite.attention(i), box);
            prepared.add(canOverwriteInput(i, prepared) ? PreparedLayer.inPlaceRelu() : layer);
        }
        this.layers = List.copyOf(prepared);
        this.chunk = chunk > 0 ? chunk : EnginePasses.chunkSize(shapes);
    }

    /** A ReLU may overwrite its input when nothing else reads it and its producer's rule does not need it back. */
    private boolean canOverwriteInput(int i, List<PreparedLayer> prepared) {
        int[] in = network.inputsOf(i);
        return network.layer(i) instanceof Relu && in.length == 1 && in[0] >= 0 && network.consumers(in[0]) == 1
                && !prepared.get(in[0]).needsOutput();
    }

    /**
     * z^B bounds shaped like one image at layer i's input. Bounds from the preprocessing exist only at the pixels,
     * so a {@code zb} without explicit values is allowed only where nothing but reshaping precedes the layer.
     */
    private RulePropagator.BoxBounds boxBounds(int i, Rule.ZBox rule, long[] shape, InputBounds bounds) {
        long[] batchShape = new long[shape.length + 1];
        batchShape[0] = 1;
        System.arraycopy(shape, 0, batchShape, 1, shape.length);
        if (rule.low() != null) {
            return new RulePropagator.BoxBounds(Nd4j.valueArrayOf(batchShape, rule.low().floatValue()),
                    Nd4j.valueArrayOf(batchShape, rule.high().floatValue()));
        }
        int[] in = network.inputsOf(i);
        while (in.length == 1 && in[0] >= 0 && network.layer(in[0]) instanceof Flatten) in = network.inputsOf(in[0]);
        if (in.length != 1 || in[0] != -1) {
            throw new IllegalArgumentException("layer " + i + " uses zb with bounds from the preprocessing, but only a layer reading the "
                    + "image sees pixels (layer " + i + " reads layers " + Arrays.toString(network.inputsOf(i)) + "); give explicit bounds zb=LOW,HIGH");
        }
        if (bounds == null) throw new IllegalArgumentException("layer " + i + " uses zb but no input bounds were given (--mean/--std)");
        int c = (int) inputShape[0];
        if (bounds.channels() != c) {
            throw new IllegalArgumentException("input bounds have " + bounds.channels() + " channels, the model takes " + c);
        }
        long plane = inputShape[1] * inputShape[2];
        float[] lo = new float[(int) (c * plane)], hi = new float[lo.length];
        for (int ch = 0; ch < c; ch++) {
            Arrays.fill(lo, (int) (ch * plane), (int) ((ch + 1) * plane), bounds.low()[ch]);
            Arrays.fill(hi, (int) (ch * plane), (int) ((ch + 1) * plane), bounds.high()[ch]);
        }
        return new RulePropagator.BoxBounds(Nd4j.create(lo, batchShape, DataType.FLOAT), Nd4j.create(hi, batchShape, DataType.FLOAT));
    }

    /** Native bytes of the arrays the engine keeps for its lifetime (ρ-weights, bounds, constants): {@link MemoryModel}. */
    public long heldBytes() {
        java.util.Set<INDArray> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        long held = 0;
        for (PreparedLayer l : layers) for (INDArray a : l.held()) if (seen.add(a)) held += a.length() * a.dataType().width();
        return held;
    }

    /** Frees the held arrays now; the engine refuses to explain afterwards. Only when no thread is still using it. */
    @Override public void close() {
        closed = true;
        for (PreparedLayer l : layers) for (INDArray a : l.held()) Release.free(a);
    }

    public Network network() { return network; }

    public Composite composite() { return composite; }

    /** Logits [N, classes] for a batch [N, C, H, W]. */
    public INDArray logits(INDArray x) {
        INDArray[] acts = forward(checkInput(x));
        return acts[layers.size()];
    }

    /** Explains each image's predicted class. */
    public Explanation explain(INDArray x) { return explain(x, null, false); }

    /**
     * @param x         batch [N, C, H, W], float32, preprocessed as the model expects
     * @param targets   class to explain per image; null, or a negative entry, means the predicted class
     * @param layerSums whether to record Σ relevance at every layer
     */
    public Explanation explain(INDArray x, int[] targets, boolean layerSums) { return explain(x, targets, layerSums, null); }

    /**
     * @param conceptLayers layer indices whose output relevance is also returned per channel (summed over spatial
     *                      positions: {@link Explanation#concepts(int, int)}), taken during the same backward pass;
     *                      null or empty for none
     */
    public Explanation explain(INDArray x, int[] targets, boolean layerSums, int[] conceptLayers) {
        int[] concepts = conceptLayers == null ? new int[0] : conceptLayers.clone();
        for (int l : concepts) {
            if (l < 0 || l >= layers.size()) throw new IllegalArgumentException("concept layer " + l + " is not a layer of " + network.name());
        }
        INDArray input = checkInput(x);
        int n = (int) input.size(0);
        if (targets != null && targets.length != n) {
            throw new IllegalArgumentException(targets.length + " targets for a batch of " + n);
        }
        if (n <= chunk) return inWorkspace(input, targets, layerSums, concepts);
        // Large images run in sub-batches (EnginePasses) that bound the workspace a pass learns.
        List<Explanation> parts = new ArrayList<>();
        int perPass = imagesPerPass(n);
        for (int start = 0; start < n; start += perPass) {
            int end = Math.min(n, start + perPass);
            int[] t = targets == null ? null : Arrays.copyOfRange(targets, start, end);
            parts.add(inWorkspace(input.get(NDArrayIndex.interval(start, end)), t, layerSums, concepts));
        }
        return Explanation.joined(parts, layerSums);
    }

    /** Images per pass for a batch of n ({@link EnginePasses#imagesPerPass}). */
    int imagesPerPass(int n) { return EnginePasses.imagesPerPass(n, chunk); }

    /** acts[0] is the input, acts[l + 1] layer l's output. */
    private INDArray[] forward(INDArray input) {
        INDArray[] acts = new INDArray[layers.size() + 1];
        acts[0] = input;
        for (int l = 0; l < layers.size(); l++) acts[l + 1] = forwardLayer(l, acts);
        return acts;
    }

    /** Layer l's output from the activations before it. */
    INDArray forwardLayer(int l, INDArray[] acts) { return layers.get(l).forward(inputsOf(l, acts)); }

    int layerCount() { return layers.size(); }

    private INDArray[] inputsOf(int l, INDArray[] acts) {
        int[] in = network.inputsOf(l);
        INDArray[] out = new INDArray[in.length];
        for (int k = 0; k < in.length; k++) out[k] = acts[in[k] + 1];
        return out;
    }

    /** One pass in this thread's workspace; the results are copied out before the workspace is reset. */
    private Explanation inWorkspace(INDArray input, int[] targets, boolean layerSums, int[] concepts) {
        if (!EnginePasses.WORKSPACES) return explainChunk(input, targets, layerSums, concepts);
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(EnginePasses.WORKSPACE, EnginePasses.WORKSPACE_NAME)) {
            Explanation e = explainChunk(input, targets, layerSums, concepts);
            return new Explanation(e.relevance().detach(), e.logits().detach(), e.targets(), e.layerSums(), e.concepts());
        }
    }

    private Explanation explainChunk(INDArray input, int[] targets, boolean layerSums, int[] concepts) {
        int n = (int) input.size(0);
        INDArray[] acts = forward(input);
        INDArray logits = acts[layers.size()];
        int classes = (int) logits.size(1);

        // Targets and the initial relevance (the target logit, zero elsewhere) in plain Java: per-image ND4J ops
        // (getRow, argMax, putScalar) cost 7% of a small CNN's time.
        int[] chosen = new int[n];
        float[] scores = logits.dup().data().asFloat(), start = new float[n * classes];
        for (int i = 0; i < n; i++) {
            int t = targets == null || targets[i] < 0 ? argMax(scores, i * classes, classes) : targets[i];
            if (t >= classes) throw new IllegalArgumentException("target class " + t + " does not exist; the model has " + classes);
            chosen[i] = t;
            start[i * classes + t] = scores[i * classes + t];
        }
        INDArray r = Nd4j.create(start, new long[] {n, classes}, DataType.FLOAT);
        double[][] sums = layerSums ? new double[n][layers.size() + 1] : null;
        if (sums != null) RelevanceSums.addPerImage(sums, layers.size(), r);
        INDArray[] relevance = new INDArray[layers.size() + 1]; // like acts: relevance at the input and at each layer's output
        relevance[layers.size()] = r;
        float[][] perChannel = concepts.length == 0 ? null : new float[concepts.length][];
        for (int l = layers.size() - 1; l >= 0; l--) {
            // every consumer of layer l has a higher index: its output relevance is complete before its own step
            for (int k = 0; k < concepts.length; k++) if (concepts[k] == l) perChannel[k] = channelSums(relevance[l + 1], n, l);
            backwardStep(l, acts, relevance, sums);
        }
        r = relevance[0] != null ? relevance[0] : Nd4j.zeros(DataType.FLOAT, input.shape());
        // Defence in depth: the rules cannot produce NaN/Inf from finite input; if a bug ever did, fail loudly.
        if (!allFinite(r)) {
            throw new IllegalStateException("LRP produced NaN/Inf with " + composite + " on " + network.name());
        }
        return new Explanation(r, logits, chosen, sums, perChannel);
    }

    /**
     * Relevance per channel, N × C row-major in Java: [N, C, H, W] summed over H and W, [N, F] as it is. Zeros for a
     * branch that receives no relevance.
     */
    private float[] channelSums(INDArray r, int n, int layer) {
        return r == null ? new float[n * (int) network.shapes().get(layer + 1)[0]] : RelevanceSums.perChannel(r, n);
    }

    /**
     * Layer l's relevance step: the relevance at its output goes to its inputs, summed where a tensor feeds several
     * layers. Then frees what is dead: the output's relevance and the layer's output (never the logits, and never
     * memory that a reshape or an in-place ReLU still shares with a live array). Records Σ relevance passed down when
     * sums is given.
     */
    void backwardStep(int l, INDArray[] acts, INDArray[] relevance, double[][] sums) {
        INDArray r = relevance[l + 1];
        relevance[l + 1] = null;
        int[] inputs = network.inputsOf(l);
        INDArray[] a = inputsOf(l, acts);
        INDArray[] next = r == null ? null : layers.get(l).relevance(a, acts[l + 1], r); // null: a branch that reaches no output
        if (sums != null && next != null) RelevanceSums.addPerImage(sums, l, next);
        List<INDArray> dead = new ArrayList<>();
        if (r != null) dead.add(r);
        for (int k = 0; next != null && k < next.length; k++) {
            if (next[k] == null) continue; // a gate: no relevance
            int t = inputs[k] + 1;
            if (relevance[t] == null) {
                relevance[t] = next[k];
            } else {
                relevance[t].addi(next[k]);
                dead.add(next[k]);
            }
        }
        for (INDArray d : dead) {
            boolean live = false;
            for (INDArray x : relevance) live |= x != null && Release.shares(d, x);
            if (!live) Release.free(d);
        }
        boolean sharesInput = false;
        for (INDArray x : a) sharesInput |= Release.shares(acts[l + 1], x);
        if (l + 1 < layers.size() && !sharesInput) Release.free(acts[l + 1]);
        acts[l + 1] = null;
    }

    /**
     * No NaN or Inf in a. One sum decides almost always (NaN and Inf propagate through it) — two MatchCondition
     * reductions per array cost 6% of a small CNN's time; only a non-finite sum, which an overflow of huge finite
     * values could also give, is settled element by element.
     */
    static boolean allFinite(INDArray a) {
        if (Double.isFinite(a.sumNumber().doubleValue())) return true;
        return !BooleanIndexing.or(a, Conditions.isNan()) && !BooleanIndexing.or(a, Conditions.isInfinite());
    }

    private static int argMax(float[] values, int from, int length) {
        int best = 0;
        for (int k = 1; k < length; k++) if (values[from + k] > values[from + best]) best = k;
        return best;
    }

    /** The batch as float32, after checking the engine is open and the batch fits the network and is finite. */
    INDArray checkInput(INDArray x) {
        if (closed) throw new IllegalStateException("the engine for " + network.name() + " was closed");
        long[] s = x.shape();
        if (s.length != 4 || s[1] != inputShape[0] || s[2] != inputShape[1] || s[3] != inputShape[2]) {
            throw new IllegalArgumentException("input batch of shape " + Arrays.toString(s) + " does not fit " + network.name()
                    + ", which takes [N, " + inputShape[0] + ", " + inputShape[1] + ", " + inputShape[2]
                    + "]; set the preprocessing (--color, --size) to match the model");
        }
        if (!allFinite(x)) {
            throw new IllegalArgumentException("input batch contains NaN or Inf values");
        }
        return x.dataType() == DataType.FLOAT ? x : x.castTo(DataType.FLOAT);
    }
}
