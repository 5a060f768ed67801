package org.lrpaudit.lrp;

import java.util.List;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;

/**
 * How {@link LrpEngine} splits a batch into passes, and the ND4J workspace a pass allocates from. A pass's size bounds
 * the memory it holds; its images share oneDNN's per-call costs.
 */
final class EnginePasses {
    private EnginePasses() {}

    /**
     * Each engine pass allocates from a per-thread ND4J workspace: the first pass learns how much memory a pass needs,
     * later passes reuse that one block instead of asking the allocator (and the kernel, page by page) again.
     * -Dlrp.workspaces=false turns it off.
     */
    static final boolean WORKSPACES = Boolean.parseBoolean(System.getProperty("lrp.workspaces", "true"));
    static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
            .policyAllocation(AllocationPolicy.OVERALLOCATE).overallocationLimit(0.05)
            .policyLearning(LearningPolicy.FIRST_LOOP).policyReset(ResetPolicy.BLOCK_LEFT).policySpill(SpillPolicy.REALLOCATE).build();
    /** The workspace's name: one per thread, shared by every engine that thread runs. */
    static final String WORKSPACE_NAME = "lrp-engine";

    /**
     * Largest activation per engine pass, in bytes. Fewer, larger passes amortise oneDNN's per-call costs: on a 2-core
     * AVX2 EPYC, 64 MB (8 images per pass for MobileNetV2, 5 for VGG-16) against 16 MB ran MobileNetV2 14%, EfficientNet-B0
     * 19% and VGG-16 17% faster per image, ResNet-50 the same (docs/performance.md).
     */
    static final long CHUNK_BYTES = 64L << 20;

    /**
     * Everything one engine pass allocates, estimated as three times the sum of its activations: at most this. 2 GB
     * lets a batch of 8 MobileNetV2 or EfficientNet-B0 images run as one pass (20% faster per image than 3 + 3 + 2 on
     * the machine above); the batch size bounds the rest.
     */
    static final long PASS_BYTES = 2L << 30;

    /**
     * Images per engine pass: as many as keep the largest activation of the pass within {@link #CHUNK_BYTES}, and the
     * whole pass within {@link #PASS_BYTES}. A pass runs in a workspace that learns everything the pass allocates, not
     * only what is live at once: about three times the sum of the activations (ViT-B/16: 266 MB of activations, 730 MB
     * measured per image), which made a batch of 6 ViT images a 4.4 GB workspace.
     */
    static int chunkSize(List<long[]> shapes) {
        long largest = 1, sum = 0;
        for (long[] shape : shapes) {
            long n = 1;
            for (long d : shape) n *= d;
            largest = Math.max(largest, n * Float.BYTES);
            sum += n * Float.BYTES;
        }
        long byLargest = CHUNK_BYTES / largest, byPass = PASS_BYTES / Math.max(1, 3 * sum);
        return (int) Math.max(1, Math.min(4096, Math.min(byLargest, byPass)));
    }

    /** Images per pass for a batch of n: passes of equal size (4 + 4, not 6 + 2), none above the chunk size. */
    static int imagesPerPass(int n, int chunk) {
        int passes = (n + chunk - 1) / chunk;
        return (n + passes - 1) / passes;
    }
}
