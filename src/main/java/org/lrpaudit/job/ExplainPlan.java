package org.lrpaudit.job;

import java.io.Serializable;
import java.util.List;
import org.lrpaudit.data.Preprocessing;
import org.lrpaudit.lrp.Composite;
import org.lrpaudit.model.Network;

/**
 * What executors need to explain images, resolved on the driver and broadcast: the network, the rule of every layer,
 * the preprocessing, the class names and how to choose each image's target class: an {@link ExplainSetup}, which
 * {@code ml.SetupResolution} resolves from an {@code ml.LrpExplainer}'s Params for the Spark ML stage and, the flags set as
 * those Params, for the command line.
 */
public interface ExplainPlan extends Serializable {
    Network network();

    Composite composite();

    Preprocessing preprocessing();

    /** One name per model output, in output order. */
    List<String> classNames();

    /**
     * The class to explain for an image with this label (null: the row has none); a negative value means the predicted
     * class. Throws IllegalArgumentException, with a message for the row's error column, when no target can be chosen.
     */
    int targetFor(Integer label);

    /** Layers whose relevance per channel each images/ row also gets (the concepts column); empty: none. */
    default List<Integer> conceptLayers() { return List.of(); }
}
