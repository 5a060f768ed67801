package org.lrpaudit.lrp;

import java.util.List;
import java.util.Locale;
import org.lrpaudit.model.Conv2d;
import org.lrpaudit.model.Dense;
import org.lrpaudit.model.Network;

/**
 * Named composites. {@code tutorial} follows Montavon's LRP tutorial (VGG-16: z^B on the pixels, γ=0.25 on
 * conv1–conv3, ε=0.25·RMS on conv4–conv5, LRP-0 on the dense layers), generalised to any depth as: the first
 * ceil(n/2) of the n convolutions get γ, the others ε (on VGG-16: 7 of 13, exactly the tutorial's split).
 * The other three match Zennit's composites of the same names. Convolutions include grouped and depthwise ones and
 * batch norms kept as per-channel affine layers; dense layers include those applied at every position of a map
 * (ConvNeXt's MLP), as Zennit maps every nn.Linear alike.
 */
public final class Presets {

    public static final List<String> NAMES = List.of("tutorial", "epsilon-gamma-box", "epsilon-plus", "epsilon-alpha2-beta1");

    private Presets() {}

    public static Composite resolve(String name, Network net, MaxPoolMode poolMode) {
        Composite.Builder b = new Composite.Builder(net, "preset " + name);
        List<Integer> convs = new java.util.ArrayList<>(), dense = new java.util.ArrayList<>();
        for (int i = 0; i < net.size(); i++) {
            if (net.layer(i) instanceof Conv2d) convs.add(i);
            if (net.layer(i) instanceof Dense) dense.add(i);
        }
        Rule denseEpsilon = new Rule.EpsilonAbs(1e-6);
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "tutorial" -> {
                int lower = (convs.size() + 1) / 2;
                for (int k = 0; k < convs.size(); k++) {
                    b.rules[convs.get(k)] = k < lower ? new Rule.Gamma(0.25) : new Rule.Epsilon(0.25);
                }
                dense.forEach(i -> b.rules[i] = new Rule.Zero());
                b.rules[b.firstParametric()] = Rule.ZBox.fromPreprocessing();
            }
            case "epsilon-gamma-box" -> {
                convs.forEach(i -> b.rules[i] = new Rule.Gamma(0.25));
                dense.forEach(i -> b.rules[i] = denseEpsilon);
                b.rules[b.firstParametric()] = Rule.ZBox.fromPreprocessing();
            }
            case "epsilon-plus" -> {
                convs.forEach(i -> b.rules[i] = new Rule.AlphaBeta(1, 0));
                dense.forEach(i -> b.rules[i] = denseEpsilon);
            }
            case "epsilon-alpha2-beta1" -> {
                convs.forEach(i -> b.rules[i] = new Rule.AlphaBeta(2, 1));
                dense.forEach(i -> b.rules[i] = denseEpsilon);
            }
            default -> throw new IllegalArgumentException("unknown preset '" + name + "'; presets are " + NAMES);
        }
        b.defaultPool(poolMode);
        return b.build();
    }
}
