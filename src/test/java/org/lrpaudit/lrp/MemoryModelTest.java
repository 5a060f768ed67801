package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lrpaudit.Fixtures;
import org.lrpaudit.model.Network;

/** The memory model's parts against what they must be: parameter counts, rule copies, and pass size in images. */
class MemoryModelTest {
    private static final Network CNN = Fixtures.network("cnn");

    private static long parameterBytes() {
        long n = 0;
        for (int i = 0; i < CNN.size(); i++) n += CNN.layer(i).parameterCount();
        return 4 * n;
    }

    private static MemoryModel memory(String rules, int batch) {
        return MemoryModel.measure(new LrpEngine(CNN, Composite.parse(rules, CNN, MaxPoolMode.AVG), Fixtures.bounds("cnn")), batch);
    }

    @Test
    void engineArraysAreTheWeightsPlusWhatTheRulesDerive() {
        MemoryModel zero = memory("0-:zero", 8);
        assertEquals(parameterBytes(), zero.modelBytes());
        assertEquals(parameterBytes(), zero.engineBytes(), "LRP-0 reuses the layer's own weights");
        // α-β keeps W⁺, W⁻, b⁺ and b⁻ besides W and b: three times the parameters, exactly
        assertEquals(3 * parameterBytes(), memory("0-:alpha1beta0", 8).engineBytes());
    }

    @Test
    void passMemoryIsMeasuredAndGrowsWithTheImagesInAPass() {
        MemoryModel m16 = memory("0-:epsilon=0.25", 16), m64 = memory("0-:epsilon=0.25", 64);
        assertEquals(16, m16.imagesPerPass());
        long activationBytes = 0; // every forward activation of a pass is allocated in it: a lower bound
        for (long[] shape : CNN.shapes()) {
            long n = 1;
            for (long d : shape) n *= d;
            activationBytes += 4 * n;
        }
        assertTrue(m16.passBytes() >= 16 * activationBytes, m16.passBytes() + " < " + 16 * activationBytes);
        double ratio = m64.passBytes() / (double) m16.passBytes();
        assertTrue(ratio > 3.5 && ratio < 4.5, "4x the images, " + ratio + "x the pass");
        assertEquals(2 * m64.passBytes() + 64 * m64.batchBytesPerImage(), m64.perSlotBytes(64));
    }
}
