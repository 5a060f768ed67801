package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.lrpaudit.model.*;

/**
 * Every layer type the model package permits has an engine form and a line in the describe table: a layer type added
 * to the model and forgotten in the engine fails here, not on an executor.
 */
class LayerKindsTest {
    private static final Tensor ONE = new Tensor(new long[] {1}, new float[] {1});
    private static final PoolWindow WINDOW = new PoolWindow(new int[] {2, 2}, new int[] {2, 2}, new int[4]);

    /** One sample of each layer type, and the per-image shapes of its inputs. */
    private static final Map<Layer, List<long[]>> SAMPLES = Map.ofEntries(
            Map.entry(new Conv2d("conv", new Tensor(new long[] {2, 2, 1, 1}, new float[4]), new Tensor(new long[] {2}, new float[2]),
                    new int[] {1, 1}, new int[4], new int[] {1, 1}), List.of(new long[] {2, 4, 4})),
            Map.entry(new Dense("dense", new Tensor(new long[] {1, 4}, new float[4]), ONE), List.of(new long[] {4})),
            Map.entry(new Relu("relu"), List.of(new long[] {4})),
            Map.entry(new Clip("clip", 0, 6), List.of(new long[] {4})),
            Map.entry(new Activation("act", Activation.Kind.SIGMOID, 0, 0), List.of(new long[] {4})),
            Map.entry(new Gate("gate", 0), List.of(new long[] {2, 4, 4}, new long[] {2, 1, 1})),
            Map.entry(new MaxPool2d("max", WINDOW), List.of(new long[] {2, 4, 4})),
            Map.entry(new AvgPool2d("avg", WINDOW, false), List.of(new long[] {2, 4, 4})),
            Map.entry(new GlobalAvgPool("gap"), List.of(new long[] {2, 4, 4})),
            Map.entry(new Flatten("flat"), List.of(new long[] {2, 4, 4})),
            Map.entry(new Reshape("reshape", new long[] {4, 8}), List.of(new long[] {2, 4, 4})),
            Map.entry(new Transpose("transpose", new int[] {1, 2, 0}), List.of(new long[] {2, 4, 4})),
            Map.entry(new Slice("slice", new long[] {0, 0, 0}, new long[] {1, 4, 4}), List.of(new long[] {2, 4, 4})),
            Map.entry(new Add("add", 2), List.of(new long[] {4}, new long[] {4})),
            Map.entry(new Concat("concat", 2), List.of(new long[] {2, 4, 4}, new long[] {1, 4, 4})),
            Map.entry(new Scale("scale", ONE), List.of(new long[] {4})),
            Map.entry(new Shift("shift", ONE), List.of(new long[] {4})),
            Map.entry(new LayerNorm("norm", new Tensor(new long[] {4}, new float[4]), new Tensor(new long[] {4}, new float[4]), 1e-5f),
                    List.of(new long[] {4})),
            Map.entry(new Pad2d("pad", new int[] {1, 1, 1, 1}), List.of(new long[] {2, 4, 4})),
            Map.entry(new Softmax("softmax", 2), List.of(new long[] {2, 4, 4})),
            Map.entry(new MatMul("matmul", 0), List.of(new long[] {2, 4, 4}, new long[] {2, 4, 3})),
            Map.entry(new ConstantConcat("cls", 0, new Tensor(new long[] {1, 4}, new float[4]), null), List.of(new long[] {3, 4})));

    @Test
    void everyLayerTypeHasAnEngineFormAndADescription() {
        org.lrpaudit.backend.NativeBackend.ensureLoaded(); // before the first ND4J array, as the engine does
        Set<Class<?>> permitted = Arrays.stream(Layer.class.getPermittedSubclasses()).collect(Collectors.toSet());
        assertEquals(permitted, SAMPLES.keySet().stream().map(Object::getClass).collect(Collectors.toSet()), "a sample per layer type");
        Composite none = Composite.uniform(new Network("n", new long[] {4}, List.of(new Dense("d", new Tensor(new long[] {1, 4}, new float[4]), ONE)),
                List.of()), new Rule.Zero(), MaxPoolMode.AVG);
        SAMPLES.forEach((layer, inputs) -> {
            layer.outputShape(inputs); // the shapes fit
            Rule rule = layer.isParametric() ? new Rule.Zero() : null;
            assertNotNull(PreparedLayer.of(layer, inputs, rule, MaxPoolMode.AVG, AttentionRule.CP, null), layer.type());
            if (!layer.isParametric() && !(layer instanceof MaxPool2d)) assertNotEquals("-", none.describe(0, layer), layer.type());
        });
    }
}
