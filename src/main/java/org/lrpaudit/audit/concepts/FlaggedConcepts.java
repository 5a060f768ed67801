package org.lrpaudit.audit.concepts;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.lrpaudit.audit.Findings;
import org.lrpaudit.output.Columns;
import org.lrpaudit.output.ConceptColumns;

/**
 * What the report shows about concepts: for every cluster a finding names, the channels it uses more than its class
 * (with their reference images among the class's images) and those it uses less. Everything here is bounded by the
 * findings, not the dataset: a few concept rows, k reference images per shown channel, read back from Parquet.
 */
public final class FlaggedConcepts {
    /** Over-used channels shown per flagged cluster and layer (with reference images), under-used ones (named only). */
    public static final int OVER_SHOWN = 3, UNDER_SHOWN = 2;
    /** Inputs larger than this are not copied into the report (the heatmap is shown alone). */
    static final long MAX_INPUT_BYTES = 2L << 20;

    private FlaggedConcepts() {}

    /**
     * A reference image: its rank and the channel's share of its relevance at the layer, its heatmap, and its input file's bytes when the
     * source is an image file that can be read again (null for IDX and Parquet inputs, or a file gone since).
     */
    public record Reference(String imageId, int rank, double share, String labelName, String predictedName, float[] heatmap, int height,
                            int width, byte[] input, String inputType) {}

    public record Channel(String layer, int channel, double share, double classShare, Double lift, List<Reference> references) {
        public double difference() { return share - classShare; }
    }

    public record Cluster(int target, String targetName, int cluster, long images, List<Channel> over, List<Channel> under) {}

