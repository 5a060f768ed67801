package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lrpaudit.Fixtures;
import org.lrpaudit.model.Dense;
import org.lrpaudit.model.Layer;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.indexing.conditions.Conditions;

/** The properties of LRP that hold whatever the reference says. */
class LrpPropertiesTest {

    static Stream<String> models() { return Fixtures.modelNames().stream(); }

    /** LRP-0 everywhere and zero biases: Σ R_in equals the target logit. */
    @ParameterizedTest
    @MethodSource("models")
    void lrpZeroConservesRelevanceWithoutBiases(String model) {
        Network net = Fixtures.network(model).withZeroBiases();
        LrpEngine engine = new LrpEngine(net, Composite.uniform(net, new Rule.Zero(), MaxPoolMode.AVG), null);
        Explanation e = engine.explain(Fixtures.input(model), null, true);
        int checked = 0;
        for (int i = 0; i < e.size(); i++) {
            double logit = e.targetLogit(i);
            if (Math.abs(logit) < 1e-3) continue; // e.g. a black image through a bias-free net: nothing to conserve
            assertEquals(logit, e.relevanceSum(i), 1e-4 * Math.abs(logit), model + " image " + i);
            for (double layerSum : e.layerSums()[i]) assertEquals(logit, layerSum, 1e-4 * Math.abs(logit));
            checked++;
        }
        assertTrue(checked >= 6, "conservation checked on " + checked + " images only");
    }

    /** A residual graph (y = relu(conv(x)) + x): LRP-0 without biases conserves across the Add and in total. */
    @Test
    void lrpZeroConservesAcrossAResidualAdd() {
        Network net = Fixtures.network("branching").withZeroBiases();
        int add = net.layers().stream().map(org.lrpaudit.model.Layer::type).toList().indexOf("add");
        LrpEngine engine = new LrpEngine(net, Composite.uniform(net, new Rule.Zero(), MaxPoolMode.AVG), null);
        Explanation e = engine.explain(Fixtures.input("cnn"), null, true);
        int checked = 0;
        for (int i = 0; i < e.size(); i++) {
            double logit = e.targetLogit(i);
            if (Math.abs(logit) < 1e-3) continue;
            assertEquals(logit, e.layerSums()[i][add], 1e-4 * Math.abs(logit), "what the Add passes to its two inputs, image " + i);
            assertEquals(logit, e.relevanceSum(i), 1e-4 * Math.abs(logit), "image " + i);
            checked++;
        }
        assertTrue(checked >= 6, "conservation checked on " + checked + " images only");
    }

    /** With biases, the absorbed share is what is missing from the sum, and is reported. */
    @Test
    void absorbedShareAccountsForTheDifference() {
        Network net = Fixtures.network("cnn");
        LrpEngine engine = new LrpEngine(net, Presets.resolve("tutorial", net, MaxPoolMode.AVG), Fixtures.bounds("cnn"));
        Explanation e = engine.explain(Fixtures.input("cnn"));
        for (int i = 0; i < e.size(); i++) {
            assertEquals(e.targetLogit(i) * (1 - e.absorbedShare(i)), e.relevanceSum(i), 1e-5 * Math.abs(e.targetLogit(i)) + 1e-9);
        }
    }

    /** LRP-0 with winner-take-all pooling is gradient × input for ReLU networks (against PyTorch autograd). */
    @ParameterizedTest
    @MethodSource("models")
    void lrpZeroIsGradientTimesInput(String model) {
        Network net = Fixtures.network(model);
        LrpEngine engine = new LrpEngine(net, Composite.uniform(net, new Rule.Zero(), MaxPoolMode.WTA), null);
        INDArray x = Fixtures.input(model);
        Explanation e = engine.explain(x, Fixtures.targets(model), false);
        INDArray gradX = Fixtures.array(Fixtures.model(model).get("gradxinput").asText());
        for (int i = 0; i < 6; i++) { // natural images; uniform ones have ties whose routing is arbitrary
            INDArray got = e.relevance().get(NDArrayIndex.point(i)), want = gradX.get(NDArrayIndex.point(i));
            double err = got.sub(want).amaxNumber().doubleValue();
            assertTrue(err <= 1e-4 * want.amaxNumber().doubleValue(), model + " image " + i + ": " + err);
        }
    }

