package org.lrpaudit.ml;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lrpaudit.data.Preprocessing;
import org.lrpaudit.job.ExplainPlan;
import org.lrpaudit.lrp.AttentionRule;
import org.lrpaudit.lrp.Composite;
import org.lrpaudit.lrp.MaxPoolMode;
import org.lrpaudit.lrp.Presets;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.OnnxImporter;

/**
 * An {@link LrpExplainer}'s Params resolved on the driver into what the executors need: the model loaded, the rules
 * bound to its layers, the preprocessing checked against its input shape. Errors name the Params, not flags.
 *
 * @param fixedTarget the class to explain for every image, or −1 for the predicted class (when not from labels)
 * @param labelColumn the column labels come from when the target is the label, else null
 */
record ResolvedPlan(Network network, Composite composite, Preprocessing preprocessing, List<String> classNames,
                    int fixedTarget, String labelColumn) implements ExplainPlan {

    static ResolvedPlan of(LrpExplainer p) {
        Network net = OnnxImporter.load(Path.of(p.getModelPath()));
        MaxPoolMode pool = MaxPoolMode.parse(p.getMaxPoolMode());
        Composite composite = p.isSet(p.rules()) ? Composite.parse(p.getRules(), net, pool) : Presets.resolve(p.getPreset(), net, pool);
        if (p.isDefined(p.attention())) composite = composite.withAttention(AttentionRule.parse(p.getAttention()));
        String target = p.getTarget();
        int fixed = -1;
        if (!target.equals(LrpExplainer.PREDICTED) && !target.equals(LrpExplainer.LABEL)) {
            fixed = Integer.parseInt(target);
            if (fixed >= net.classCount()) {
                throw new IllegalArgumentException("LrpExplainer: target " + fixed + " is not a class of " + net.name() + ", which has "
                        + net.classCount() + " classes");
            }
        }
        return new ResolvedPlan(net, composite, preprocessing(p, net), classNames(p, net), fixed,
                target.equals(LrpExplainer.LABEL) ? p.getLabelCol() : null);
    }

    @Override public int targetFor(Integer label) {
        if (labelColumn == null) return fixedTarget;
        if (label == null) throw new IllegalArgumentException("target is the label, and column '" + labelColumn + "' is null in this row");
        return label;
    }

    private static Preprocessing preprocessing(LrpExplainer p, Network net) {
        long[] in = net.inputShape();
        Preprocessing.Color color = p.isDefined(p.color()) ? Preprocessing.Color.parse(p.getColor())
                : in[0] == 1 ? Preprocessing.Color.GRAY : Preprocessing.Color.RGB;
        int[] size = p.isDefined(p.imageSize()) ? p.getImageSize() : new int[] {(int) in[1], (int) in[2]};
        Preprocessing pre = new Preprocessing(color, size[0], size[1], p.getResizeShorter(), p.getMean(), p.getStd());
        if (!Arrays.equals(pre.shape(), in)) {
            throw new IllegalArgumentException("LrpExplainer: the preprocessing produces " + Arrays.toString(pre.shape()) + " (" + pre
                    + ") but model " + net.name() + " takes " + Arrays.toString(in) + "; set color and imageSize to match");
        }
        return pre;
    }

    private static List<String> classNames(LrpExplainer p, Network net) {
        if (!p.isDefined(p.classNames())) {
            List<String> indices = new ArrayList<>();
            for (int i = 0; i < net.classCount(); i++) indices.add(String.valueOf(i));
            return indices;
        }
        List<String> names = List.of(p.getClassNames());
        if (names.size() != net.classCount()) {
            throw new IllegalArgumentException("LrpExplainer: classNames has " + names.size() + " names but " + net.name() + " has "
                    + net.classCount() + " outputs");
        }
        return names;
    }
}
