package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lrpaudit.Fixtures;
import org.lrpaudit.model.Network;

class CompositeTest {
    final Network cnn = Fixtures.network("cnn"); // 0 conv,1 relu,2 maxpool,3 conv,4 relu,5 maxpool,6 flatten,7 dense,8 relu,9 dense

    @Test
    void specAssignsRulesByIndexRange() {
        Composite c = Composite.parse("0:zb;1-5:gamma=0.25;7-:epsilon=0.1;2:wta", cnn, MaxPoolMode.AVG);
        assertEquals(new Rule.ZBox(null, null), c.rule(0));
        assertEquals(new Rule.Gamma(0.25), c.rule(3));
        assertEquals(new Rule.Epsilon(0.1), c.rule(7));
        assertEquals(new Rule.Epsilon(0.1), c.rule(9));
        assertEquals(MaxPoolMode.WTA, c.poolMode(2));
        assertEquals(MaxPoolMode.AVG, c.poolMode(5));
        assertEquals(null, c.rule(1));
        assertEquals("0:zb;2:wta;3:gamma=0.25;5:avg;7:epsilon=0.1;9:epsilon=0.1", c.canonicalSpec());
        assertEquals(c, Composite.parse(c.canonicalSpec(), cnn, MaxPoolMode.AVG));
    }

    /** Selectors by type and position; a later term overrides an earlier one. */
    @Test
    void specSelectsLayersByTypeAndPosition() {
        Composite c = Composite.parse("conv:gamma=0.25;dense:epsilon=0.25;first:zb;last:zero", cnn, MaxPoolMode.AVG);
        assertEquals(new Rule.ZBox(null, null), c.rule(0));
        assertEquals(new Rule.Gamma(0.25), c.rule(3));
        assertEquals(new Rule.Epsilon(0.25), c.rule(7));
        assertEquals(new Rule.Zero(), c.rule(9));
        assertMessage("pool:zero", "nor conv, dense, first or last");
    }

    @Test
    void uncoveredLayersGetLrpZero() {
        Composite c = Composite.parse("0:zb", cnn, MaxPoolMode.AVG);
        assertEquals(new Rule.Zero(), c.rule(3));
        assertEquals(new Rule.Zero(), c.rule(9));
    }

    @Test
    void badSpecsAreClearErrors() {
        assertMessage("0:bogus", "unknown rule 'bogus'");
        assertMessage("0-40:zero", "outside the network's layers 0-9");
        assertMessage("1:zero", "names no conv or dense layer");
        assertMessage("0:wta", "names no max-pool layer");
        assertMessage("zero", "has no ':'");
        assertMessage("a-b:zero", "not an index range");
        assertMessage("0:gamma", "needs a value");
        assertMessage("0:epsilon=-1", "positive");
        assertMessage("0:zb=1,0", "low < high");
    }

    private void assertMessage(String spec, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Composite.parse(spec, cnn, MaxPoolMode.AVG));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertTrue(e.getMessage().contains("Syntax"), e.getMessage());
    }

    @Test
    void tutorialPresetSplitsConvolutionsLowerGammaUpperEpsilon() {
        Composite c = Presets.resolve("tutorial", cnn, MaxPoolMode.AVG);
        assertEquals(new Rule.ZBox(null, null), c.rule(0));
        assertEquals(new Rule.Epsilon(0.25), c.rule(3)); // 2 convs: the first ceil(2/2)=1 gets gamma (then zb), the other epsilon
        assertEquals(new Rule.Zero(), c.rule(7));
        assertThrows(IllegalArgumentException.class, () -> Presets.resolve("nope", cnn, MaxPoolMode.AVG));
    }

    @Test
    void describeTableShowsEveryLayerAndItsRule() {
        String table = LayerTable.render(cnn, Presets.resolve("tutorial", cnn, MaxPoolMode.AVG));
        assertTrue(table.contains("gamma=0.25") || table.contains("zb"), table);
        assertEquals(cnn.size() + 4, table.lines().count() - cnn.notes().size(), table);
        assertTrue(table.contains("avg (max as average)"), table);
    }
}
