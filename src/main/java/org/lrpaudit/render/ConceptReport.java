package org.lrpaudit.render;

import static org.lrpaudit.render.Report.esc;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.lrpaudit.audit.concepts.FlaggedConcepts;
import org.lrpaudit.output.OutputFiles;

/**
 * The report's concept section: for each cluster a finding names, the channels it uses more than its class with their
 * reference images (input beside heatmap where the input file can be read again) and the channels it uses less.
 */
public final class ConceptReport implements Report.Section {
    private final List<FlaggedConcepts.Cluster> clusters;
    private final List<String> layers;
    private final int references;

    /** @param layers the concept layers, @param references k: reference images kept per channel */
    public ConceptReport(List<FlaggedConcepts.Cluster> clusters, List<String> layers, int references) {
        this.clusters = clusters;
        this.layers = layers;
        this.references = references;
    }

    @Override public void write(StringBuilder html, FileSystem fs, Path dir) throws IOException {
        html.append("<h2 id=\"concepts\">Concepts of the flagged clusters</h2>\n<p>Concept layer").append(layers.size() > 1 ? "s " : " ")
                .append(esc(String.join(", ", layers))).append(". A channel's share is its part of the positive relevance at the layer, ")
                .append("averaged over the cluster's images; class share the same over the whole class; lift = share / class share. ")
                .append("Reference images: the class's ").append(references).append(" images in which that channel takes the largest share ")
                .append("(input, where it can be read again, and heatmap).</p>\n");
        if (clusters.isEmpty()) {
            html.append("<p id=\"no-flagged-concepts\">No finding names a cluster.</p>\n");
            return;
        }
        boolean missingInputs = false;
        for (FlaggedConcepts.Cluster c : clusters) {
            html.append("<div class=\"concept-cluster\" data-class=\"").append(esc(c.targetName())).append("\" data-cluster=\"").append(c.cluster())
                    .append("\"><h3>").append(esc(c.targetName())).append(", cluster ").append(c.cluster()).append(" (").append(c.images())
                    .append(" images)</h3>\n");
            if (c.over().isEmpty()) html.append("<p>No channel carries a larger share here than in the class.</p>\n");
            for (FlaggedConcepts.Channel ch : c.over()) {
                html.append("<p class=\"concept-channel\" data-layer=\"").append(esc(ch.layer())).append("\" data-channel=\"").append(ch.channel())
                        .append("\">").append(describe(ch, "more")).append("</p>\n<div class=\"gallery concept-references\">");
                for (FlaggedConcepts.Reference r : ch.references()) {
                    String base = "concept-" + c.target() + "-" + safe(ch.layer()) + "-" + ch.channel() + "-" + r.rank();
                    html.append("<figure>");
                    if (r.input() != null) {
                        String file = base + "-input." + r.inputType();
                        try (OutputStream out = OutputFiles.create(fs, new Path(new Path(dir, "img"), file))) {
                            out.write(r.input());
                        }
                        html.append("<img src=\"img/").append(file).append("\" alt=\"").append(esc(r.imageId())).append("\" width=\"56\">");
                    } else {
                        missingInputs = true;
                    }
                    String file = base + ".png";
                    try (OutputStream out = OutputFiles.create(fs, new Path(new Path(dir, "img"), file))) {
                        out.write(Heatmaps.png(r.heatmap(), r.height(), r.width(), 84));
                    }
                    html.append("<img src=\"img/").append(file).append("\" alt=\"heatmap of ").append(esc(r.imageId())).append("\" width=\"56\">")
                            .append("<figcaption title=\"").append(esc(r.imageId())).append("\">#").append(r.rank()).append(" ")
                            .append(esc(r.labelName() == null ? "?" : r.labelName())).append(" → ").append(esc(r.predictedName()))
                            .append(String.format(Locale.ROOT, "<br>%.0f%%", 100 * r.share())).append("</figcaption></figure>\n");
                }
                html.append("</div>\n");
            }
            for (FlaggedConcepts.Channel ch : c.under()) html.append("<p class=\"concept-under\">").append(describe(ch, "less")).append("</p>\n");
            html.append("</div>\n");
        }
        if (missingInputs) {
            html.append("<p>Some inputs are not shown: only image files up to 2 MB are read again (not IDX or Parquet inputs); their heatmaps are.</p>\n");
        }
    }

    private static String describe(FlaggedConcepts.Channel ch, String direction) {
        return String.format(Locale.ROOT, "channel <b>%d</b> of %s, used %s than by the class: %.1f%% of the cluster's relevance against %.1f%%%s",
                ch.channel(), esc(ch.layer()), direction, 100 * ch.share(), 100 * ch.classShare(),
                ch.lift() == null ? "" : String.format(Locale.ROOT, " (lift %.2f)", ch.lift()));
    }

    private static String safe(String name) { return name.replaceAll("[^A-Za-z0-9_.-]", "_"); }
}
