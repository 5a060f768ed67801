package org.lrpaudit.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable, canonical feed-forward classifier: a chain of layers from an image [C, H, W] to logits.
 * Batch norm is already folded and a final softmax stripped; {@link #notes()} says what import changed.
 * The layer list index is the index used by rule specs and the describe table.
 */
public record Network(String name, long[] inputShape, List<Layer> layers, List<String> notes) implements Serializable {

    public Network {
        inputShape = inputShape.clone();
        layers = List.copyOf(layers);
        notes = List.copyOf(notes);
        if (layers.isEmpty()) throw new IllegalArgumentException("network has no layers");
        long[] shape = inputShape;
        for (Layer layer : layers) shape = layer.outputShape(shape); // validates the whole chain
        if (shape.length != 1) {
            throw new IllegalArgumentException("network must end in a vector of logits, ends in " + Arrays.toString(shape));
        }
    }

    @Override public long[] inputShape() { return inputShape.clone(); }

    /** shapes().get(i) is the input shape of layer i; the last entry is the logits' shape. */
    public List<long[]> shapes() {
        List<long[]> shapes = new ArrayList<>(layers.size() + 1);
        long[] shape = inputShape;
        shapes.add(shape);
        for (Layer layer : layers) {
            shape = layer.outputShape(shape);
            shapes.add(shape);
        }
        return shapes;
    }

    public int classCount() {
        List<long[]> s = shapes();
        return (int) s.get(s.size() - 1)[0];
    }

    public long parameterCount() { return layers.stream().mapToLong(Layer::parameterCount).sum(); }

    public Layer layer(int index) { return layers.get(index); }

    public int size() { return layers.size(); }

    /** A copy with every bias set to zero (used to check conservation). */
    public Network withZeroBiases() {
        List<Layer> out = new ArrayList<>();
        for (Layer l : layers) {
            if (l instanceof Conv2d c) out.add(c.withWeights(c.weight(), zeros(c.bias())));
            else if (l instanceof Dense d) out.add(d.withWeights(d.weight(), zeros(d.bias())));
            else out.add(l);
        }
        return new Network(name + " (zero biases)", inputShape, out, notes);
    }

    /** A copy with one layer replaced (used by tests and canonicalisation). */
    public Network withLayer(int index, Layer layer) {
        List<Layer> out = new ArrayList<>(layers);
        out.set(index, layer);
        return new Network(name, inputShape, out, notes);
    }

    private static Tensor zeros(Tensor t) { return new Tensor(t.shape(), new float[t.data().length]); }
}
