package org.lrpaudit.job;

import java.nio.file.Path;
import java.util.List;
import org.lrpaudit.data.Preprocessing;
import org.lrpaudit.lrp.Composite;
import org.lrpaudit.model.Network;

/**
 * Everything the job needs to explain images, resolved and validated on the driver: the model, the rule of every
 * layer, the preprocessing (which produces the model's input shape), class names, target and the concept layers
 * (--concept-layers; empty: none). Resolved from an {@code ml.LrpExplainer}'s Params by {@code ml.SetupResolution},
 * for the Spark ML stage and the command line alike (which sets those Params from its flags); the model file's path is
 * kept for the manifest's hash.
 */
public record ExplainSetup(String modelPath, Network network, Composite composite, Preprocessing preprocessing,
                           List<String> classNames, Target target, List<Integer> conceptLayers) implements ExplainPlan {

    /** Without concept layers. */
    public ExplainSetup(String modelPath, Network network, Composite composite, Preprocessing preprocessing, List<String> classNames,
                        Target target) {
        this(modelPath, network, composite, preprocessing, classNames, target, List.of());
    }

    public ExplainSetup {
        if (classNames.size() != network.classCount()) {
            throw new IllegalArgumentException(classNames.size() + " class names for a model with " + network.classCount() + " outputs");
        }
        if (target.kind() == Target.Kind.INDEX && target.index() >= network.classCount()) {
            throw new IllegalArgumentException("target " + target.index() + " is not a class of a model with " + network.classCount() + " classes");
        }
        classNames = List.copyOf(classNames);
        conceptLayers = List.copyOf(conceptLayers);
        for (int l : conceptLayers) {
            if (l < 0 || l >= network.size()) throw new IllegalArgumentException("concept layer " + l + " is not a layer of " + network.name());
        }
    }

    /** This setup with the layers whose relevance per channel is also kept (empty: none). */
    public ExplainSetup withConceptLayers(List<Integer> layers) {
        return new ExplainSetup(modelPath, network, composite, preprocessing, classNames, target, layers);
    }

    public Path modelFile() { return Path.of(modelPath); }

    @Override public int targetFor(Integer label) { return target.resolve(label); }
}
