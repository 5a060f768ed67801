package org.lrpaudit.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import org.bytedeco.javacpp.Pointer;

/**
 * Peak heap (JVM pools), resident set size, and native memory outside the heap (RSS − committed heap: ND4J's arrays,
 * its native libraries and thread stacks) while a measurement runs.
 */
final class MemoryProbe implements AutoCloseable {
    private final Thread sampler;
    private volatile boolean running = true;
    private volatile long peakOffHeap, peakRss;

    private MemoryProbe() {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) pool.resetPeakUsage();
        sampler = new Thread(() -> {
            while (running) {
                long rss = Pointer.physicalBytes();
                peakRss = Math.max(peakRss, rss);
                peakOffHeap = Math.max(peakOffHeap, rss - Runtime.getRuntime().totalMemory());
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "memory-probe");
        sampler.setDaemon(true);
        sampler.start();
    }

    static MemoryProbe start() { return new MemoryProbe(); }

    /** Peak heap in use: the sum of the heap pools' peaks since start. */
    long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) sum += pool.getPeakUsage().getUsed();
        }
        return sum;
    }

    long peakOffHeap() { return peakOffHeap; }

    long peakRss() { return peakRss; }

    @Override public void close() {
        running = false;
        sampler.interrupt();
    }
}
