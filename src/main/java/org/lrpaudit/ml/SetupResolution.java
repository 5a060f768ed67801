package org.lrpaudit.ml;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lrpaudit.data.Preprocessing;
import org.lrpaudit.job.ExplainSetup;
import org.lrpaudit.job.Target;
import org.lrpaudit.lrp.AttentionRule;
import org.lrpaudit.lrp.Composite;
import org.lrpaudit.lrp.MaxPoolMode;
import org.lrpaudit.lrp.Presets;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.OnnxImporter;

/**
 * The one place an explanation setup is resolved: an {@link LrpExplainer}'s Params into the job's {@link ExplainSetup}
 * — the model loaded, the rules bound to its layers, the preprocessing checked against its input shape, the class
 * names and target checked against its outputs. The Spark ML stage and the command line (which sets the same Params
 * from its flags) both call it; errors name the settings as the {@link Naming} says.
 */
public final class SetupResolution {
    private SetupResolution() {}

    public static ExplainSetup of(LrpExplainer p, Naming n) {
        if (!p.isDefined(p.modelPath())) throw n.error("no model; set " + n.of("modelPath"));
        if (p.isSet(p.rules()) && p.isSet(p.preset())) throw n.error("set either " + n.of("rules") + " or " + n.of("preset") + ", not both");
        Path modelPath = Path.of(p.getModelPath());
        Network net = OnnxImporter.load(modelPath);
        MaxPoolMode pool = MaxPoolMode.parse(p.getMaxPoolMode());
        Composite composite = p.isSet(p.rules()) ? Composite.parse(p.getRules(), net, pool) : Presets.resolve(p.getPreset(), net, pool);
        if (p.isDefined(p.attention())) composite = composite.withAttention(AttentionRule.parse(p.getAttention()));
        Target target = Target.parse(p.getTarget());
        if (target.kind() == Target.Kind.INDEX && target.index() >= net.classCount()) {
            throw n.error(n.of("target") + " " + target.index() + " is not a class of " + net.name() + ", which has " + net.classCount()
                    + " classes");
        }
        return new ExplainSetup(modelPath.toString(), net, composite, preprocessing(p, net, n), classNames(p, net, n), target);
    }

    private static Preprocessing preprocessing(LrpExplainer p, Network net, Naming n) {
        long[] in = net.inputShape();
        Preprocessing.Color color = p.isDefined(p.color()) ? Preprocessing.Color.parse(p.getColor())
                : in[0] == 1 ? Preprocessing.Color.GRAY : Preprocessing.Color.RGB;
        int[] size = p.isDefined(p.imageSize()) ? p.getImageSize() : new int[] {(int) in[1], (int) in[2]};
        for (String param : List.of("mean", "std")) {
            int values = ((double[]) p.getOrDefault(p.getParam(param))).length;
            if (values != 1 && values != color.channels) {
                throw n.error(n.of(param) + " needs 1 or " + color.channels + " values (one per channel), got " + values);
            }
        }
        Preprocessing pre = new Preprocessing(color, size[0], size[1], p.getResizeShorter(), p.getMean(), p.getStd());
        if (!Arrays.equals(pre.shape(), in)) {
            throw n.error("the preprocessing produces " + Arrays.toString(pre.shape()) + " (" + pre + ") but model " + net.name() + " takes "
                    + Arrays.toString(in) + "; set " + n.of("color") + " and " + n.of("imageSize") + " to match");
        }
        return pre;
    }

    private static List<String> classNames(LrpExplainer p, Network net, Naming n) {
        if (!p.isDefined(p.classNames())) {
            List<String> indices = new ArrayList<>();
            for (int i = 0; i < net.classCount(); i++) indices.add(String.valueOf(i));
            return indices;
        }
        List<String> names = List.of(p.getClassNames());
        if (names.size() != net.classCount()) {
            throw n.error(n.of("classNames") + " names " + names.size() + " classes but the model has " + net.classCount()
                    + " outputs");
        }
        return names;
    }
}
