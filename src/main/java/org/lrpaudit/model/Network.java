package org.lrpaudit.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable, canonical feed-forward classifier from an image [C, H, W] to logits: layers in topological order,
 * each reading the outputs of earlier layers ({@link #inputs()}: −1 is the image, j ≥ 0 the output of layer j).
 * A plain chain reads layer i−1; residual and concatenating graphs read several. The last layer gives the logits.
 * Batch norm is folded where it follows a conv or dense layer, and a final softmax stripped; {@link #notes()} says what import changed.
 * The layer list index is the index used by rule specs and the describe table.
 */
public record Network(String name, long[] inputShape, List<Layer> layers, List<int[]> inputs, List<String> notes) implements Serializable {

    /** A chain: layer i reads layer i−1's output. */
    public Network(String name, long[] inputShape, List<Layer> layers, List<String> notes) {
        this(name, inputShape, layers, chain(layers.size()), notes);
    }

    public Network {
        inputShape = inputShape.clone();
        layers = List.copyOf(layers);
        inputs = inputs.stream().map(int[]::clone).toList();
        notes = List.copyOf(notes);
        if (layers.isEmpty()) throw new IllegalArgumentException("network has no layers");
        if (inputs.size() != layers.size()) throw new IllegalArgumentException(inputs.size() + " input lists for " + layers.size() + " layers");
        for (int i = 0; i < layers.size(); i++) {
            if (inputs.get(i).length == 0) throw new IllegalArgumentException("layer " + i + " reads nothing");
            for (int j : inputs.get(i)) {
                if (j < -1 || j >= i) throw new IllegalArgumentException("layer " + i + " reads layer " + j + ": layers must be in topological order");
            }
        }
        long[] shape = shapes(inputShape, layers, inputs).get(layers.size()); // validates every layer's shapes
        if (shape.length != 1) {
            throw new IllegalArgumentException("network must end in a vector of logits, ends in " + Arrays.toString(shape));
        }
    }

    private static List<int[]> chain(int n) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new int[] {i - 1});
        return out;
    }

    @Override public long[] inputShape() { return inputShape.clone(); }

    /** shapes().get(0) is the image's shape, shapes().get(i + 1) layer i's output shape; the last entry is the logits'. */
    public List<long[]> shapes() { return shapes(inputShape, layers, inputs); }

    private static List<long[]> shapes(long[] inputShape, List<Layer> layers, List<int[]> inputs) {
        List<long[]> shapes = new ArrayList<>(layers.size() + 1);
        shapes.add(inputShape);
        for (int i = 0; i < layers.size(); i++) {
            List<long[]> in = new ArrayList<>();
            for (int j : inputs.get(i)) in.add(shapes.get(j + 1));
            shapes.add(layers.get(i).outputShape(in));
        }
        return shapes;
    }

    /** The shape of layer i's (first) input. */
    public long[] inputShapeOf(int i) { return shapes().get(inputs.get(i)[0] + 1); }

    /** Layer i's inputs: −1 the image, j the output of layer j. */
    public int[] inputsOf(int i) { return inputs.get(i).clone(); }

    /** Whether every layer reads just the one before it. */
    public boolean isChain() {
        for (int i = 0; i < inputs.size(); i++) if (inputs.get(i).length != 1 || inputs.get(i)[0] != i - 1) return false;
        return true;
    }

    /** How many layers read tensor j (−1: the image). */
    public int consumers(int j) {
        int n = 0;
        for (int[] in : inputs) for (int k : in) if (k == j) n++;
        return n;
    }

    public int classCount() {
        List<long[]> s = shapes();
        return (int) s.get(s.size() - 1)[0];
    }

    public long parameterCount() { return layers.stream().mapToLong(Layer::parameterCount).sum(); }

    public Layer layer(int index) { return layers.get(index); }

    public int size() { return layers.size(); }

    /** A copy with every bias set to zero, constant shifts, layer-norm biases and constant tokens included (used to check conservation). */
    public Network withZeroBiases() {
        List<Layer> out = new ArrayList<>();
        for (Layer l : layers) {
            if (l instanceof Conv2d c) out.add(c.withWeights(c.weight(), zeros(c.bias())));
            else if (l instanceof Dense d) out.add(d.withWeights(d.weight(), zeros(d.bias())));
            else if (l instanceof Shift s) out.add(s.withZeroValues());
            else if (l instanceof LayerNorm n) out.add(n.withZeroBias());
            else if (l instanceof ConstantConcat c) out.add(c.withZeroValues());
            else out.add(l);
        }
        return new Network(name + " (zero biases)", inputShape, out, inputs, notes);
    }

    /** A copy with one layer replaced (used by tests and canonicalisation). */
    public Network withLayer(int index, Layer layer) {
        List<Layer> out = new ArrayList<>(layers);
        out.set(index, layer);
        return new Network(name, inputShape, out, inputs, notes);
    }

    private static Tensor zeros(Tensor t) { return new Tensor(t.shape(), new float[t.data().length]); }
}
