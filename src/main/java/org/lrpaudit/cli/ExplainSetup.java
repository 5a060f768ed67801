package org.lrpaudit.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lrpaudit.cli.Settings.Key;
import org.lrpaudit.data.Preprocessing;
import org.lrpaudit.job.ExplainPlan;
import org.lrpaudit.lrp.Composite;
import org.lrpaudit.lrp.AttentionRule;
import org.lrpaudit.lrp.MaxPoolMode;
import org.lrpaudit.lrp.Presets;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.OnnxImporter;

/**
 * Everything needed to explain images, resolved and validated from the settings on the driver: the model, the
 * rule of every layer, the preprocessing (which must produce the model's input shape), class names and target.
 */
public record ExplainSetup(String modelPath, Network network, Composite composite, Preprocessing preprocessing,
                           List<String> classNames, Target target) implements ExplainPlan {

    public static ExplainSetup from(Settings s) {
        Path modelPath = Path.of(s.require(Key.MODEL));
        Network net = OnnxImporter.load(modelPath);
        MaxPoolMode pool = MaxPoolMode.parse(s.get(Key.MAXPOOL, "avg"));
        Composite composite = s.has(Key.RULES) ? Composite.parse(s.get(Key.RULES), net, pool)
                : Presets.resolve(s.get(Key.PRESET, "tutorial"), net, pool);
        if (s.has(Key.ATTENTION)) composite = composite.withAttention(AttentionRule.parse(s.get(Key.ATTENTION)));
        Preprocessing pre = preprocessing(s, net);
        List<String> classes = classNames(s.get(Key.CLASSES), net.classCount());
        Target target = Target.parse(s.get(Key.TARGET, "predicted"));
        if (target.kind() == Target.Kind.INDEX && target.index() >= net.classCount()) {
            throw new IllegalArgumentException("--target " + target.index() + " is not a class of a model with " + net.classCount() + " classes");
        }
        return new ExplainSetup(modelPath.toString(), net, composite, pre, classes, target);
    }

    public Path modelFile() { return Path.of(modelPath); }

    @Override public int targetFor(Integer label) { return target.resolve(label); }

    static Preprocessing preprocessing(Settings s, Network net) {
        long[] in = net.inputShape();
        Preprocessing.Color color = s.has(Key.COLOR) ? Preprocessing.Color.parse(s.get(Key.COLOR))
                : in[0] == 1 ? Preprocessing.Color.GRAY : Preprocessing.Color.RGB;
        int h = (int) in[1], w = (int) in[2];
        if (s.has(Key.SIZE)) {
            String[] hw = s.get(Key.SIZE).toLowerCase().split("x");
            try {
                h = Integer.parseInt(hw[0].trim());
                w = Integer.parseInt(hw[1].trim());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--size needs HxW, e.g. 224x224, got '" + s.get(Key.SIZE) + "'");
            }
        }
        Preprocessing pre = new Preprocessing(color, h, w, s.intValue(Key.RESIZE, 0),
                s.doubles(Key.MEAN, new double[] {0}), s.doubles(Key.STD, new double[] {1}));
        if (!Arrays.equals(pre.shape(), in)) {
            throw new IllegalArgumentException("the preprocessing produces " + Arrays.toString(pre.shape()) + " (" + pre
                    + ") but model " + net.name() + " takes " + Arrays.toString(in) + "; set --color and --size to match");
        }
        return pre;
    }

    static List<String> classNames(String spec, int count) {
        List<String> names = new ArrayList<>();
        if (spec == null) {
            for (int i = 0; i < count; i++) names.add(String.valueOf(i));
            return names;
        }
        Path file = Path.of(spec);
        if (!spec.contains(",") && Files.isRegularFile(file)) {
            try {
                for (String line : Files.readAllLines(file)) if (!line.isBlank()) names.add(line.trim());
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read class list " + file + ": " + e.getMessage());
            }
        } else {
            for (String n : spec.split(",")) names.add(n.trim());
        }
        if (names.size() != count) {
            throw new IllegalArgumentException("--classes names " + names.size() + " classes but the model has " + count + " outputs");
        }
        if (names.stream().distinct().count() != names.size()) throw new IllegalArgumentException("--classes has duplicate names");
        return List.copyOf(names);
    }
}