    public static List<Cluster> of(SparkSession spark, Dataset<Row> images, String conceptsPath, String referencesPath,
                                   List<Findings.Finding> findings, Configuration hadoop) {
        Set<List<Integer>> flagged = new LinkedHashSet<>();
        for (Findings.Finding f : findings) for (int c : f.clusters()) flagged.add(List.of(f.target(), c));
        if (flagged.isEmpty()) return List.of();
        List<Integer> targets = flagged.stream().map(k -> k.get(0)).distinct().toList();
        List<Row> rows = spark.read().parquet(literal(conceptsPath)).where(col(ConceptColumns.CLUSTER).isNotNull()
                .and(col(Columns.TARGET).isin(targets.toArray()))).collectAsList();
        Map<List<Integer>, List<Row>> byCluster = new HashMap<>();
        for (Row r : rows) {
            List<Integer> key = List.of(r.<Integer>getAs(Columns.TARGET), r.<Integer>getAs(ConceptColumns.CLUSTER));
            if (flagged.contains(key)) byCluster.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        // the channels to show, then their reference images among the class's images
        Map<List<Object>, List<Row>> refs = new HashMap<>();
        for (Row r : spark.read().parquet(literal(referencesPath)).where(col(Columns.TARGET).isin(targets.toArray())).collectAsList()) {
            refs.computeIfAbsent(List.of(r.<Integer>getAs(Columns.TARGET), r.<String>getAs(ConceptColumns.LAYER), r.<Integer>getAs(ConceptColumns.CHANNEL)),
                    k -> new ArrayList<>()).add(r);
        }
        List<Cluster> out = new ArrayList<>();
        Set<String> wanted = new LinkedHashSet<>();
        for (List<Integer> key : flagged) {
            List<Row> own = byCluster.getOrDefault(key, List.of());
            if (own.isEmpty()) continue;
            Comparator<Row> byDifference = Comparator.comparingDouble(FlaggedConcepts::difference);
            List<String> layers = own.stream().map(r -> r.<String>getAs(ConceptColumns.LAYER)).distinct().toList();
            List<Channel> over = new ArrayList<>(), under = new ArrayList<>();
            for (String layer : layers) {
                List<Row> inLayer = own.stream().filter(r -> r.getAs(ConceptColumns.LAYER).equals(layer)).toList();
                inLayer.stream().filter(r -> difference(r) > 0).sorted(byDifference.reversed()).limit(OVER_SHOWN).forEach(r -> {
                    List<Row> top = refs.getOrDefault(List.of(key.get(0), layer, r.<Integer>getAs(ConceptColumns.CHANNEL)), List.of());
                    top.forEach(t -> wanted.add(t.getAs(Columns.IMAGE_ID)));
                    over.add(channel(r, top.stream().sorted(Comparator.comparing(t -> t.<Integer>getAs(ConceptColumns.RANK))).map(FlaggedConcepts::stub).toList()));
                });
                inLayer.stream().filter(r -> difference(r) < 0).sorted(byDifference).limit(UNDER_SHOWN).forEach(r -> under.add(channel(r, List.of())));
            }
            Row any = own.get(0);
            out.add(new Cluster(key.get(0), any.getAs(Columns.TARGET_NAME), key.get(1), any.<Long>getAs(ConceptColumns.IMAGES), over, under));
        }
        return withImages(out, images, wanted, hadoop);
    }

    private static double difference(Row r) { return r.<Double>getAs(ConceptColumns.SHARE) - r.<Double>getAs(ConceptColumns.CLASS_SHARE); }

    private static Channel channel(Row r, List<Reference> refs) {
        return new Channel(r.getAs(ConceptColumns.LAYER), r.<Integer>getAs(ConceptColumns.CHANNEL), r.<Double>getAs(ConceptColumns.SHARE),
                r.<Double>getAs(ConceptColumns.CLASS_SHARE), r.getAs(ConceptColumns.LIFT), refs);
    }

    private static Reference stub(Row t) {
        return new Reference(t.getAs(Columns.IMAGE_ID), t.<Integer>getAs(ConceptColumns.RANK), t.<Double>getAs(ConceptColumns.SHARE), null, null,
                null, 0, 0, null, null);
    }

    /** Fills in the reference images' heatmaps (one filtered read of images/) and, where possible, their input files. */
    private static List<Cluster> withImages(List<Cluster> clusters, Dataset<Row> images, Set<String> ids, Configuration hadoop) {
        if (ids.isEmpty()) return clusters;
        Map<String, Row> found = new HashMap<>();
        for (Row r : images.select(Columns.IMAGE_ID, Columns.SOURCE, Columns.LABEL_NAME, Columns.PREDICTED_NAME, Columns.HEATMAP,
                Columns.HEATMAP_HEIGHT, Columns.HEATMAP_WIDTH).where(col(Columns.IMAGE_ID).isin(ids.toArray())).collectAsList()) {
            found.put(r.getAs(Columns.IMAGE_ID), r);
        }
        Map<String, byte[]> inputs = new HashMap<>();
        List<Cluster> out = new ArrayList<>();
        for (Cluster c : clusters) {
            List<Channel> over = new ArrayList<>();
            for (Channel ch : c.over()) {
                List<Reference> refs = new ArrayList<>();
                for (Reference ref : ch.references()) {
                    Row r = found.get(ref.imageId());
                    if (r == null) continue;
                    List<Float> h = r.getList(r.fieldIndex(Columns.HEATMAP));
                    float[] heatmap = new float[h.size()];
                    for (int i = 0; i < heatmap.length; i++) heatmap[i] = h.get(i);
                    byte[] input = inputs.computeIfAbsent(ref.imageId(), id -> readInput(r.getAs(Columns.SOURCE), hadoop));
                    refs.add(new Reference(ref.imageId(), ref.rank(), ref.share(), r.getAs(Columns.LABEL_NAME), r.getAs(Columns.PREDICTED_NAME),
                            heatmap, r.<Integer>getAs(Columns.HEATMAP_HEIGHT), r.<Integer>getAs(Columns.HEATMAP_WIDTH),
                            input.length == 0 ? null : input, input.length == 0 ? null : imageType(input)));
                }
                over.add(new Channel(ch.layer(), ch.channel(), ch.share(), ch.classShare(), ch.lift(), refs));
            }
            out.add(new Cluster(c.target(), c.targetName(), c.cluster(), c.images(), over, c.under()));
        }
        return out;
    }

    /** The source file's bytes if it is a PNG, JPEG, GIF or BMP of at most {@link #MAX_INPUT_BYTES}; empty otherwise. */
    static byte[] readInput(String source, Configuration hadoop) {
        if (source == null) return new byte[0];
        try {
            Path path = new Path(source);
            FileSystem fs = path.getFileSystem(hadoop);
            if (!fs.isFile(path) || fs.getFileStatus(path).getLen() > MAX_INPUT_BYTES) return new byte[0];
            try (InputStream in = fs.open(path)) {
                byte[] bytes = in.readAllBytes();
                return imageType(bytes) == null ? new byte[0] : bytes;
            }
        } catch (IOException | IllegalArgumentException e) {
            return new byte[0]; // deleted or unreadable since the run read it: the heatmap is shown alone
        }
    }

    /** The browser-displayable type of encoded image bytes (file extension), or null. */
    static String imageType(byte[] b) {
        if (b.length > 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return "png";
        if (b.length > 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8) return "jpg";
        if (b.length > 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F') return "gif";
        if (b.length > 2 && b[0] == 'B' && b[1] == 'M') return "bmp";
        return null;
    }

    private static String literal(String path) { return path.replaceAll("([\\\\\\[\\]{}*?])", "\\\\$1"); }
}
