package org.lrpaudit.lrp;

import java.util.List;
import org.lrpaudit.model.Conv2d;
import org.lrpaudit.model.Dense;
import org.lrpaudit.model.Layer;
import org.lrpaudit.model.Network;

/** The describe table: every layer with its index, shapes, parameter count and the rule a composite gives it. */
public final class LayerTable {
    private LayerTable() {}

    public static String render(Network net, Composite composite) {
        StringBuilder sb = new StringBuilder();
        List<long[]> shapes = net.shapes();
        sb.append("model ").append(net.name()).append(": input ").append(shape(net.inputShape())).append(", ")
                .append(net.classCount()).append(" classes, ").append(String.format("%,d", net.parameterCount()))
                .append(" parameters\n");
        sb.append("rules: ").append(composite.source()).append('\n');
        boolean graph = !net.isChain();
        String fmt = "%5s  %-22s %-14s " + (graph ? "%-10s " : "%s") + "%-14s %-14s %12s  %s%n";
        sb.append(String.format(fmt, "index", "name", "type", graph ? "reads" : "", "input", "output", "parameters", "rule"));
        for (int i = 0; i < net.size(); i++) {
            Layer l = net.layer(i);
            sb.append(String.format(fmt, i, clip(l.name(), 22), detail(l), graph ? reads(net.inputsOf(i)) : "", shape(net.inputShapeOf(i)),
                    shape(shapes.get(i + 1)), l.parameterCount() == 0 ? "" : String.format("%,d", l.parameterCount()), composite.describe(i, l)));
        }
        if (graph) sb.append("note: 'reads' lists the layers a layer takes its input from (input = the image)\n");
        for (String note : net.notes()) sb.append("note: ").append(note).append('\n');
        sb.append("note: relevance starts at the target's logit (no softmax); heatmaps sum relevance over colour channels\n");
        return sb.toString();
    }

    private static String detail(Layer l) {
        if (l instanceof Conv2d c) {
            if (c.isChannelAffine()) return "affine (bn)";
            String s = "conv" + c.kernelH() + "x" + c.kernelW();
            if (c.groups() > 1) s += c.groups() == c.inChannels() ? "/dw" : "/g" + c.groups();
            if (c.stride()[0] != 1 || c.stride()[1] != 1) s += "/s" + c.stride()[0];
            if (c.dilation()[0] != 1 || c.dilation()[1] != 1) s += "/d" + c.dilation()[0];
            return s;
        }
        if (l instanceof Dense) return "dense";
        return l.type();
    }

    private static String reads(int[] inputs) {
        StringBuilder b = new StringBuilder();
        for (int j : inputs) b.append(b.length() == 0 ? "" : ",").append(j < 0 ? "input" : String.valueOf(j));
        return b.toString();
    }

    private static String shape(long[] s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length; i++) b.append(i == 0 ? "" : "x").append(s[i]);
        return b.toString();
    }

    private static String clip(String s, int n) { return s.length() <= n ? s : s.substring(0, n - 1) + "…"; }
}
