package org.lrpaudit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.lrpaudit.lrp.InputBounds;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.OnnxImporter;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The committed reference fixtures made by python/fixtures/make_fixtures.py: ONNX models trained on Fashion-MNIST and
 * relevance computed independently with PyTorch autograd in float64 (see that script).
 */
public final class Fixtures {
    public static final Path ROOT = Path.of("src/test/resources/fixtures");
    private static JsonNode manifest;

    private Fixtures() {}

    public static synchronized JsonNode manifest() {
        if (manifest == null) {
            try {
                manifest = new ObjectMapper().readTree(ROOT.resolve("manifest.json").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return manifest;
    }

    public static List<String> modelNames() {
        List<String> names = new ArrayList<>();
        manifest().get("models").fieldNames().forEachRemaining(names::add);
        return names;
    }

    public static JsonNode model(String name) { return manifest().get("models").get(name); }

    public static Path modelPath(String name) { return ROOT.resolve("models/" + name + ".onnx"); }

    public static Network network(String name) { return OnnxImporter.load(modelPath(name)); }

    public static INDArray array(String relativePath) {
        org.lrpaudit.backend.NativeBackend.ensureLoaded(); // before the first ND4J array, as the engine does
        return Nd4j.createFromNpyFile(ROOT.resolve(relativePath).toFile()).castTo(DataType.FLOAT);
    }

    public static INDArray input(String model) { return array(model(model).get("input").asText()); }

    public static int[] targets(String model) { return ints(model(model).get("targets")); }

    public static InputBounds bounds(String model) {
        JsonNode m = model(model);
        return InputBounds.fromNormalisation(doubles(m.get("mean")), doubles(m.get("std")), (int) m.get("input_shape").get(0).asLong());
    }

    public static double[] doubles(JsonNode arr) {
        double[] out = new double[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asDouble();
        return out;
    }

    public static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
        return out;
    }

    public static List<JsonNode> cases(String model) {
        List<JsonNode> out = new ArrayList<>();
        Iterator<JsonNode> it = model(model).get("cases").elements();
        it.forEachRemaining(out::add);
        return out;
    }
}
