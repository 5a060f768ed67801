package org.lrpaudit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.lrpaudit.backend.NativeBackend;
import org.lrpaudit.lrp.InputBounds;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.OnnxImporter;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A folder of reference fixtures with a manifest.json listing models, their inputs, targets and cases (paths relative to it). */
public final class ReferenceFolder {
    private final Path root;
    private final JsonNode manifest;

    public ReferenceFolder(Path root) {
        NativeBackend.ensureLoaded(); // before the first ND4J array (its .npy files), as the engine does
        this.root = root;
        try {
            this.manifest = new ObjectMapper().readTree(root.resolve("manifest.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path root() { return root; }

    public JsonNode model(String name) { return manifest.get("models").get(name); }

    public List<String> models() {
        List<String> names = new ArrayList<>();
        manifest.get("models").fieldNames().forEachRemaining(names::add);
        return names;
    }

    public Network network(String name) { return OnnxImporter.load(root.resolve(model(name).get("onnx").asText())); }

    public INDArray array(String file) { return Nd4j.createFromNpyFile(root.resolve(file).toFile()).castTo(DataType.FLOAT); }

    public INDArray input(String name) { return array(model(name).get("input").asText()); }

    public int[] targets(String name) { return Fixtures.ints(model(name).get("targets")); }

    /** z^B bounds from the model's normalisation (one channel). */
    public InputBounds bounds(String name) {
        JsonNode m = model(name);
        return InputBounds.fromNormalisation(Fixtures.doubles(m.get("mean")), Fixtures.doubles(m.get("std")), 1);
    }
}
