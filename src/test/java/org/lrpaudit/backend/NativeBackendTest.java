package org.lrpaudit.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What the loader reports and the JavaCPP setting it makes before ND4J starts. */
class NativeBackendTest {
    @Test
    void physicalMemoryPollingIsOffUnlessTheUserSetIt() {
        NativeBackend.Info info = NativeBackend.ensureLoaded();
        assertTrue(info.describe().contains("OpenMP threads"), info.describe());
        if ("0".equals(System.getProperty(NativeBackend.MAX_PHYSICAL_PROPERTY))) {
            // the setting reached JavaCPP: no /proc/self/statm read per allocation
            assertEquals(0, org.bytedeco.javacpp.Pointer.maxPhysicalBytes());
        }
    }
}
