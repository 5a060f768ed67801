package org.lrpaudit.job;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.spark.broadcast.Broadcast;
import org.lrpaudit.cli.ExplainSetup;
import org.lrpaudit.lrp.LrpEngine;

/**
 * One ND4J engine per executor JVM and broadcast: the broadcast ships plain weight arrays, and the first task in a
 * JVM that needs them builds the engine that every later task of the job reuses (the engine is thread-safe).
 */
final class EngineCache {
    private static final ConcurrentMap<Long, LrpEngine> ENGINES = new ConcurrentHashMap<>();

    private EngineCache() {}

    static LrpEngine get(Broadcast<ExplainSetup> setup) {
        return ENGINES.computeIfAbsent(setup.id(), id -> {
            ExplainSetup s = setup.value();
            return new LrpEngine(s.network(), s.composite(), s.preprocessing().bounds());
        });
    }

    /** Drops the engine of a finished job (called on the driver, which may also have run tasks in local mode). */
    static void release(Broadcast<ExplainSetup> setup) { ENGINES.remove(setup.id()); }
}
