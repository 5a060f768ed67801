package org.lrpaudit.ml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.BinaryType$;
import org.apache.spark.sql.types.ByteType$;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.IntegerType$;
import org.apache.spark.sql.types.ShortType$;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.lrpaudit.data.ImageDecoder;
import org.lrpaudit.data.Preprocessing;
import org.lrpaudit.job.LrpAudit;
import org.lrpaudit.job.Target;
import org.lrpaudit.lrp.AttentionRule;
import org.lrpaudit.lrp.MaxPoolMode;
import org.lrpaudit.lrp.Presets;

/**
 * Layer-wise Relevance Propagation as a Spark ML stage: explains each row's encoded image with an ONNX classifier and
 * appends the explanation — prediction, target class, heatmap and its statistics, or the stage and reason a row failed
 * — keeping every column of the caller's DataFrame. Lazy like any transform; works inside a {@code Pipeline} and saves
 * and loads with it.
 *
 * <pre>{@code
 * LrpExplainer lrp = new LrpExplainer().setModelPath("model.onnx").setMean(new double[] {0.286}).setStd(new double[] {0.353})
 *         .setInputCol("content");
 * Dataset<Row> explained = lrp.transform(images); // images' columns + predicted, target, heatmap, ..., error_stage, error
 * }</pre>
 */