    /** Batch of 8 in one pass equals one image at a time (ε is per image), for every preset. */
    @ParameterizedTest
    @MethodSource("models")
    void resultsDoNotDependOnTheBatch(String model) {
        Network net = Fixtures.network(model);
        INDArray x = Fixtures.input(model);
        for (String preset : Presets.NAMES) {
            assertBatchInvariant(new LrpEngine(net, Presets.resolve(preset, net, MaxPoolMode.AVG), Fixtures.bounds(model)), x, preset);
        }
        assertBatchInvariant(new LrpEngine(net, Composite.parse("0-:epsilon=0.25", net, MaxPoolMode.AVG), null), x, "epsilon");
    }

    private static void assertBatchInvariant(LrpEngine engine, INDArray x, String label) {
        Explanation batch = engine.explain(x);
        for (int i = 0; i < x.size(0); i++) {
            INDArray one = x.get(NDArrayIndex.interval(i, i + 1)).dup();
            INDArray single = engine.explain(one).relevance().get(NDArrayIndex.point(0));
            INDArray inBatch = batch.relevance().get(NDArrayIndex.point(i));
            double scale = Math.max(single.amaxNumber().doubleValue(), 1e-12);
            assertTrue(single.sub(inBatch).amaxNumber().doubleValue() <= 1e-5 * scale, label + " image " + i);
        }
    }

