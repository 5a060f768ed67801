package org.lrpaudit.lrp;

import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What the Java kernels of the relevance pass share (the stabilised division, the strided depthwise transpose): which
 * arrays they can read as plain float buffers, and how work is split over the threads libnd4j itself is allowed.
 */
final class JavaKernels {
    private JavaKernels() {}

    /** A float array laid out as a dense C-order run of its buffer (a view's offset is allowed). */
    static boolean plainFloat(INDArray a) {
        return a.dataType() == DataType.FLOAT && a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a)
                && (a.offset() + a.length()) * Float.BYTES <= Integer.MAX_VALUE; // a NIO view addresses at most 2 GB
    }

    /**
     * Runs parts 0 ≤ t < parts in contiguous ranges, spread over as many threads as libnd4j's ops use (OMP_NUM_THREADS: one
     * per Spark task slot in the job), so a Java kernel loads the cores no more than the native ops beside it.
     */
    static void parallel(int parts, Range range) {
        int threads = Math.min(parts, Math.max(1, Nd4j.getEnvironment().maxThreads()));
        if (threads <= 1) {
            range.run(0, parts);
            return;
        }
        int per = (parts + threads - 1) / threads;
        IntStream.range(0, threads).parallel().forEach(k -> range.run(k * per, Math.min(parts, (k + 1) * per)));
    }

    /** Parts [from, to) on one thread, which may keep its scratch arrays across them. */
    interface Range {
        void run(int from, int to);
    }
}
