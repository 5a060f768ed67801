package org.lrpaudit.job;

import java.util.Map;
import org.lrpaudit.audit.spray.SpectralAnalysis;

/**
 * One audit run, typed: what to explain and how, where the input and output are, and which optional phases run. The
 * command line builds it from its settings ({@code cli.Requests}); a program may build it directly.
 *
 * @param inputFormat      auto, images, idx or parquet
 * @param parquetColumns   Parquet input: the id, image-bytes and label columns
 * @param baseline         an earlier run's output whose unchanged images are carried over, or null
 * @param commitEvery      images per committed chunk (what a lost driver costs at most)
 * @param spray            whether the dataset audit (SpRAy, findings) runs
 * @param reportSamples    member heatmaps shown per cluster in the report
 * @param master           the Spark master to use when the launcher sets none, or null
 * @param settings         the settings as the user gave them, for the manifest
 * @param recordedSettings those of them that change what a committed chunk holds: a resume must match them
 * @param faithfulness     the region-perturbation check's settings, or null when it does not run
 * @param conceptReferences reference images kept per channel with concept layers (see {@link ExplainSetup#conceptLayers})
 */
public record AuditRequest(ExplainSetup setup, LrpAudit.Options options, String input, String inputFormat, ParquetColumns parquetColumns,
                           String output, boolean overwrite, boolean resume, String baseline, long commitEvery, boolean spray,
                           SpectralAnalysis.Options sprayOptions, int reportSamples, String master, Map<String, String> settings,
                           Map<String, String> recordedSettings, Faithfulness.Setup faithfulness, int conceptReferences) {

    public static final long DEFAULT_COMMIT_EVERY = 100_000;

    /** The columns of a Parquet input. */
    public record ParquetColumns(String id, String image, String label) {
        public static ParquetColumns defaults() { return new ParquetColumns("image_id", "image", "label"); }
    }

    public AuditRequest {
        if (conceptReferences < 1 || conceptReferences > 1000) {
            throw new IllegalArgumentException("--concept-references needs 1 to 1000 images per channel, got " + conceptReferences);
        }
        if (input == null || output == null) throw new IllegalArgumentException("an audit needs an input and an output");
        if (resume && overwrite) {
            throw new IllegalArgumentException("give either --resume (continue the interrupted run) or --overwrite (start again), not both");
        }
        if (commitEvery < 1) throw new IllegalArgumentException("--commit-every must be at least 1, got " + commitEvery);
        if (options.grid() > Math.min(setup.preprocessing().height(), setup.preprocessing().width())) {
            throw new IllegalArgumentException("--grid " + options.grid() + " is finer than the " + setup.preprocessing().height() + "x"
                    + setup.preprocessing().width() + " heatmap");
        }
        settings = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(settings));
        recordedSettings = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(recordedSettings));
    }
}
