package org.lrpaudit.job;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Wall time per phase of a run, logged as one line and kept in the manifest: where a run's time went. */
final class Phases {
    private final Map<String, Double> seconds = new LinkedHashMap<>();
    private long last = System.nanoTime();

    /** Ends the phase running since the previous mark (or construction) under {@code name}. */
    void mark(String name) {
        long now = System.nanoTime();
        seconds.merge(name, (now - last) / 1e9, Double::sum);
        last = now;
    }

    Map<String, Double> seconds() {
        Map<String, Double> rounded = new LinkedHashMap<>();
        seconds.forEach((k, v) -> rounded.put(k, Math.round(v * 1000) / 1000.0));
        return rounded;
    }

    @Override public String toString() {
        return seconds.entrySet().stream().map(e -> String.format("%s %.2f s", e.getKey(), e.getValue())).collect(Collectors.joining(", "));
    }
}
