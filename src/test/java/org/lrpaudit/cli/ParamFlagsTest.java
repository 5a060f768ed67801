package org.lrpaudit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.lrpaudit.TestImages;
import org.lrpaudit.cli.Settings.Key;
import org.lrpaudit.job.ExplainSetup;
import org.lrpaudit.lrp.LayerTable;
import org.lrpaudit.ml.LrpExplainer;
import org.lrpaudit.ml.Naming;
import org.lrpaudit.ml.SetupResolution;
import org.lrpaudit.ml.SprayAudit;

/** The command line as a thin layer over the Spark ML Params: one resolution, one set of help texts, errors in the caller's names. */
class ParamFlagsTest {
    static final String MODEL = TestImages.SAMPLE.resolve("model.onnx").toString();
    static final String CLASSES = TestImages.SAMPLE.resolve("classes.txt").toString();

    static Settings flags(String... args) { return Settings.parse(args); }

    /** Every defined Param's value as JSON, by name: two stages set alike compare equal. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Map<String, String> paramValues(Params stage) {
        Map<String, String> out = new TreeMap<>();
        for (Param p : stage.params()) {
            if (stage.isDefined(p)) out.put(p.name() + (stage.isSet(p) ? "" : " (default)"), p.jsonEncode(stage.getOrDefault(p)));
        }
        return out;
    }

    static void assertSameSetup(ExplainSetup expected, ExplainSetup actual) {
        assertEquals(expected.modelPath(), actual.modelPath());
        assertEquals(expected.composite().toString(), actual.composite().toString());
        assertEquals(LayerTable.render(expected.network(), expected.composite()), LayerTable.render(actual.network(), actual.composite()));
        assertEquals(expected.preprocessing().toString(), actual.preprocessing().toString());
        assertArrayEquals(expected.preprocessing().shape(), actual.preprocessing().shape());
        assertArrayEquals(expected.preprocessing().mean(), actual.preprocessing().mean());
        assertArrayEquals(expected.preprocessing().std(), actual.preprocessing().std());
        assertEquals(expected.preprocessing().resizeShorter(), actual.preprocessing().resizeShorter());
        assertEquals(expected.classNames(), actual.classNames());
        assertEquals(expected.target(), actual.target());
    }

    @Test
    void theCommandLineAndTheApiResolveTheSameSetup() {
        Settings s = flags("--model", MODEL, "--preset", "epsilon-plus", "--maxpool", "wta", "--color", "gray", "--size", "28x28",
                "--resize", "32", "--mean", "0.286", "--std", "0.353", "--classes", CLASSES, "--target", "3", "--batch-size", "7",
                "--grid", "2", "--max-pixels", "5000000");
        LrpExplainer api = new LrpExplainer().setModelPath(MODEL).setPreset("epsilon-plus").setMaxPoolMode("wta").setColor("gray")
                .setImageSize(28, 28).setResizeShorter(32).setMean(0.286).setStd(0.353)
                .setClassNames(TestImages.classNames().toArray(new String[0])).setTarget(3).setBatchSize(7).setGridSize(2).setMaxPixels(5_000_000);
        LrpExplainer fromFlags = Requests.explainer(s);
        assertEquals(paramValues(api), paramValues(fromFlags));
        ExplainSetup cli = Requests.explainSetup(s), viaApi = SetupResolution.of(api, Naming.EXPLAINER_PARAMS);
        assertSameSetup(viaApi, cli);
        assertEquals("preset epsilon-plus", cli.composite().toString().split(" = ")[0]);
        assertEquals("3", cli.target().toString());

        // the bundled sample's configuration and the API test's explainer (defaults on both sides), and a rule spec
        assertSameSetup(SetupResolution.of(new LrpExplainer().setModelPath(MODEL).setColor("gray").setMean(0.286).setStd(0.353)
                .setClassNames(TestImages.classNames().toArray(new String[0])).setPreset("tutorial"), Naming.EXPLAINER_PARAMS),
                Requests.explainSetup(flags("--config", TestImages.SAMPLE_CONFIG)));
        String spec = "0:zb;1-:epsilon=0.25";
        assertSameSetup(SetupResolution.of(new LrpExplainer().setModelPath(MODEL).setRules(spec).setTarget("label"), Naming.EXPLAINER_PARAMS),
                Requests.explainSetup(flags("--model", MODEL, "--rules", spec, "--target", "label")));
    }

    @Test
    void sprayFlagsSetTheSprayAuditsParams() {
        Settings s = flags("--spray-size", "8", "--spray-normalisation", "positive", "--spray-neighbours", "5", "--spray-max-clusters", "4",
                "--spray-cell-size", "512");
        SprayAudit api = new SprayAudit().setVectorSize(8).setNormalisation("positive").setNeighbours(5).setMaxClusters(4).setCellSize(512);
        assertEquals(paramValues(api), paramValues(ParamFlags.spray(s)));
        assertEquals(api.options(), ParamFlags.spray(s).options());
        assertEquals(new SprayAudit().options(), ParamFlags.spray(flags()).options()); // the same defaults
    }

    static String message(Executable call) { return assertThrows(IllegalArgumentException.class, call).getMessage(); }

    static String cliError(String... args) {
        List<String> all = new ArrayList<>(List.of("--config", TestImages.SAMPLE_CONFIG));
        all.addAll(List.of(args));
        return message(() -> Requests.explainSetup(flags(all.toArray(new String[0]))));
    }

    static String apiError(Executable call) {
        String m = message(call);
        assertFalse(m.contains("--"), "an API error names Params, not flags: " + m);
        return m;
    }

    @Test
    void commandLineErrorsNameTheFlagTheValueAndWhatItTakes() {
        String preset = new LrpExplainer().preset().doc();
        assertEquals("--preset NAME: 'epsilon' is not allowed; " + preset, cliError("--preset", "epsilon"));
        assertEquals("--size HxW: '0x5' is not allowed; " + new LrpExplainer().imageSize().doc(), cliError("--size", "0x5"));
        assertEquals("--size needs HxW, e.g. 224x224, got '28'", cliError("--size", "28"));
        assertTrue(cliError("--size", "32x32").endsWith("takes [1, 28, 28]; set --color and --size to match"));
        assertEquals("--classes names 3 classes but the model has 10 outputs", cliError("--classes", "a,b,c"));
        String duplicates = cliError("--classes", "a,b,c,d,e,f,g,h,i,a");
        assertTrue(duplicates.startsWith("--classes FILE|a,b,c: 'a,b,c,d,e,f,g,h,i,a' is not allowed; class names in output order"), duplicates);
        assertTrue(duplicates.contains("no duplicates"), duplicates);
        assertTrue(cliError("--target", "10").startsWith("--target 10 is not a class of"));
        assertTrue(cliError("--mean", "0.1,0.2").startsWith("--mean needs 1 or 1 values"));
        assertTrue(cliError("--batch-size", "0").startsWith("--batch-size N: '0' is not allowed; images per engine call"));
        assertTrue(message(() -> ParamFlags.spray(flags("--spray-max-clusters", "1")))
                .startsWith("--spray-max-clusters K: '1' is not allowed; the eigengap picks 2..K clusters per class, K at least 2"));
        for (String m : List.of(cliError("--size", "32x32"), cliError("--classes", "a,b,c"), cliError("--preset", "x"))) {
            assertFalse(m.contains("imageSize") || m.contains("classNames") || m.contains("LrpExplainer"), "a CLI error names flags: " + m);
        }
    }

    @Test
    void apiErrorsNameTheParam() {
        String preset = new LrpExplainer().preset().doc();
        assertEquals("LrpExplainer: preset 'epsilon' is not allowed; " + preset, apiError(() -> new LrpExplainer().setPreset("epsilon")));
        assertEquals("LrpExplainer: imageSize [0, 5] is not allowed; " + new LrpExplainer().imageSize().doc(),
                apiError(() -> new LrpExplainer().setImageSize(0, 5)));
        LrpExplainer sample = new LrpExplainer().setModelPath(MODEL).setColor("gray");
        assertTrue(apiError(() -> SetupResolution.of(sample.copy(new org.apache.spark.ml.param.ParamMap()).setImageSize(32, 32),
                Naming.EXPLAINER_PARAMS)).endsWith("takes [1, 28, 28]; set color and imageSize to match"));
        assertEquals("LrpExplainer: classNames names 3 classes but the model has 10 outputs",
                apiError(() -> SetupResolution.of(sample.copy(new org.apache.spark.ml.param.ParamMap()).setClassNames("a", "b", "c"),
                        Naming.EXPLAINER_PARAMS)));
        assertTrue(apiError(() -> new LrpExplainer().setClassNames("a", "a")).startsWith("LrpExplainer: classNames [a, a] is not allowed; "));
        assertTrue(apiError(() -> new SprayAudit().setMaxClusters(1)).startsWith("SprayAudit: maxClusters 1 is not allowed; the eigengap"));
    }

    @Test
    void aFlagThatSetsAParamShowsThatParamsDoc() {
        List<String> usage = Arrays.asList(Settings.usage().split("\n"));
        LrpExplainer explainer = new LrpExplainer();
        SprayAudit spray = new SprayAudit();
        assertTrue(usage.contains(String.format("  --%-12s %-22s %s", "preset", "NAME", explainer.preset().doc())), Settings.usage());
        assertTrue(usage.contains(String.format("  --%-12s %-22s %s", "size", "HxW", explainer.imageSize().doc())));
        assertTrue(usage.contains(String.format("  --%-12s %-22s %s", "classes", "FILE|a,b,c", explainer.classNames().doc()
                + "; a file has one per line")));
        assertTrue(usage.contains(String.format("  --%-12s %-22s %s", "spray-size", "N", "SpRAy: " + spray.vectorSize().doc())));
        int mapped = 0;
        for (Key k : Key.values()) {
            assertFalse(k.help().isBlank(), k.name);
            assertTrue(usage.contains(Settings.usageLine(k)), k.name);
            if (k.param == null) continue;
            mapped++;
            Params stage = k.param.stage() == ParamFlags.Stage.EXPLAINER ? explainer : spray;
            assertTrue(k.help().contains(stage.getParam(k.param.param()).doc()), k.name);
        }
        assertEquals(20, mapped, "flags that set a Param");
    }
}
