package org.lrpaudit.job;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkEnv;
import org.apache.spark.broadcast.Broadcast;
import org.lrpaudit.lrp.LrpEngine;

/**
 * The ND4J engines of one executor JVM, one per broadcast plan: the broadcast ships plain weight arrays, the first
 * task in a JVM that needs them builds the engine, and later tasks of the same plan reuse it (it is thread-safe).
 *
 * <p>At most {@link #capacity()} engines stay cached, least recently used dropped first. Every transform or job
 * broadcasts a new plan, so without a bound a session that explains with one model after another would keep every
 * engine's native weights on every executor for its lifetime. Not one engine but a few: a Pipeline with two
 * explainers (two models) runs both in the same task, and a bound of one would rebuild an engine per task. An engine
 * that a running task still uses is closed when that task hands it back, never under it.
 */
final class EngineCache {
    /** Spark setting: engines each executor keeps built (default 2). */
    static final String CAPACITY_SETTING = "spark.lrpaudit.cachedEngines";
    static final int DEFAULT_CAPACITY = 2;

    private static final Map<Long, Entry> ENGINES = new LinkedHashMap<>(16, 0.75f, true); // access order: LRU first
    private static int capacity = -1; // read from the Spark settings on first use; tests set it

    private EngineCache() {}

    /** One task's use of an engine: hand it back with {@link #close} (more than once is harmless). */
    static final class Lease implements AutoCloseable {
        private final Entry entry;
        private boolean returned;

        private Lease(Entry entry) { this.entry = entry; }

        LrpEngine engine() { return entry.engine; }

        @Override public void close() {
            synchronized (EngineCache.class) {
                if (returned) return;
                returned = true;
                handBack(entry);
            }
        }
    }

    private static final class Entry {
        volatile LrpEngine engine; // built once, under the entry's lock, outside the cache's
        int users;
        boolean evicted;
    }

    /** The plan's engine, built on first use; the caller must close the lease when its task ends. */
    static Lease acquire(Broadcast<ExplainPlan> plan) {
        Entry entry;
        synchronized (EngineCache.class) {
            entry = ENGINES.computeIfAbsent(plan.id(), id -> new Entry());
            entry.users++;
        }
        try {
            synchronized (entry) { // other plans' tasks are not held up while this engine builds
                if (entry.engine == null) {
                    ExplainPlan p = plan.value();
                    entry.engine = new LrpEngine(p.network(), p.composite(), p.preprocessing().bounds());
                }
            }
        } catch (RuntimeException | Error e) {
            synchronized (EngineCache.class) {
                if (ENGINES.remove(plan.id(), entry)) evict(entry, new ArrayList<>()); // the next task tries again
                handBack(entry);
            }
            throw e;
        }
        List<LrpEngine> idle = new ArrayList<>();
        synchronized (EngineCache.class) {
            evictBeyond(capacity(), idle);
        }
        idle.forEach(LrpEngine::close);
        return new Lease(entry);
    }

    /** Drops a finished plan's engine now (on the driver, which also runs tasks in local mode). */
    static void release(Broadcast<ExplainPlan> plan) {
        List<LrpEngine> idle = new ArrayList<>();
        synchronized (EngineCache.class) {
            Entry e = ENGINES.remove(plan.id());
            if (e != null) evict(e, idle);
        }
        idle.forEach(LrpEngine::close);
    }

    /** Engines built and not yet closed: the cached ones and evicted ones that running tasks still use. */
    static synchronized int liveEngines() { return ENGINES.size() + evictedInUse; }

    /** Native bytes held by the cached engines ({@link LrpEngine#heldBytes}). */
    static synchronized long cachedBytes() {
        long bytes = 0;
        for (Entry e : ENGINES.values()) if (e.engine != null) bytes += e.engine.heldBytes();
        return bytes;
    }

    static synchronized int capacity() {
        if (capacity < 0) {
            SparkEnv env = SparkEnv.get();
            capacity = env == null ? DEFAULT_CAPACITY : env.conf().getInt(CAPACITY_SETTING, DEFAULT_CAPACITY);
            if (capacity < 1) throw new IllegalArgumentException(CAPACITY_SETTING + " must be at least 1, got " + capacity);
        }
        return capacity;
    }

    /** For tests: a capacity, with the cache emptied (its idle engines closed). */
    static void reset(int newCapacity) {
        List<LrpEngine> idle = new ArrayList<>();
        synchronized (EngineCache.class) {
            capacity = newCapacity;
            evictBeyond(0, idle);
        }
        idle.forEach(LrpEngine::close);
    }

    private static int evictedInUse;

    private static void evictBeyond(int keep, List<LrpEngine> idle) {
        Iterator<Entry> lru = ENGINES.values().iterator();
        int excess = ENGINES.size() - keep;
        while (excess-- > 0 && lru.hasNext()) {
            Entry e = lru.next();
            lru.remove();
            evict(e, idle);
        }
    }

    /** An engine that no task uses goes to idle, to be closed; one in use is marked, for its last user to close. */
    private static void evict(Entry e, List<LrpEngine> idle) {
        e.evicted = true;
        if (e.users > 0) evictedInUse++;
        else if (e.engine != null) idle.add(e.engine);
    }

    private static void handBack(Entry e) {
        e.users--;
        if (e.evicted && e.users == 0) {
            evictedInUse--;
            if (e.engine != null) e.engine.close();
        }
    }
}
