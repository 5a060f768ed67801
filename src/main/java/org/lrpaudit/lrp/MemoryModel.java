package org.lrpaudit.lrp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.lrpaudit.model.Network;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What an executor holds for one network and rule composite, to size it with. Three parts:
 * <ul>
 *   <li>the model's weights as Java float arrays — the broadcast value, on the heap (Spark also keeps the
 *       broadcast's serialized blocks, about the same size again, in its memory store or on disk);</li>
 *   <li>the engine's ND4J arrays, off-heap, once per executor JVM (tasks share the engine): weights plus what the
 *       rules derive from them (γ's W + γW⁺, α-β's W⁺ and W⁻, z^B's stacked kernels);</li>
 *   <li>per task slot, one engine pass: every array a pass allocates, held in the slot's ND4J workspace for reuse
 *       ({@code -Dlrp.workspaces=false}: freed as the pass goes, a lower peak, more time). A pass holds
 *       {@link #imagesPerPass} images; a larger batch runs as several passes, so the workspace does not grow with
 *       the batch — only the batch's inputs and heatmaps do ({@link #batchBytesPerImage}). A slot's first pass
 *       learns the workspace's size by allocating outside it; glibc keeps that memory in the thread's arena, so a slot
 *       holds about twice the pass ({@code MALLOC_MMAP_THRESHOLD_=1048576} returns it: ResNet-50 at batch 8 went
 *       from 4.4 to 2.7 GB RSS at equal speed, but VGG-16 ran ~10% slower, oneDNN's scratch buffers then being
 *       mapped afresh on every convolution).</li>
 * </ul>
 * The pass figure is measured (one pass over zeros in a fresh thread), not estimated from layer shapes.
 */
public record MemoryModel(long modelBytes, long engineBytes, int imagesPerPass, long passBytes, long batchBytesPerImage) {

    /**
     * The memory of an engine (its network and composite) at a batch size; runs two passes over zeros in a fresh
     * thread to measure the workspace a pass learns.
     */
    public static MemoryModel measure(LrpEngine engine, int batch) {
        Network network = engine.network();
        int perPass = engine.imagesPerPass(Math.max(1, batch));
        long model = 0;
        for (int i = 0; i < network.size(); i++) model += network.layer(i).parameterCount() * Float.BYTES;
        long[] inputShape = network.inputShape();
        long imageFloats = inputShape[0] * inputShape[1] * inputShape[2];
        // per image of a batch: the preprocessed float[], its copy in the stacked batch, the relevance, the heatmap
        // (a channel sum, at most as large) and the images/ row holding it
        long perImage = 5 * imageFloats * Float.BYTES;
        return new MemoryModel(model, engine.heldBytes(), perPass, measurePass(engine, perPass, inputShape), perImage);
    }

    /** Bytes of the workspace one pass of {@code images} learns; -1 when workspaces are off. */
    private static long measurePass(LrpEngine engine, int images, long[] inputShape) {
        if (!EnginePasses.WORKSPACES) return -1;
        // a fresh thread has no workspace yet: the one it learns is this pass's alone
        ExecutorService probe = Executors.newSingleThreadExecutor(r -> new Thread(r, "lrp-memory-probe"));
        try {
            return probe.submit(() -> {
                engine.explain(Nd4j.zeros(DataType.FLOAT, images, inputShape[0], inputShape[1], inputShape[2]));
                engine.explain(Nd4j.zeros(DataType.FLOAT, images, inputShape[0], inputShape[1], inputShape[2])); // sized after the first
                long bytes = Nd4j.getWorkspaceManager()
                        .getWorkspaceForCurrentThread(EnginePasses.WORKSPACE, EnginePasses.WORKSPACE_NAME).getCurrentSize();
                Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
                return bytes;
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (ExecutionException e) {
            throw new IllegalStateException("measuring an engine pass failed: " + e.getCause(), e.getCause());
        } finally {
            probe.shutdown();
        }
    }

    /** Heap bytes the model needs in an executor: the broadcast value and its serialized blocks. */
    public long heapModelBytes() { return 2 * modelBytes; }

    /**
     * Off-heap bytes one task slot adds for batches of {@code batch}: its pass workspace, the learning pass's memory
     * that glibc keeps, and the batch's arrays.
     */
    public long perSlotBytes(int batch) { return 2 * Math.max(0, passBytes) + batch * batchBytesPerImage; }

    /** Human-readable lines for {@code describe} and the logs. */
    public List<String> describe(int batch) {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "model weights   %s as Java arrays (the broadcast, on the heap; its serialized blocks about as much again)",
                size(modelBytes)));
        out.add(String.format(Locale.ROOT, "engine arrays   %s off-heap, once per executor (weights and what the rules derive from them)",
                size(engineBytes)));
        out.add(passBytes < 0
                ? "engine pass     not measured (workspaces are off)"
                : String.format(Locale.ROOT, "engine pass     %s for %d image%s (measured; larger batches run as passes of that size), "
                        + "held twice per task slot: the workspace and what its learning pass left with glibc",
                        size(passBytes), imagesPerPass, imagesPerPass == 1 ? "" : "s"));
        out.add(String.format(Locale.ROOT, "batch arrays    %s per image (input, relevance, heatmap, row): %s per task slot at batch %d",
                size(batchBytesPerImage), size(batch * batchBytesPerImage), batch));
        out.add(String.format(Locale.ROOT, "executor        off-heap %s + %s per task slot (spark.executor.memoryOverhead); heap %s for the model "
                + "+ Spark's own (spark.executor.memory)", size(engineBytes), size(perSlotBytes(batch)), size(heapModelBytes())));
        return out;
    }

    static String size(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.2f GB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.0f MB", bytes / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.0f KB", bytes / 1024.0);
    }
}