public class LrpExplainer extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    static final String PREDICTED = "predicted", LABEL = "label";

    private final String uid;
    private final Param<String> modelPath, preset, rules, maxPoolMode, attention, target, color, inputCol, labelCol, outputPrefix;
    private final IntArrayParam imageSize;
    private final IntParam resizeShorter, batchSize, gridSize;
    private final LongParam maxPixels;
    private final DoubleArrayParam mean, std;
    private final StringArrayParam classNames;

    public LrpExplainer() { this(Identifiable.randomUID("lrpExplainer")); }

    /** The constructor Spark's reader calls with a saved stage's uid. */
    public LrpExplainer(String uid) {
        this.uid = uid; // before the Params: each records its parent's uid
        // Each doc is the setting's only description: the command line's --help prints it for the flag that sets it.
        modelPath = new Param<>(this, "modelPath", "the ONNX image classifier to explain, a path the driver reads", LrpExplainer::nonBlank);
        preset = new Param<>(this, "preset", "rule preset: " + String.join(", ", Presets.NAMES) + " (default tutorial); "
                + "not together with rules", (String name) -> name != null && Presets.NAMES.contains(name.trim().toLowerCase(Locale.ROOT)));
        rules = new Param<>(this, "rules", "rule per layer index range, e.g. 0:zb;1-16:gamma=0.25;17-30:epsilon=0.25;31-:zero "
                + "(instead of a preset)", LrpExplainer::nonBlank);
        maxPoolMode = new Param<>(this, "maxPoolMode", "relevance through max pooling: avg (as average pooling, default) or wta "
                + "(winner-take-all)", (String m) -> ParamChecks.parses(MaxPoolMode::parse, m));
        attention = new Param<>(this, "attention", "relevance through attention (transformers): cp (CP-LRP, probabilities held "
                + "constant; the default) or attn (AttnLRP, also through the softmax into queries and keys)",
                (String a) -> ParamChecks.parses(AttentionRule::parse, a));
        target = new Param<>(this, "target", "the class to explain: predicted (default), label (the image's label) or a class index",
                (String t) -> ParamChecks.parses(Target::parse, t));
        color = new Param<>(this, "color", "colour mode gray or rgb (default: from the model's input channels)",
                (String c) -> ParamChecks.parses(Preprocessing.Color::parse, c));
        imageSize = new IntArrayParam(this, "imageSize", "input height and width in pixels, each at least 1 (default: the model's)",
                (int[] hw) -> hw != null && hw.length == 2 && hw[0] > 0 && hw[1] > 0);
        resizeShorter = new IntParam(this, "resizeShorter", "resize the shorter side to this many pixels before the centre crop; "
                + "0 (default) resizes straight to the input size", ParamValidators.gtEq(0));
        mean = new DoubleArrayParam(this, "mean", "per-channel mean after scaling pixels to [0, 1]: 1 value or one per channel "
                + "(default 0)", (double[] m) -> m != null && m.length > 0);
        std = new DoubleArrayParam(this, "std", "per-channel standard deviation, each above 0: 1 value or one per channel (default 1)",
                (double[] s) -> s != null && s.length > 0 && Arrays.stream(s).allMatch(v -> v > 0));
        classNames = new StringArrayParam(this, "classNames", "class names in output order, one per model output, no duplicates "
                + "(default: the indices)", (String[] n) -> n != null && n.length > 0 && Arrays.stream(n).distinct().count() == n.length);
        batchSize = new IntParam(this, "batchSize", "images per engine call within a partition, at least 1 (default 32)",
                ParamValidators.gtEq(1));
        gridSize = new IntParam(this, "gridSize", "cells per side of the relevance-share grid statistic, at least 1 (default 4)",
                ParamValidators.gtEq(1));
        maxPixels = new LongParam(this, "maxPixels", "images whose header claims more pixels fail before decoding, at least 1 "
                + "(default 100000000)", ParamValidators.gtEq(1));
        inputCol = new Param<>(this, "inputCol", "the column of encoded image bytes: PNG, JPEG, ... (default image)", LrpExplainer::nonBlank);
        labelCol = new Param<>(this, "labelCol", "the integer label column, read when target is label (default label)", LrpExplainer::nonBlank);
        outputPrefix = new Param<>(this, "outputPrefix", "prepended to every appended column's name (default none)", (String s) -> s != null);
        setDefault(preset, "tutorial");
        setDefault(maxPoolMode, "avg");
        setDefault(target, PREDICTED);
        setDefault(resizeShorter, 0);
        setDefault(mean, new double[] {0});
        setDefault(std, new double[] {1});
        setDefault(batchSize, 32);
        setDefault(gridSize, 4);
        setDefault(maxPixels, ImageDecoder.DEFAULT_MAX_PIXELS);
        setDefault(inputCol, "image");
        setDefault(labelCol, LABEL);
        setDefault(outputPrefix, "");
    }

    private static boolean nonBlank(String s) { return s != null && !s.isBlank(); }

    @Override public String uid() { return uid; }

    /**
     * Checks the input columns' types and that no appended column exists yet; returns the input schema with the
     * appended columns.
     */
    @Override public StructType transformSchema(StructType schema) {
        if (!isDefined(modelPath)) throw new IllegalArgumentException("LrpExplainer: no model; call setModelPath");
        if (isSet(rules) && isSet(preset)) throw new IllegalArgumentException("LrpExplainer: set either rules or preset, not both");
        requireColumn(schema, getInputCol(), "inputCol", List.of(BinaryType$.MODULE$), "binary (encoded image bytes)");
        if (Target.parse(getTarget()).kind() == Target.Kind.LABEL) {
            requireColumn(schema, getLabelCol(), "labelCol (target is label)", List.of(IntegerType$.MODULE$, ShortType$.MODULE$,
                    ByteType$.MODULE$), "an integer class index");
        }
        StructType out = schema;
        for (StructField f : LrpAudit.appendedFields(getOutputPrefix())) {
            if (Arrays.stream(schema.fieldNames()).anyMatch(n -> n.equalsIgnoreCase(f.name()))) {
                throw new IllegalArgumentException("LrpExplainer: output column '" + f.name() + "' already exists in the input; drop or "
                        + "rename it, or set outputPrefix (e.g. \"lrp_\")");
            }
            out = out.add(f);
        }
        return out;
    }

    private static void requireColumn(StructType schema, String name, String param, List<DataType> types, String what) {
        List<String> names = Arrays.asList(schema.fieldNames());
        if (!names.contains(name)) {
            throw new IllegalArgumentException("LrpExplainer: " + param + " '" + name + "' is not a column of the input (columns: " + names + ")");
        }
        DataType type = schema.apply(name).dataType();
        if (!types.contains(type)) {
            throw new IllegalArgumentException("LrpExplainer: " + param + " '" + name + "' must be " + what + ", but is "
                    + type.simpleString());
        }
    }

    /** Appends the explanation columns (see {@link LrpAudit#appendedFields}); lazy: the model is read now, images when used. */
    @Override public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        ResolvedPlan plan = ResolvedPlan.of(this);
        return LrpAudit.appendExplanations(dataset.toDF(), getInputCol(), plan.labelColumn(), plan,
                new LrpAudit.Options(getBatchSize(), getGridSize(), getMaxPixels()), getOutputPrefix());
    }

    @Override public LrpExplainer copy(ParamMap extra) { return (LrpExplainer) defaultCopy(extra); }

    /** Reads a stage written by {@code write().save(path)}; also what a saved Pipeline's loader calls. */
    public static MLReader<LrpExplainer> read() { return new DefaultParamsReader<>(); }

    public static LrpExplainer load(String path) { return read().load(path); }

    // ---- Params: public accessors are how Spark finds them (Params.params), getters, and setters returning this

    public Param<String> modelPath() { return modelPath; }
    public Param<String> preset() { return preset; }
    public Param<String> rules() { return rules; }
    public Param<String> maxPoolMode() { return maxPoolMode; }
    public Param<String> attention() { return attention; }
    public Param<String> target() { return target; }
    public Param<String> color() { return color; }
    public IntArrayParam imageSize() { return imageSize; }
    public IntParam resizeShorter() { return resizeShorter; }
    public DoubleArrayParam mean() { return mean; }
    public DoubleArrayParam std() { return std; }
    public StringArrayParam classNames() { return classNames; }
    public IntParam batchSize() { return batchSize; }
    public IntParam gridSize() { return gridSize; }
    public LongParam maxPixels() { return maxPixels; }
    public Param<String> inputCol() { return inputCol; }
    public Param<String> labelCol() { return labelCol; }
    public Param<String> outputPrefix() { return outputPrefix; }

    public String getModelPath() { return getOrDefault(modelPath); }
    public String getPreset() { return getOrDefault(preset); }
    public String getRules() { return getOrDefault(rules); }
    public String getMaxPoolMode() { return getOrDefault(maxPoolMode); }
    public String getAttention() { return getOrDefault(attention); }
    public String getTarget() { return getOrDefault(target); }
    public String getColor() { return getOrDefault(color); }
    public int[] getImageSize() { return getOrDefault(imageSize); }
    public int getResizeShorter() { return (Integer) getOrDefault(resizeShorter); }
    public double[] getMean() { return getOrDefault(mean); }
    public double[] getStd() { return getOrDefault(std); }
    public String[] getClassNames() { return getOrDefault(classNames); }
    public int getBatchSize() { return (Integer) getOrDefault(batchSize); }
    public int getGridSize() { return (Integer) getOrDefault(gridSize); }
    public long getMaxPixels() { return (Long) getOrDefault(maxPixels); }
    public String getInputCol() { return getOrDefault(inputCol); }
    public String getLabelCol() { return getOrDefault(labelCol); }
    public String getOutputPrefix() { return getOrDefault(outputPrefix); }

    public LrpExplainer setModelPath(String path) { return checked(modelPath, path); }
    public LrpExplainer setPreset(String name) { return checked(preset, name); }
    public LrpExplainer setRules(String spec) { return checked(rules, spec); }
    public LrpExplainer setMaxPoolMode(String mode) { return checked(maxPoolMode, mode.toLowerCase(Locale.ROOT)); }
    public LrpExplainer setAttention(String rule) { return checked(attention, rule.toLowerCase(Locale.ROOT)); }
    /** "predicted", "label" or a class index. */
    public LrpExplainer setTarget(String t) { return checked(target, t.trim().toLowerCase(Locale.ROOT)); }
    public LrpExplainer setTarget(int classIndex) { return setTarget(String.valueOf(classIndex)); }
    public LrpExplainer setColor(String mode) { return checked(color, mode.toLowerCase(Locale.ROOT)); }
    public LrpExplainer setImageSize(int height, int width) { return checked(imageSize, new int[] {height, width}); }
    public LrpExplainer setResizeShorter(int pixels) { return checked(resizeShorter, pixels); }
    public LrpExplainer setMean(double... values) { return checked(mean, values); }
    public LrpExplainer setStd(double... values) { return checked(std, values); }
    public LrpExplainer setClassNames(String... names) { return checked(classNames, names); }
    public LrpExplainer setBatchSize(int n) { return checked(batchSize, n); }
    public LrpExplainer setGridSize(int cells) { return checked(gridSize, cells); }
    public LrpExplainer setMaxPixels(long pixels) { return checked(maxPixels, pixels); }
    public LrpExplainer setInputCol(String column) { return checked(inputCol, column); }
    public LrpExplainer setLabelCol(String column) { return checked(labelCol, column); }
    public LrpExplainer setOutputPrefix(String prefix) { return checked(outputPrefix, prefix); }

    private <T> LrpExplainer checked(Param<T> param, T value) {
        ParamChecks.set(this, Naming.EXPLAINER_PARAMS, param, value);
        return this;
    }

    /** The appended columns' names, in order, for this stage's outputPrefix. */
    public List<String> outputColumns() {
        List<String> names = new ArrayList<>();
        for (StructField f : LrpAudit.appendedFields(getOutputPrefix())) names.add(f.name());
        return names;
    }
}
