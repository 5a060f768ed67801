package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lrpaudit.Fixtures;
import org.lrpaudit.model.Network;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Concept vectors: relevance per channel of chosen layers, taken during the ordinary backward pass. */
class ConceptVectorsTest {

    static Stream<String> models() { return Fixtures.modelNames().stream(); }

    /**
     * Conservation per layer: Σ over channels of a layer's concept vector is the relevance at that layer's output,
     * which in a chain is what the next layer's rule receives (the engine's recorded layer sums), within 1e-5 of the
     * target logit (relevance's unit: a layer's sum can be small where positive and negative channels cancel).
     * Checked at every layer of every chain fixture, with the tutorial composite (biases and ε absorb relevance, so a
     * vector that merely summed to the logit would fail).
     */
    @ParameterizedTest
    @MethodSource("models")
    void perChannelRelevanceSumsToTheLayersRelevance(String model) {
        Network net = Fixtures.network(model);
        if (!net.isChain()) return;
        LrpEngine engine = new LrpEngine(net, Presets.resolve("tutorial", net, MaxPoolMode.AVG), Fixtures.bounds(model));
        int[] all = new int[net.size()];
        for (int l = 0; l < all.length; l++) all[l] = l;
        Explanation e = engine.explain(Fixtures.input(model), null, true, all);
        int checked = 0;
        for (int l = 0; l < net.size(); l++) {
            int channels = (int) net.shapes().get(l + 1)[0];
            for (int i = 0; i < e.size(); i++) {
                float[] v = e.concepts(i, l);
                assertEquals(channels, v.length, "layer " + l);
                double sum = 0;
                for (float x : v) sum += x;
                double expected = e.layerSums()[i][l + 1]; // Σ R at the input of layer l + 1 = at the output of layer l
                double logit = Math.abs(e.targetLogit(i));
                if (logit < 1e-3) continue;
                assertEquals(expected, sum, 1e-5 * logit, model + " layer " + l + " (" + net.layer(l).name() + ") image " + i);
                checked++;
            }
        }
        assertTrue(checked >= net.size() * 4, "conservation checked " + checked + " times only");
    }

    /** Asking for concept vectors changes nothing else, and sub-batches give the same vectors as one pass. */
    @Test
    void vectorsAreIndependentOfBatchingAndLeaveTheHeatmapAlone() {
        Network net = Fixtures.network("cnn");
        Composite c = Presets.resolve("tutorial", net, MaxPoolMode.AVG);
        INDArray x = Fixtures.input("cnn");
        int[] targets = {3, -1, 0, -1, 9, 1, -1, 2};
        int[] layers = {0, net.size() - 1};
        Explanation plain = new LrpEngine(net, c, Fixtures.bounds("cnn"), 64).explain(x, targets, false);
        Explanation whole = new LrpEngine(net, c, Fixtures.bounds("cnn"), 64).explain(x, targets, false, layers);
        Explanation parts = new LrpEngine(net, c, Fixtures.bounds("cnn"), 3).explain(x, targets, false, layers);
        for (int i = 0; i < 8; i++) {
            assertArrayEquals(plain.heatmap(i), whole.heatmap(i), "image " + i);
            for (int k = 0; k < layers.length; k++) {
                float[] a = whole.concepts(i, k), b = parts.concepts(i, k);
                for (int ch = 0; ch < a.length; ch++) assertEquals(a[ch], b[ch], 1e-5 * (1 + Math.abs(a[ch])), "image " + i + " layer " + layers[k]);
            }
            // the top layer's vector is the initial relevance: the target logit at the target, zero elsewhere
            float[] top = whole.concepts(i, 1);
            assertEquals(whole.targetLogit(i), top[whole.target(i)], 1e-6);
        }
        assertThrows(IllegalArgumentException.class, () -> new LrpEngine(net, c, Fixtures.bounds("cnn")).explain(x, null, false, new int[] {net.size()}));
    }
}
