package org.lrpaudit.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import org.lrpaudit.audit.Findings;

/**
 * _manifest.json, typed: what produced an output. Written with snake_case names in this order; readers (compare,
 * --baseline, --resume) read it as JSON, so fields are added, never renamed. Nested maps keep the keys they are given
 * (settings by flag name, layers by index).
 */
public record RunManifest(String runId, String start, @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> tookOverLock,
                          String end, double durationSeconds, Counts counts, Double accuracy, Model model, Input input,
                          Map<String, String> settings, Map<String, Object> baseline, Configuration configuration, Versions versions,
                          @JsonProperty("native") Native nativeBackend, String sparkMaster, Map<String, String> outputs, List<Finding> findings,
                          @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> faithfulness,
                          @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> chunks,
                          @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> resumed,
                          Map<String, Double> phaseSeconds, Map<String, Double> phaseCpuSeconds) {

    /**
     * input = explained + failed; explained = the rows of images/, of which explainedNow were explained by this run and
     * carriedOver copied from --baseline (0 without one).
     */
    public record Counts(long input, long explained, long explainedNow, long carriedOver, long failed) {
        static Counts of(long input, long explained, long carriedOver, long failed) {
            return new Counts(input, explained, explained - carriedOver, carriedOver, failed);
        }
    }

    /** @param layers the rule of every layer by index, as in the describe table */
    public record Model(String path, String sha256, List<String> classes, List<String> notes) {}

    public record Input(String path, String format) {}

    /** @param conceptLayers the --concept-layers by name; left out without them */
    public record Configuration(String rules, String rulesSource, Map<String, Object> layers, String preprocessing, String target,
                                int batchSize, int grid, long maxPixels,
                                @JsonInclude(JsonInclude.Include.NON_NULL) List<String> conceptLayers) {}

    public record Versions(String lrpAudit, String spark, String nd4j, String java) {}

    public record Native(boolean onednn, String description) {}

    public record Finding(@JsonProperty("class") String className, List<Integer> clusters, String kind, String severity, double score,
                          String region, String reason) {
        static Finding of(Findings.Finding f) {
            return new Finding(f.targetName(), f.clusters(), f.kind(), f.severity(), f.score(), f.region(), f.reason());
        }
    }

    /** The same manifest with the phase times, known only once the report is written. */
    RunManifest withPhases(Map<String, Double> seconds, Map<String, Double> cpuSeconds) {
        return new RunManifest(runId, start, tookOverLock, end, durationSeconds, counts, accuracy, model, input, settings, baseline,
                configuration, versions, nativeBackend, sparkMaster, outputs, findings, faithfulness, chunks, resumed, seconds, cpuSeconds);
    }
}
