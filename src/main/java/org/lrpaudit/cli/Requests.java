package org.lrpaudit.cli;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.lrpaudit.audit.concepts.ConceptAudit;
import org.lrpaudit.cli.Settings.Key;
import org.lrpaudit.data.DatasetSources;
import org.lrpaudit.data.Preprocessing;
import org.lrpaudit.job.AuditRequest;
import org.lrpaudit.job.ExplainSetup;
import org.lrpaudit.job.Faithfulness;
import org.lrpaudit.job.LrpAudit;
import org.lrpaudit.lrp.AttentionRule;
import org.lrpaudit.lrp.Composite;
import org.lrpaudit.lrp.ConceptLayers;
import org.lrpaudit.lrp.MaxPoolMode;
import org.lrpaudit.lrp.Presets;
import org.lrpaudit.ml.LrpExplainer;
import org.lrpaudit.ml.SetupResolution;

/** The command line's settings mapped onto the job's typed requests; errors name the flags the user typed. */
public final class Requests {
    private Requests() {}

    /** Settings that do not change what a committed chunk holds; commit-every is compared by its effective value. */
    static final Set<Key> NOT_RECORDED = EnumSet.of(Key.RESUME, Key.OVERWRITE, Key.MASTER, Key.CONFIG, Key.COMMIT_EVERY);

    public static AuditRequest audit(Settings s) {
        LrpExplainer explainer = explainer(s);
        ExplainSetup setup = explainSetup(s, explainer);
        LrpAudit.Options options = new LrpAudit.Options(explainer.getBatchSize(), explainer.getGridSize(), explainer.getMaxPixels());
        String format = s.get(Key.INPUT_FORMAT, "auto");
        if (!format.equals("auto")) DatasetSources.parseFormat(format);
        AuditRequest.ParquetColumns d = AuditRequest.ParquetColumns.defaults();
        Map<String, String> recorded = new LinkedHashMap<>();
        for (Key k : Key.values()) if (s.has(k) && !NOT_RECORDED.contains(k)) recorded.put(k.name, s.get(k));
        Faithfulness.Setup faithfulness = faithfulness(s, explainer, setup, options.batchSize()); // null unless --faithfulness
        return new AuditRequest(setup, options, s.require(Key.INPUT), format,
                new AuditRequest.ParquetColumns(s.get(Key.ID_COLUMN, d.id()), s.get(Key.IMAGE_COLUMN, d.image()), s.get(Key.LABEL_COLUMN, d.label())),
                s.require(Key.OUTPUT), s.flag(Key.OVERWRITE), s.flag(Key.RESUME), s.get(Key.BASELINE),
                s.longValue(Key.COMMIT_EVERY, AuditRequest.DEFAULT_COMMIT_EVERY), s.enabled(Key.SPRAY, true), ParamFlags.spray(s).options(),
                s.intValue(Key.REPORT_SAMPLES, 8), s.get(Key.MASTER), s.asMap(), recorded, faithfulness,
                s.intValue(Key.CONCEPT_REFERENCES, ConceptAudit.DEFAULT_REFERENCES));
    }

    /** The explanation flags as an {@link LrpExplainer}'s Params: what the Spark ML API would be given. */
    static LrpExplainer explainer(Settings s) {
        s.require(Key.MODEL);
        return ParamFlags.explainer(s);
    }

    /** The model, its rules, preprocessing, class names and target, loaded and checked against each other. */
    public static ExplainSetup explainSetup(Settings s) { return explainSetup(s, explainer(s)); }

    /** The API's one resolution of the explainer's Params, errors naming flags, plus the concept layers (a command-line phase). */
    static ExplainSetup explainSetup(Settings s, LrpExplainer explainer) {
        ExplainSetup setup = SetupResolution.of(explainer, ParamFlags.FLAGS);
        return s.has(Key.CONCEPT_LAYERS) ? setup.withConceptLayers(ConceptLayers.resolve(s.get(Key.CONCEPT_LAYERS), setup.network())) : setup;
    }

    /** Reads and validates the --faithfulness settings on the driver, before any task runs. */
    static Faithfulness.Setup faithfulness(Settings s, LrpExplainer explainer, ExplainSetup setup, int batchSize) {
        String runLabel = explainer.isSet(explainer.rules()) ? "rules" : explainer.getPreset().trim().toLowerCase(Locale.ROOT);
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
        MaxPoolMode pool = MaxPoolMode.parse(explainer.getMaxPoolMode());
        Map<String, Composite> composites = new LinkedHashMap<>();
        for (String label : labels) {
            Composite c = label.equals(runLabel) ? setup.composite()
                    : label.equals(Faithfulness.LRP_0) ? Composite.parse("0-:zero", setup.network(), pool) : Presets.resolve(label, setup.network(), pool);
            if (explainer.isSet(explainer.attention()) && !label.equals(runLabel)) {
                c = c.withAttention(AttentionRule.parse(explainer.getAttention()));
            }
            composites.put(label, c);
        }
        return new Faithfulness.Setup(o, composites);
    }
}
