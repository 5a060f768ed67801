package org.lrpaudit.ml;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.JavaParams;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.lrpaudit.audit.ClassAggregates;
import org.lrpaudit.audit.Findings;
import org.lrpaudit.audit.spray.ClusterTable;
import org.lrpaudit.audit.spray.HeatmapVectors;
import org.lrpaudit.audit.spray.SpectralAnalysis;
import org.lrpaudit.output.Columns;

/**
 * The dataset audit over an {@link LrpExplainer}'s output: per-class aggregates, spectral relevance analysis (SpRAy)
 * per class, and the ranked findings — the command line's classes/, clusters/, image_clusters/ and findings/ as
 * DataFrames. {@link #run} is eager, as fitting an estimator is: it runs the analysis and returns small tables
 * (image clusters: one row per explained image).
 *
 * <pre>{@code
 * SprayAudit.Result audit = new SprayAudit().setIdCol("path").run(explained);
 * audit.findings().show();
 * }</pre>
 */
public class SprayAudit extends JavaParams implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    /** The four tables, columns as in the command line's outputs of the same names (docs/dataset-audit.md). */
    public record Result(Dataset<Row> classes, Dataset<Row> clusters, Dataset<Row> imageClusters, Dataset<Row> findings) {}

    private static final Naming SPRAY_PARAMS = new Naming("SprayAudit: ", java.util.function.UnaryOperator.identity());

    private final String uid;
    private final Param<String> idCol, labelCol, explanationPrefix, normalisation;
    private final IntParam vectorSize, neighbours, maxClusters, cellSize;

    public SprayAudit() { this(Identifiable.randomUID("sprayAudit")); }

    public SprayAudit(String uid) {
        this.uid = uid; // before the Params: each records its parent's uid
        SpectralAnalysis.Options d = SpectralAnalysis.Options.defaults();
        idCol = new Param<>(this, "idCol", "the column that identifies an image; cast to string (default image_id)", SprayAudit::nonBlank);
        labelCol = new Param<>(this, "labelCol", "the integer label column, if the input has one: accuracy and label agreement "
                + "(default label)", SprayAudit::nonBlank);
        explanationPrefix = new Param<>(this, "explanationPrefix", "the LrpExplainer's outputPrefix (default none)", (String s) -> s != null);
        normalisation = new Param<>(this, "normalisation", "each heatmap sums to 1 over |R| (abs, default) or over R+ (positive)",
                (String n) -> ParamChecks.parses(HeatmapVectors.Normalisation::parse, n));
        vectorSize = new IntParam(this, "vectorSize", "heatmaps are area-averaged to at most N×N cells before clustering, N at least 1 "
                + "(default " + d.size() + ")", ParamValidators.gtEq(1));
        neighbours = new IntParam(this, "neighbours", "neighbours per image in the affinity graph, at least 1 (default " + d.neighbours()
                + ")", ParamValidators.gtEq(1));
        maxClusters = new IntParam(this, "maxClusters", "the eigengap picks 2..K clusters per class, K at least 2 (default "
                + d.maxClusters() + ")", ParamValidators.gtEq(2));
        cellSize = new IntParam(this, "cellSize", "images per neighbour-search cell, at least 1; classes up to that size are searched "
                + "exactly (default " + d.cellSize() + ")", ParamValidators.gtEq(1));
        setDefault(idCol, Columns.IMAGE_ID);
        setDefault(labelCol, Columns.LABEL);
        setDefault(explanationPrefix, "");
        setDefault(normalisation, "abs");
        setDefault(vectorSize, d.size());
        setDefault(neighbours, d.neighbours());
        setDefault(maxClusters, d.maxClusters());
        setDefault(cellSize, d.cellSize());
    }

    private static boolean nonBlank(String s) { return s != null && !s.isBlank(); }

    @Override public String uid() { return uid; }

    @Override public SprayAudit copy(ParamMap extra) { return (SprayAudit) defaultCopy(extra); }

    public static MLReader<SprayAudit> read() { return new DefaultParamsReader<>(); }

    public static SprayAudit load(String path) { return read().load(path); }

    /** Audits the explained rows of {@code explained} (rows with an error are left out). */
    public Result run(Dataset<Row> explained) {
        SparkSession spark = explained.sparkSession();
        Dataset<Row> images = imagesOf(explained).persist(StorageLevel.MEMORY_AND_DISK()); // read by three passes
        try {
            List<Row> classRows = new ArrayList<>(ClassAggregates.of(images).collectAsList());
            classRows.sort((a, b) -> Integer.compare(a.getInt(a.fieldIndex(Columns.TARGET)), b.getInt(b.fieldIndex(Columns.TARGET))));
            Map<Integer, Long> counts = new HashMap<>();
            Map<Integer, String> names = new HashMap<>();
            for (Row c : classRows) {
                int t = c.getInt(c.fieldIndex(Columns.TARGET));
                counts.put(t, c.getLong(c.fieldIndex(ClassAggregates.COUNT)));
                names.put(t, c.getString(c.fieldIndex(Columns.TARGET_NAME)));
            }
            SpectralAnalysis.Options o = options();
            SpectralAnalysis.Result spray = SpectralAnalysis.run(spark, images, counts, names, o);
            List<Row> clusterRows = new ArrayList<>(ClusterTable.of(images, spray, o).collectAsList());
            clusterRows.sort((a, b) -> {
                int byTarget = Integer.compare(a.getInt(a.fieldIndex(Columns.TARGET)), b.getInt(b.fieldIndex(Columns.TARGET)));
                return byTarget != 0 ? byTarget : Integer.compare(a.getInt(a.fieldIndex(SpectralAnalysis.CLUSTER)),
                        b.getInt(b.fieldIndex(SpectralAnalysis.CLUSTER)));
            });
            List<Findings.Finding> findings = Findings.of(classRows, clusterRows);
            return new Result(spark.createDataFrame(classRows, ClassAggregates.SCHEMA), spark.createDataFrame(clusterRows, ClusterTable.SCHEMA),
                    spray.assignments(), spark.createDataFrame(Findings.rows(findings), Findings.SCHEMA));
        } finally {
            images.unpersist(); // the assignments are cached on their own (SpectralAnalysis)
        }
    }

    /** The images/ columns the audit reads, under their contract names, from explained rows. */
    private Dataset<Row> imagesOf(Dataset<Row> explained) {
        String prefix = getExplanationPrefix();
        List<String> present = Arrays.asList(explained.columns());
        List<String> needed = new ArrayList<>(List.of(Columns.TARGET, Columns.TARGET_NAME, Columns.PREDICTED, Columns.HEATMAP,
                Columns.HEATMAP_HEIGHT, Columns.HEATMAP_WIDTH, Columns.GRID));
        needed.addAll(Columns.STATISTICS);
        for (String c : needed) {
            if (!present.contains(prefix + c)) {
                throw new IllegalArgumentException("SprayAudit: no column '" + prefix + c + "': the input is not an LrpExplainer's output"
                        + (prefix.isEmpty() ? "" : " with outputPrefix '" + prefix + "'") + " (columns: " + present + ")");
            }
        }
        if (!present.contains(getIdCol())) {
            throw new IllegalArgumentException("SprayAudit: idCol '" + getIdCol() + "' is not a column of the input (columns: " + present + ")");
        }
        List<Column> cols = new ArrayList<>();
        cols.add(col(quoted(getIdCol())).cast("string").as(Columns.IMAGE_ID));
        cols.add((present.contains(getLabelCol()) ? col(quoted(getLabelCol())) : lit(null)).cast("int").as(Columns.LABEL));
        for (String c : needed) cols.add(col(quoted(prefix + c)).as(c));
        Column explainedRows = present.contains(prefix + Columns.ERROR_STAGE) ? col(quoted(prefix + Columns.ERROR_STAGE)).isNull() : lit(true);
        return explained.filter(explainedRows).select(cols.toArray(new Column[0]));
    }

    private static String quoted(String column) { return "`" + column.replace("`", "``") + "`"; }

    /** The analysis options these Params set (the others at their defaults); the command line's spray-* flags set the same. */
    public SpectralAnalysis.Options options() {
        SpectralAnalysis.Options d = SpectralAnalysis.Options.defaults();
        return new SpectralAnalysis.Options(getVectorSize(), HeatmapVectors.Normalisation.parse(getNormalisation()), getNeighbours(),
                getMaxClusters(), d.minClassSize(), getCellSize(), d.probes(), d.driverClassLimit(), d.localEigenLimit(), d.parallelism(),
                d.seed());
    }

    public Param<String> idCol() { return idCol; }
    public Param<String> labelCol() { return labelCol; }
    public Param<String> explanationPrefix() { return explanationPrefix; }
    public Param<String> normalisation() { return normalisation; }
    public IntParam vectorSize() { return vectorSize; }
    public IntParam neighbours() { return neighbours; }
    public IntParam maxClusters() { return maxClusters; }
    public IntParam cellSize() { return cellSize; }

    public String getIdCol() { return getOrDefault(idCol); }
    public String getLabelCol() { return getOrDefault(labelCol); }
    public String getExplanationPrefix() { return getOrDefault(explanationPrefix); }
    public String getNormalisation() { return getOrDefault(normalisation); }
    public int getVectorSize() { return (Integer) getOrDefault(vectorSize); }
    public int getNeighbours() { return (Integer) getOrDefault(neighbours); }
    public int getMaxClusters() { return (Integer) getOrDefault(maxClusters); }
    public int getCellSize() { return (Integer) getOrDefault(cellSize); }

    public SprayAudit setIdCol(String column) { return checked(idCol, column); }
    public SprayAudit setLabelCol(String column) { return checked(labelCol, column); }
    public SprayAudit setExplanationPrefix(String prefix) { return checked(explanationPrefix, prefix); }
    public SprayAudit setNormalisation(String n) { return checked(normalisation, n); }
    public SprayAudit setVectorSize(int n) { return checked(vectorSize, n); }
    public SprayAudit setNeighbours(int k) { return checked(neighbours, k); }
    public SprayAudit setMaxClusters(int k) { return checked(maxClusters, k); }
    public SprayAudit setCellSize(int n) { return checked(cellSize, n); }

    private <T> SprayAudit checked(Param<T> param, T value) {
        ParamChecks.set(this, SPRAY_PARAMS, param, value);
        return this;
    }
}
