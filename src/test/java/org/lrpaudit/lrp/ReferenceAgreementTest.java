package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.lrpaudit.Fixtures;
import org.lrpaudit.model.Network;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Every rule and preset against the independent reference (PyTorch autograd, float64, the tutorial's four steps):
 * per image, max |R − R_ref| ≤ 1e-4 · max |R_ref|. One case is looser by necessity: {@code gamma} on the signed
 * pixel layer of standardised input has denominators near 1e-5, and the same reference code run in float32 is itself
 * off by up to 9e-3 (recorded per case as float32_deviation); there the bound is twice that deviation. The same rule
 * on non-negative inputs ({@code gamma_above_pixels}, how the tutorial uses it) meets 1e-4.
 */
class ReferenceAgreementTest {
    static final double TOLERANCE = 1e-4;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String model : Fixtures.modelNames()) {
            for (JsonNode c : Fixtures.cases(model)) out.add(Arguments.of(model, c.get("name").asText(), c));
        }
        return out.stream();
    }

    static Stream<String> models() { return Fixtures.modelNames().stream(); }

    static Composite composite(Network net, JsonNode c) {
        MaxPoolMode mode = MaxPoolMode.parse(c.path("maxpool").asText("avg"));
        return c.has("preset") ? Presets.resolve(c.get("preset").asText(), net, mode)
                : Composite.parse(c.get("spec").asText(), net, mode);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void relevanceMatchesReference(String model, String name, JsonNode c) {
        Network net = Fixtures.network(model);
        LrpEngine engine = new LrpEngine(net, composite(net, c), Fixtures.bounds(model));
        Explanation e = engine.explain(Fixtures.input(model), Fixtures.targets(model), false);
        INDArray ref = Fixtures.array(c.get("file").asText());
        double tolerance = Math.max(TOLERANCE, 2 * c.path("float32_deviation").asDouble(0));
        assertTrue(tolerance == TOLERANCE || name.equals("gamma"), "only the gamma-on-pixels case may be looser: " + name);
        for (int i = 0; i < e.size(); i++) {
            INDArray got = e.relevance().get(NDArrayIndex.point(i));
            INDArray want = ref.get(NDArrayIndex.point(i));
            double scale = Math.max(want.amaxNumber().doubleValue(), 1e-6 * Math.abs(e.targetLogit(i)));
            double err = got.sub(want).amaxNumber().doubleValue();
            assertTrue(err <= tolerance * scale, model + " " + name + " image " + i + ": max |R - R_ref| = " + err
                    + " > " + tolerance + " * " + scale);
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void logitsMatchPyTorch(String model) {
        Network net = Fixtures.network(model);
        LrpEngine engine = new LrpEngine(net, Composite.uniform(net, new Rule.Zero(), MaxPoolMode.AVG), null);
        INDArray logits = engine.logits(Fixtures.input(model));
        INDArray ref = Fixtures.array(Fixtures.model(model).get("logits").asText());
        double err = logits.sub(ref).amaxNumber().doubleValue();
        assertTrue(err <= 1e-4 * ref.amaxNumber().doubleValue(), model + ": logits differ by " + err);
    }

    /** The presets resolve to the same rule per layer as the reference script's independent resolution. */
    @ParameterizedTest
    @MethodSource("models")
    void presetsResolveLikeTheReference(String model) {
        Network net = Fixtures.network(model);
        JsonNode resolved = Fixtures.model(model).get("resolved_rules");
        Iterator<Map.Entry<String, JsonNode>> presets = resolved.fields();
        int checked = 0;
        while (presets.hasNext()) {
            Map.Entry<String, JsonNode> p = presets.next();
            if (!Presets.NAMES.contains(p.getKey())) continue;
            Composite c = Presets.resolve(p.getKey(), net, MaxPoolMode.AVG);
            Iterator<Map.Entry<String, JsonNode>> layers = p.getValue().fields();
            while (layers.hasNext()) {
                Map.Entry<String, JsonNode> l = layers.next();
                int index = Integer.parseInt(l.getKey());
                assertEquals(Rule.parse(l.getValue().asText()), c.rule(index), model + " " + p.getKey() + " layer " + index);
                checked++;
            }
            for (int i = 0; i < net.size(); i++) {
                if (net.layer(i).isParametric()) assertTrue(p.getValue().has(String.valueOf(i)), "reference names layer " + i);
            }
        }
        assertTrue(checked > 0, "no preset resolutions in the manifest");
    }
}
