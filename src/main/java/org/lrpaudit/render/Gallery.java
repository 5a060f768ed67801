package org.lrpaudit.render;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.lrpaudit.audit.spray.ClusterTable;
import org.lrpaudit.audit.spray.SpectralAnalysis;
import org.lrpaudit.data.InputImages;
import org.lrpaudit.output.Columns;

/**
 * A cluster's gallery: its heading, its mean heatmap and its sampled members, each member's input image (as the model
 * saw it) beside its heatmap at the same scale; an input that could not be read again is a short note instead.
 */
final class Gallery {
    private final ImageFiles files;
    private final Map<String, InputImages.Shown> inputs;

    Gallery(ImageFiles files, Map<String, InputImages.Shown> inputs) {
        this.files = files;
        this.inputs = inputs;
    }

    /** The anchor of a cluster's gallery in its class's section. */
    static String anchor(int target, int cluster) { return "cluster-" + target + "-" + cluster; }

    /** @param underFinding compact, without an id (the class section holds the anchor) and linking to the full gallery */
    String html(int t, Row k, List<Report.Member> members, boolean underFinding) throws IOException {
        int cl = k.getInt(k.fieldIndex(SpectralAnalysis.CLUSTER));
        String name = k.getString(k.fieldIndex(Columns.TARGET_NAME));
        Object agree = k.get(k.fieldIndex(ClusterTable.LABEL_AGREEMENT));
        String swatch = "<span class=\"swatch\" style=\"background:" + SpectrumPlots.colour(cl) + "\"></span>";
        String title = "cluster " + cl + ": " + k.getLong(k.fieldIndex(SpectralAnalysis.SIZE)) + " images ("
                + String.format(Locale.ROOT, "%.0f%%", 100 * k.getDouble(k.fieldIndex(SpectralAnalysis.SHARE))) + " of the class"
                + (agree == null ? "" : String.format(Locale.ROOT, ", %.0f%% labelled %s", 100 * (Double) agree, Report.esc(name))) + ")";
        StringBuilder html = new StringBuilder();
        if (underFinding) html.append("<p>").append(swatch).append("<a href=\"#").append(anchor(t, cl)).append("\">").append(title).append("</a></p>\n");
        else html.append("<h3 id=\"").append(anchor(t, cl)).append("\">").append(swatch).append(title).append("</h3>\n");
        int meanPx = underFinding ? 84 : 112, memberPx = underFinding ? 56 : 84;
        html.append("<div class=\"gallery ").append(underFinding ? "finding-cluster" : "cluster").append("\" data-class=\"").append(Report.esc(name))
                .append("\" data-cluster=\"").append(cl).append("\"><figure>")
                .append(files.heatmap("cluster-" + t + "-" + cl + ".png", Report.heatmapOf(k, SpectralAnalysis.MEAN_HEATMAP), Report.dims(k), 112,
                        meanPx, "mean of cluster " + cl, null))
                .append("<figcaption>mean</figcaption></figure>\n");
        int i = 0;
        for (Report.Member m : members) {
            if (m.cluster() != cl) continue;
            String stem = t + "-" + cl + "-" + i++;
            html.append("<figure class=\"member\" data-image-id=\"").append(Report.esc(m.imageId())).append("\"><div class=\"pair\">")
                    .append(input(m, "input-" + stem + ".png", memberPx))
                    .append(files.heatmap("member-" + stem + ".png", m.heatmap(), new int[] {m.height(), m.width()}, 84, memberPx, m.imageId(), "heatmap"))
                    .append("</div><figcaption title=\"").append(Report.esc(m.imageId())).append("\">")
                    .append(Report.esc(m.labelName() == null ? "?" : m.labelName())).append(" → ").append(Report.esc(m.predictedName()))
                    .append("</figcaption></figure>\n");
        }
        return html.append("</div>\n").toString();
    }

    private String input(Report.Member m, String file, int shown) throws IOException {
        InputImages.Shown in = inputs.get(m.imageId());
        if (in != null && in.image() != null) return files.input(file, in.image(), 84, shown, "input " + m.imageId());
        String why = in == null ? "not read" : in.problem();
        return "<span class=\"no-input\" style=\"width:" + shown + "px\" title=\"" + Report.esc(why) + "\">input unavailable: "
                + Report.esc(why) + "</span>";
    }
}
