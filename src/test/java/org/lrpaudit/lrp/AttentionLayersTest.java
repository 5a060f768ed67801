package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The attention layers' rules on small arrays, against the formulas written out element by element in plain Java. */
class AttentionLayersTest {
    @BeforeAll
    static void backend() { org.lrpaudit.backend.NativeBackend.ensureLoaded(); }

    private static INDArray random(long seed, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.DOUBLE, shape).castTo(DataType.FLOAT);
    }

    @Test
    void specsAndTheCommandLineChooseTheAttentionRule() {
        org.lrpaudit.model.Network vit = org.lrpaudit.model.OnnxImporter.load(java.nio.file.Path.of("src/test/resources/fixtures/blocks/models/vit.onnx"));
        Composite byDefault = Composite.parse("0-:zero", vit, MaxPoolMode.AVG);
        Composite attn = Composite.parse("0-:zero;attention:attn", vit, MaxPoolMode.AVG);
        int attentionLayers = 0;
        for (int i = 0; i < vit.size(); i++) {
            boolean attention = Composite.isAttention(vit.layer(i));
            attentionLayers += attention ? 1 : 0;
            assertEquals(attention ? AttentionRule.CP : null, byDefault.attention(i), vit.layer(i).name());
            assertEquals(attention ? AttentionRule.ATTN : null, attn.attention(i), vit.layer(i).name());
        }
        assertEquals(6, attentionLayers, "2 blocks: QKᵀ, softmax, attention · V");
        assertEquals(attn, Composite.parse(attn.canonicalSpec(), vit, MaxPoolMode.AVG), "the recorded spec reproduces it");
        Composite tutorialAttn = Presets.resolve("tutorial", vit, MaxPoolMode.AVG).withAttention(AttentionRule.ATTN);
        assertEquals(tutorialAttn, Composite.parse(tutorialAttn.canonicalSpec(), vit, MaxPoolMode.AVG), "a preset with attn, recorded");
        assertEquals(byDefault, attn.withAttention(AttentionRule.CP));
    }

    @Test
    void softmaxPassesNothingUnderCpAndTheAttnLrpRuleOtherwise() {
        INDArray x = random(1, 2, 3, 5), r = random(2, 2, 3, 5);
        AttentionLayers.SoftmaxLayer cp = new AttentionLayers.SoftmaxLayer(1, AttentionRule.CP);
        AttentionLayers.SoftmaxLayer attn = new AttentionLayers.SoftmaxLayer(1, AttentionRule.ATTN);
        INDArray s = cp.forward(x);
        assertNull(cp.relevance(x, s, r));
        INDArray got = attn.relevance(x, s, r);
        for (int n = 0; n < 2; n++) {
            for (int i = 0; i < 3; i++) {
                double max = Double.NEGATIVE_INFINITY, total = 0, sumR = 0;
                for (int j = 0; j < 5; j++) max = Math.max(max, x.getDouble(n, i, j));
                for (int j = 0; j < 5; j++) total += Math.exp(x.getDouble(n, i, j) - max);
                for (int j = 0; j < 5; j++) sumR += r.getDouble(n, i, j);
                for (int j = 0; j < 5; j++) {
                    double sj = Math.exp(x.getDouble(n, i, j) - max) / total;
                    assertEquals(sj, s.getDouble(n, i, j), 1e-6);
                    assertEquals(x.getDouble(n, i, j) * (r.getDouble(n, i, j) - sj * sumR), got.getDouble(n, i, j), 1e-5);
                }
            }
        }
    }

    @Test
    void productOfActivationsSplitsOrPassesToTheValues() {
        INDArray a = random(3, 2, 4, 3), b = random(4, 2, 3, 5), r = random(5, 2, 4, 5);
        AttentionLayers.MatMulLayer half = new AttentionLayers.MatMulLayer(-1, AttentionRule.CP);
        AttentionLayers.MatMulLayer values = new AttentionLayers.MatMulLayer(0, AttentionRule.CP);
        AttentionLayers.MatMulLayer attn = new AttentionLayers.MatMulLayer(0, AttentionRule.ATTN);
        INDArray z = half.forward(new INDArray[] {a, b});
        INDArray[] split = half.relevance(new INDArray[] {a, b}, z, r), toValues = values.relevance(new INDArray[] {a, b}, z, r);
        INDArray[] attnSplit = attn.relevance(new INDArray[] {a, b}, z, r);
        assertNull(toValues[0]);
        for (int n = 0; n < 2; n++) {
            for (int k = 0; k < 3; k++) {
                for (int i = 0; i < 4; i++) { // R_A[i,k] = ½ Σ_j a_ik b_kj r_ij / z_ij
                    double ra = 0;
                    for (int j = 0; j < 5; j++) ra += a.getDouble(n, i, k) * b.getDouble(n, k, j) * r.getDouble(n, i, j) / z.getDouble(n, i, j);
                    assertEquals(ra / 2, split[0].getDouble(n, i, k), 1e-3 * Math.max(1, Math.abs(ra)));
                    assertEquals(ra / 2, attnSplit[0].getDouble(n, i, k), 1e-3 * Math.max(1, Math.abs(ra)));
                }
                for (int j = 0; j < 5; j++) { // R_B[k,j] = Σ_i a_ik b_kj r_ij / z_ij (all of it under CP, half when split)
                    double rb = 0;
                    for (int i = 0; i < 4; i++) rb += a.getDouble(n, i, k) * b.getDouble(n, k, j) * r.getDouble(n, i, j) / z.getDouble(n, i, j);
                    assertEquals(rb, toValues[1].getDouble(n, k, j), 1e-3 * Math.max(1, Math.abs(rb)));
                    assertEquals(rb / 2, split[1].getDouble(n, k, j), 1e-3 * Math.max(1, Math.abs(rb)));
                }
            }
        }
        double total = r.sumNumber().doubleValue();
        assertEquals(total, split[0].sumNumber().doubleValue() + split[1].sumNumber().doubleValue(), 1e-3 * Math.abs(total) + 1e-3);
    }
}
