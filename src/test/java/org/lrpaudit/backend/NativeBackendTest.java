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

    @Test
    void reportsTheOpenMpWaitPolicyTheJvmStartedWith() {
        // the build starts test JVMs with OMP_WAIT_POLICY=passive, as scripts/lrp-audit starts the job
        assertEquals("passive", System.getenv("OMP_WAIT_POLICY"));
        assertEquals("passive", NativeBackend.ensureLoaded().ompWaitPolicy());
        assertTrue(NativeBackend.ensureLoaded().describe().contains("wait policy passive"));
    }
}
