package org.lrpaudit.job;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.lrpaudit.audit.Findings;
import org.lrpaudit.audit.concepts.ConceptAudit;
import org.lrpaudit.audit.concepts.FlaggedConcepts;
import org.lrpaudit.lrp.ConceptLayers;
import org.lrpaudit.output.ConceptColumns;
import org.lrpaudit.render.ConceptReport;
import org.lrpaudit.render.Report;

/** --concept-layers in the job: concepts/ and concept_references/ after the dataset audit, and the report's section. */
final class ConceptPhase {
    static final List<String> OUTPUTS = List.of(ConceptColumns.CONCEPTS_DIR, ConceptColumns.REFERENCES_DIR);

    private ConceptPhase() {}

    static List<String> names(ExplainSetup setup) { return ConceptLayers.names(setup.network(), setup.conceptLayers()); }

    /** Writes the concept tables; returns the report section, or null when the run has no concept layers. */
    /** @param references k: reference images per channel and scope */
    static Report.Section run(SparkSession spark, Dataset<Row> images, ExplainSetup setup, int references, String output, boolean spray,
                              List<Findings.Finding> findings) {
        if (setup.conceptLayers().isEmpty()) return null;
        String concepts = AuditJob.child(output, ConceptColumns.CONCEPTS_DIR), referencesPath = AuditJob.child(output, ConceptColumns.REFERENCES_DIR);
        Dataset<Row> assigned = spray ? spark.read().parquet(AuditJob.literal(AuditJob.child(output, "image_clusters"))) : null;
        ConceptAudit.run(images, assigned, names(setup), setup.classNames(), references, concepts, referencesPath);
        if (!spray) return null;
        List<FlaggedConcepts.Cluster> flagged = FlaggedConcepts.of(spark, images, concepts, referencesPath, findings,
                spark.sparkContext().hadoopConfiguration());
        return new ConceptReport(flagged, names(setup), references);
    }
}
