package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.lrpaudit.Fixtures;
import org.lrpaudit.ReferenceFolder;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.OnnxImporter;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Branching graphs (src/test/resources/fixtures/graph, python/fixtures/make_graph_fixtures.py): a small ResNet (basic blocks
 * with batch norm, a 1×1 stride-2 shortcut) and a MobileNet-style net (depthwise + pointwise, ReLU6, a channel
 * Concat), against the float64 autograd reference that splits relevance at an Add by contribution and sums it where
 * a tensor feeds several layers. Per image max |R − R_ref| ≤ 1e-4·max |R_ref|, or eight times the deviation of the
 * same reference run in float32 where that is larger (the fixture records it per image). Near-zero denominators make
 * float32 itself that far off: γ on a conv whose output enters an Add without a ReLU (resnet {@code gamma}: up to 14%
 * on one image), or the 1e-6 Add stabiliser meeting a sum of 3e-6 (resnet {@code zero}, image 6); the engine's float32
 * kernels round in another order than PyTorch's, and in another again on another CPU (oneDNN picks its kernels by the
 * instruction set): resnet {@code gamma} image 0 stayed under 4× the recorded deviation on the machine that recorded
 * it and measures 5.3× on an AVX2-only EPYC, hence eight times rather than two.
 */
class GraphReferenceTest {
    static final ReferenceFolder FIXTURES = new ReferenceFolder(Fixtures.ROOT.resolve("graph"));
    static final Path ROOT = FIXTURES.root();

    static JsonNode model(String name) { return FIXTURES.model(name); }

    static Network network(String name) { return FIXTURES.network(name); }

    static INDArray array(String file) { return FIXTURES.array(file); }

    static InputBounds bounds(String name) { return FIXTURES.bounds(name); }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        models().forEach(m -> model(m).get("cases").forEach(c -> out.add(Arguments.of(m, c.get("name").asText(), c))));
        return out.stream();
    }

    static Stream<String> models() { return FIXTURES.models().stream(); }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void relevanceMatchesReference(String name, String caseName, JsonNode c) {
        Network net = network(name);
        LrpEngine engine = new LrpEngine(net, ReferenceAgreementTest.composite(net, c), bounds(name));
        Explanation e = engine.explain(array(model(name).get("input").asText()), Fixtures.ints(model(name).get("targets")), false);
        INDArray ref = array(c.get("file").asText());
        double worst = 0;
        for (int i = 0; i < e.size(); i++) {
            double tolerance = Math.max(1e-4, 8 * c.get("float32_deviation_per_image").get(i).asDouble());
            INDArray got = e.relevance().get(NDArrayIndex.point(i)), want = ref.get(NDArrayIndex.point(i));
            double scale = want.amaxNumber().doubleValue(), err = got.sub(want).amaxNumber().doubleValue();
            worst = Math.max(worst, err / scale);
            assertTrue(err <= tolerance * scale, name + " " + caseName + " image " + i + ": max |R - R_ref| = " + err + " > " + tolerance
                    + " * " + scale);
        }
        System.out.printf("graph reference %s %s: worst max|R - R_ref| / max|R_ref| = %.2e%n", name, caseName, worst);
    }

    /** The importer's layer table is the reference's: same ops, same order, same inputs. */
    @ParameterizedTest
    @MethodSource("models")
    void layerTableMatchesTheReference(String name) {
        Network net = network(name);
        JsonNode layers = model(name).get("layers");
        assertEquals(layers.size(), net.size());
        for (int i = 0; i < net.size(); i++) {
            JsonNode l = layers.get(i);
            assertEquals(l.get("type").asText(), net.layer(i).type(), "layer " + i);
            assertArrayEquals(Fixtures.ints(l.get("inputs")), net.inputsOf(i), "inputs of layer " + i);
            assertArrayEquals(Fixtures.ints(l.get("output_shape")), java.util.Arrays.stream(net.shapes().get(i + 1)).mapToInt(v -> (int) v).toArray());
        }
        Composite tutorial = Presets.resolve("tutorial", net, MaxPoolMode.AVG);
        model(name).get("resolved_rules").get("tutorial").fields().forEachRemaining(r ->
                assertEquals(r.getValue().asText(), tutorial.rule(Integer.parseInt(r.getKey())).spec(), "tutorial rule of layer " + r.getKey()));
    }

    @ParameterizedTest
    @MethodSource("models")
    void logitsMatchPyTorch(String name) {
        Network net = network(name);
        INDArray logits = new LrpEngine(net, Composite.uniform(net, new Rule.Zero(), MaxPoolMode.AVG), null)
                .logits(array(model(name).get("input").asText()));
        INDArray ref = array(model(name).get("logits").asText());
        assertTrue(logits.sub(ref).amaxNumber().doubleValue() <= 1e-4 * ref.amaxNumber().doubleValue());
    }

    /** LRP-0 without biases: Σ R_in = logit through two residual Adds, and each Add passes on all it receives. */
    @Test
    void conservationAcrossResidualAdds() {
        Network net = network("resnet").withZeroBiases();
        Explanation e = new LrpEngine(net, Composite.uniform(net, new Rule.Zero(), MaxPoolMode.AVG), null)
                .explain(array(model("resnet").get("input").asText()), null, true);
        for (int i = 0; i < e.size(); i++) {
            double logit = e.targetLogit(i);
            assertEquals(logit, e.relevanceSum(i), 1e-3 * Math.abs(logit), "image " + i);
            for (int l = 0; l < net.size(); l++) {
                if (net.layer(l).type().equals("add")) assertEquals(logit, e.layerSums()[i][l], 1e-3 * Math.abs(logit), "add " + l + " image " + i);
            }
        }
    }

    /** Pad (constant zero) and Mul by a per-channel constant in a residual graph: LRP-0 equals gradient × input (float64 autograd). */
    @Test
    void padAndScaleAreExactForLrpZero() {
        Network net = OnnxImporter.load(ROOT.resolve("ops/pad_scale.onnx"));
        assertEquals(List.of("pad", "conv", "relu", "scale", "add", "relu", "flatten", "dense"),
                net.layers().stream().map(org.lrpaudit.model.Layer::type).toList());
        assertArrayEquals(new int[] {3, -1}, net.inputsOf(4));
        Explanation e = new LrpEngine(net, Composite.uniform(net, new Rule.Zero(), MaxPoolMode.WTA), null)
                .explain(array("ops/pad_scale_input.npy"), null, false);
        INDArray ref = array("ops/pad_scale_gradxinput.npy");
        for (int i = 0; i < e.size(); i++) {
            INDArray got = e.relevance().get(NDArrayIndex.point(i)), want = ref.get(NDArrayIndex.point(i));
            double err = got.sub(want).amaxNumber().doubleValue();
            assertTrue(err <= 1e-4 * want.amaxNumber().doubleValue(), "image " + i + ": " + err);
        }
    }
}
