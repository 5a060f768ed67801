package org.lrpaudit.job;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Wall time per phase of a run, logged as one line and kept in the manifest: where a run's time went. Also the driver
 * JVM's CPU time per phase: in local mode the executors' too, a figure that other processes on the machine disturb
 * less than wall time (they take cores away, not cycles from the ones the job gets).
 */
final class Phases {
    private final Map<String, Double> seconds = new LinkedHashMap<>(), cpuSeconds = new LinkedHashMap<>();
    private long last = System.nanoTime(), lastCpu = processCpuNanos();

    /** Ends the phase running since the previous mark (or construction) under {@code name}. */
    void mark(String name) {
        long now = System.nanoTime(), cpu = processCpuNanos();
        seconds.merge(name, (now - last) / 1e9, Double::sum);
        cpuSeconds.merge(name, (cpu - lastCpu) / 1e9, Double::sum);
        last = now;
        lastCpu = cpu;
    }

    Map<String, Double> seconds() { return rounded(seconds); }

    /** CPU seconds of this JVM's threads per phase; empty where the JVM does not report them. */
    Map<String, Double> cpuSeconds() { return lastCpu < 0 ? Map.of() : rounded(cpuSeconds); }

    private static Map<String, Double> rounded(Map<String, Double> values) {
        Map<String, Double> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, Math.round(v * 1000) / 1000.0));
        return out;
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }

    @Override public String toString() {
        return seconds.entrySet().stream().map(e -> String.format("%s %.2f s", e.getKey(), e.getValue())).collect(Collectors.joining(", "));
    }
}
