package org.lrpaudit.lrp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.lrpaudit.model.Conv2d;
import org.lrpaudit.model.Network;

/** Which layers' relevance per channel becomes the concept vectors (--concept-layers), resolved on the driver. */
public final class ConceptLayers {
    /** More layers cost a vector per image each and multiply the concept tables; two cover "late" and "middle". */
    public static final int MAX = 2;

    private ConceptLayers() {}

    /**
     * @param spec "auto" (or blank): the last convolution (a batch-norm folded into a per-channel affine does not
     *             count); otherwise one or two layer names or indices as {@code describe} lists them, comma-separated
     * @return layer indices in the network, in the order given
     */
    public static List<Integer> resolve(String spec, Network net) {
        if (spec == null || spec.isBlank() || spec.trim().toLowerCase(Locale.ROOT).equals("auto")) {
            for (int l = net.size() - 1; l >= 0; l--) {
                if (net.layer(l) instanceof Conv2d c && !c.isChannelAffine()) return List.of(l);
            }
            throw new IllegalArgumentException("--concept-layers auto looks for a convolution, and " + net.name()
                    + " has none; name a layer instead (lrp-audit describe lists them)");
        }
        List<Integer> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            int found = -1;
            for (int l = 0; l < net.size() && found < 0; l++) if (net.layer(l).name().equals(p)) found = l;
            if (found < 0 && p.matches("\\d+")) found = Integer.parseInt(p) < net.size() ? Integer.parseInt(p) : -1;
            if (found < 0) {
                throw new IllegalArgumentException("--concept-layers: " + net.name() + " has no layer '" + p + "'; give a name or index "
                        + "from lrp-audit describe (convolutions: " + convolutions(net) + "), or auto for the last convolution");
            }
            if (out.contains(found)) throw new IllegalArgumentException("--concept-layers names layer " + found + " twice");
            long[] shape = net.shapes().get(found + 1);
            if (shape.length != 3 && shape.length != 1) {
                throw new IllegalArgumentException("--concept-layers: layer '" + p + "' outputs " + java.util.Arrays.toString(shape)
                        + ", neither channels x height x width nor a vector; choose a convolution or a dense layer");
            }
            out.add(found);
        }
        if (out.size() > MAX) {
            throw new IllegalArgumentException("--concept-layers takes at most " + MAX + " layers (each adds a vector per image and its "
                    + "own concept tables), got " + out.size());
        }
        return List.copyOf(out);
    }

    /** The names the concept vectors are stored under (the images/ map's keys), in the order of {@code layers}. */
    public static List<String> names(Network net, List<Integer> layers) {
        return layers.stream().map(l -> net.layer(l).name()).toList();
    }

    private static String convolutions(Network net) {
        List<String> names = new ArrayList<>();
        for (int l = 0; l < net.size(); l++) if (net.layer(l) instanceof Conv2d c && !c.isChannelAffine()) names.add(l + " " + net.layer(l).name());
        return names.isEmpty() ? "none" : String.join(", ", names);
    }
}
