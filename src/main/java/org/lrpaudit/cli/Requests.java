package org.lrpaudit.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.lrpaudit.audit.concepts.ConceptAudit;
import org.lrpaudit.audit.spray.HeatmapVectors;
import org.lrpaudit.audit.spray.SpectralAnalysis;
import org.lrpaudit.cli.Settings.Key;
import org.lrpaudit.data.DatasetSources;
import org.lrpaudit.data.ImageDecoder;
import org.lrpaudit.data.Preprocessing;
import org.lrpaudit.job.AuditRequest;
import org.lrpaudit.job.ExplainSetup;
import org.lrpaudit.job.Faithfulness;
import org.lrpaudit.job.LrpAudit;
import org.lrpaudit.job.Target;
import org.lrpaudit.lrp.AttentionRule;
import org.lrpaudit.lrp.Composite;
import org.lrpaudit.lrp.ConceptLayers;
import org.lrpaudit.lrp.MaxPoolMode;
import org.lrpaudit.lrp.Presets;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.OnnxImporter;

/** The command line's settings mapped onto the job's typed requests; errors name the flags the user typed. */
public final class Requests {
    private Requests() {}

    /** Settings that do not change what a committed chunk holds; commit-every is compared by its effective value. */
    static final Set<Key> NOT_RECORDED = EnumSet.of(Key.RESUME, Key.OVERWRITE, Key.MASTER, Key.CONFIG, Key.COMMIT_EVERY);

    public static AuditRequest audit(Settings s) {
        ExplainSetup setup = explainSetup(s);
        LrpAudit.Options options = new LrpAudit.Options(s.intValue(Key.BATCH_SIZE, 32), s.intValue(Key.GRID, 4),
                s.longValue(Key.MAX_PIXELS, ImageDecoder.DEFAULT_MAX_PIXELS));
        String format = s.get(Key.INPUT_FORMAT, "auto");
        if (!format.equals("auto")) DatasetSources.parseFormat(format);
        AuditRequest.ParquetColumns d = AuditRequest.ParquetColumns.defaults();
        Map<String, String> recorded = new LinkedHashMap<>();
        for (Key k : Key.values()) if (s.has(k) && !NOT_RECORDED.contains(k)) recorded.put(k.name, s.get(k));
        Faithfulness.Setup faithfulness = faithfulness(s, setup, options.batchSize()); // null unless --faithfulness
        return new AuditRequest(setup, options, s.require(Key.INPUT), format,
                new AuditRequest.ParquetColumns(s.get(Key.ID_COLUMN, d.id()), s.get(Key.IMAGE_COLUMN, d.image()), s.get(Key.LABEL_COLUMN, d.label())),
                s.require(Key.OUTPUT), s.flag(Key.OVERWRITE), s.flag(Key.RESUME), s.get(Key.BASELINE),
                s.longValue(Key.COMMIT_EVERY, AuditRequest.DEFAULT_COMMIT_EVERY), s.enabled(Key.SPRAY, true), spray(s), s.intValue(Key.REPORT_SAMPLES, 8),
                s.get(Key.MASTER), s.asMap(), recorded, faithfulness, s.intValue(Key.CONCEPT_REFERENCES, ConceptAudit.DEFAULT_REFERENCES));
    }

    /** The model, its rules, preprocessing, class names and target, loaded and checked against each other. */
    public static ExplainSetup explainSetup(Settings s) {
        Path modelPath = Path.of(s.require(Key.MODEL));
        Network net = OnnxImporter.load(modelPath);
        MaxPoolMode pool = MaxPoolMode.parse(s.get(Key.MAXPOOL, "avg"));
        Composite composite = s.has(Key.RULES) ? Composite.parse(s.get(Key.RULES), net, pool)
                : Presets.resolve(s.get(Key.PRESET, "tutorial"), net, pool);
        if (s.has(Key.ATTENTION)) composite = composite.withAttention(AttentionRule.parse(s.get(Key.ATTENTION)));
        List<Integer> concepts = s.has(Key.CONCEPT_LAYERS) ? ConceptLayers.resolve(s.get(Key.CONCEPT_LAYERS), net) : List.of();
        return new ExplainSetup(modelPath.toString(), net, composite, preprocessing(s, net), classNames(s.get(Key.CLASSES), net.classCount()),
                Target.parse(s.get(Key.TARGET, "predicted")), concepts);
    }

    static SpectralAnalysis.Options spray(Settings s) {
        SpectralAnalysis.Options d = SpectralAnalysis.Options.defaults();
        return new SpectralAnalysis.Options(s.intValue(Key.SPRAY_SIZE, d.size()),
                s.has(Key.SPRAY_NORMALISATION) ? HeatmapVectors.Normalisation.parse(s.get(Key.SPRAY_NORMALISATION)) : d.normalisation(),
                s.intValue(Key.SPRAY_NEIGHBOURS, d.neighbours()), s.intValue(Key.SPRAY_MAX_CLUSTERS, d.maxClusters()), d.minClassSize(),
                s.intValue(Key.SPRAY_CELL_SIZE, d.cellSize()), d.probes(), d.driverClassLimit(), d.localEigenLimit(), d.parallelism(), d.seed());
    }

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

    /** Reads and validates the --faithfulness settings on the driver, before any task runs. */
    public static Faithfulness.Setup faithfulness(Settings s, ExplainSetup setup, int batchSize) {
        String runLabel = s.has(Key.RULES) ? "rules" : s.get(Key.PRESET, "tutorial").trim().toLowerCase(Locale.ROOT);
        List<String> labels = Faithfulness.composites(s.get(Key.FAITHFULNESS), runLabel);
        if (labels == null) {
            for (Key k : List.of(Key.FAITHFULNESS_SAMPLE, Key.FAITHFULNESS_PATCH, Key.FAITHFULNESS_STEPS)) {
                if (s.has(k)) throw new IllegalArgumentException("--" + k.name + " is set but the check is off; add --faithfulness on (or a list of composites)");
            }
            return null;
        }
        Preprocessing pre = setup.preprocessing();
        Faithfulness.Options o = new Faithfulness.Options(labels, s.intValue(Key.FAITHFULNESS_SAMPLE, Faithfulness.Options.DEFAULT_SAMPLE),
                s.intValue(Key.FAITHFULNESS_PATCH, Faithfulness.Options.defaultPatch(pre.height(), pre.width())),
                s.intValue(Key.FAITHFULNESS_STEPS, Faithfulness.Options.DEFAULT_STEPS), batchSize).validate(pre.height(), pre.width());
        MaxPoolMode pool = MaxPoolMode.parse(s.get(Key.MAXPOOL, "avg"));
        Map<String, Composite> composites = new LinkedHashMap<>();
        for (String label : labels) {
            Composite c = label.equals(runLabel) ? setup.composite()
                    : label.equals(Faithfulness.LRP_0) ? Composite.parse("0-:zero", setup.network(), pool) : Presets.resolve(label, setup.network(), pool);
            if (s.has(Key.ATTENTION) && !label.equals(runLabel)) c = c.withAttention(AttentionRule.parse(s.get(Key.ATTENTION)));
            composites.put(label, c);
        }
        return new Faithfulness.Setup(o, composites);
    }
}
