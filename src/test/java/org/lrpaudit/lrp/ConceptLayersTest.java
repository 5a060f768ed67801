package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.lrpaudit.Fixtures;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.model.Conv2d;
import org.lrpaudit.model.Network;

/** --concept-layers: the default, names and indices, and the errors a user sees. */
class ConceptLayersTest {

    @Test
    void autoIsTheLastConvolutionAndNamesOrIndicesSelectLayers() {
        Network net = Fixtures.network("cnn");
        int last = -1;
        for (int l = 0; l < net.size(); l++) if (net.layer(l) instanceof Conv2d) last = l;
        assertTrue(last > 0);
        assertEquals(List.of(last), ConceptLayers.resolve("auto", net));
        assertEquals(List.of(last), ConceptLayers.resolve(" ", net));
        String name = net.layer(last).name();
        assertEquals(List.of(last, 0), ConceptLayers.resolve(name + ", 0", net));
        assertEquals(List.of(name, net.layer(0).name()), ConceptLayers.names(net, List.of(last, 0)));
        // a batch norm folded into a per-channel affine is not "the last convolution"
        Network bn = Fixtures.network("cnn_bn");
        int chosen = ConceptLayers.resolve("auto", bn).get(0);
        assertTrue(bn.layer(chosen) instanceof Conv2d c && !c.isChannelAffine(), bn.layer(chosen).name());
    }

    @Test
    void mistakesNameTheFix() {
        Network net = Fixtures.network("cnn");
        var unknown = assertThrows(IllegalArgumentException.class, () -> ConceptLayers.resolve("no_such_layer", net));
        assertTrue(unknown.getMessage().contains("has no layer 'no_such_layer'") && unknown.getMessage().contains("describe"), unknown.getMessage());
        var three = assertThrows(IllegalArgumentException.class, () -> ConceptLayers.resolve("0,1,2", net));
        assertTrue(three.getMessage().contains("at most 2"), three.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConceptLayers.resolve("0,0", net));
        var mlp = assertThrows(IllegalArgumentException.class, () -> ConceptLayers.resolve("auto", Fixtures.network("mlp")));
        assertTrue(mlp.getMessage().contains("has none; name a layer"), mlp.getMessage());
    }

    /** The option's value is optional: alone, or followed by another option, it means auto. */
    @Test
    void theOptionWithoutAValueMeansAuto() {
        assertEquals("auto", Settings.parse(new String[] {"--concept-layers", "--overwrite"}).get(Settings.Key.CONCEPT_LAYERS));
        assertEquals("auto", Settings.parse(new String[] {"--concept-layers"}).get(Settings.Key.CONCEPT_LAYERS));
        assertEquals("conv1", Settings.parse(new String[] {"--concept-layers", "conv1"}).get(Settings.Key.CONCEPT_LAYERS));
    }
}