    /** The finite check: one sum decides, an overflowing sum of finite values is still finite, NaN/Inf input refused. */
    @Test
    void nonFiniteValuesAreFoundAndRefused() {
        assertTrue(LrpEngine.allFinite(Nd4j.createFromArray(1f, -2f, 0f)));
        assertTrue(LrpEngine.allFinite(Nd4j.createFromArray(3e38f, 3e38f, 3e38f)), "sum overflows, values are finite");
        assertFalse(LrpEngine.allFinite(Nd4j.createFromArray(1f, Float.NaN)));
        assertFalse(LrpEngine.allFinite(Nd4j.createFromArray(Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)), "Inf - Inf");
        assertFalse(LrpEngine.allFinite(Nd4j.createFromArray(1f, Float.NEGATIVE_INFINITY)));
        Network net = Fixtures.network("cnn");
        INDArray x = Fixtures.input("cnn").dup();
        x.putScalar(new long[] {3, 0, 5, 7}, Float.NaN);
        var engine = new LrpEngine(net, Presets.resolve("tutorial", net, MaxPoolMode.AVG), Fixtures.bounds("cnn"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> engine.explain(x));
        assertTrue(e.getMessage().contains("NaN or Inf"), e.getMessage());
    }

    /** Large images run in sub-batches; the result is the same as one pass, targets and layer sums in order. */
    @Test
    void subBatchesGiveTheSameResultAsOnePass() {
        Network net = Fixtures.network("cnn");
        Composite c = Presets.resolve("tutorial", net, MaxPoolMode.AVG);
        INDArray x = Fixtures.input("cnn");
        int[] targets = {3, -1, 0, -1, 9, 1, -1, 2};
        Explanation whole = new LrpEngine(net, c, Fixtures.bounds("cnn"), 64).explain(x, targets, true);
        Explanation parts = new LrpEngine(net, c, Fixtures.bounds("cnn"), 3).explain(x, targets, true);
        assertEquals(java.util.Arrays.toString(whole.targets()), java.util.Arrays.toString(parts.targets()));
        for (int i = 0; i < 8; i++) {
            INDArray a = whole.relevance().get(NDArrayIndex.point(i)), b = parts.relevance().get(NDArrayIndex.point(i));
            assertTrue(a.sub(b).amaxNumber().doubleValue() <= 1e-5 * a.amaxNumber().doubleValue(), "image " + i);
            assertEquals(whole.layerSums()[i][0], parts.layerSums()[i][0], 1e-5 * Math.abs(whole.targetLogit(i)));
        }
        // VGG-16's first activations (12.8 MB an image): five to a pass by the largest-activation bound; a pass whose
        // activations sum to 1 GB an image still runs one image
        assertEquals(5, EnginePasses.chunkSize(java.util.List.of(new long[] {64, 224, 224})));
        assertEquals(1, EnginePasses.chunkSize(java.util.List.of(new long[] {256, 1024, 1024})));
    }

    /** γ → ∞ approaches z⁺ (α1β0) on layers whose inputs are non-negative. */
    @Test
    void largeGammaApproachesZPlus() {
        Network net = Fixtures.network("cnn");
        INDArray x = Fixtures.input("cnn");
        INDArray gamma = new LrpEngine(net, Composite.parse("0:zero;1-:gamma=1e6", net, MaxPoolMode.AVG), null).explain(x).relevance();
        INDArray zplus = new LrpEngine(net, Composite.parse("0:zero;1-:alpha1beta0", net, MaxPoolMode.AVG), null).explain(x).relevance();
        for (int i = 0; i < 6; i++) {
            INDArray g = gamma.get(NDArrayIndex.point(i)), z = zplus.get(NDArrayIndex.point(i));
            assertTrue(g.sub(z).amaxNumber().doubleValue() <= 1e-3 * z.amaxNumber().doubleValue(), "image " + i);
        }
    }

    /** All-zero, saturated and random images, and a model whose hidden units are all dead: never NaN or Inf. */
    @ParameterizedTest
    @MethodSource("models")
    void noNanOrInfOnDegenerateInputs(String model) {
        Network net = Fixtures.network(model);
        long[] s = net.inputShape();
        INDArray zeros = Nd4j.zeros(DataType.FLOAT, 2, s[0], s[1], s[2]);
        INDArray big = Nd4j.valueArrayOf(new long[] {2, s[0], s[1], s[2]}, 1e4f);
        Network dead = killFirstDenseLayer(net);
        for (Network n : new Network[] {net, dead}) {
            for (String preset : Presets.NAMES) {
                LrpEngine engine = new LrpEngine(n, Presets.resolve(preset, n, MaxPoolMode.AVG), Fixtures.bounds(model));
                for (INDArray x : new INDArray[] {zeros, big, Fixtures.input(model)}) assertFinite(engine.explain(x), n.name() + " " + preset);
            }
            for (Rule rule : new Rule[] {new Rule.Zero(), new Rule.Epsilon(0.25), new Rule.Flat(), new Rule.WSquare(), new Rule.AlphaBeta(2, 1)}) {
                LrpEngine engine = new LrpEngine(n, Composite.uniform(n, rule, MaxPoolMode.WTA), null);
                for (INDArray x : new INDArray[] {zeros, big}) assertFinite(engine.explain(x), n.name() + " " + rule.spec());
            }
        }
    }

    private static void assertFinite(Explanation e, String label) {
        assertFalse(BooleanIndexing.or(e.relevance(), Conditions.isNan()), label + ": NaN");
        assertFalse(BooleanIndexing.or(e.relevance(), Conditions.isInfinite()), label + ": Inf");
    }

    /** Biases of -1e4 on the first dense layer: every unit after it is dead for any realistic input. */
    static Network killFirstDenseLayer(Network net) {
        for (int i = 0; i < net.size(); i++) {
            Layer l = net.layer(i);
            if (l instanceof Dense d) {
                float[] b = new float[d.outFeatures()];
                java.util.Arrays.fill(b, -1e4f);
                return net.withLayer(i, d.withWeights(d.weight(), new Tensor(new long[] {b.length}, b)));
            }
        }
        throw new IllegalStateException("no dense layer");
    }
}
