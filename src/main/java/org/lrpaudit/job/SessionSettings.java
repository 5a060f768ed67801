package org.lrpaudit.job;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;

/**
 * Spark SQL settings the job needs for one action only (scan sizing, the images/ Parquet layout). Spark reads them
 * when the action plans and runs, so the caller holds them open around it; read-backs afterwards see the session as
 * the user left it. A key the user set (spark-submit --conf, spark.conf().set) is never touched.
 */
public final class SessionSettings {
    private SessionSettings() {}

    /** Settings in force until closed. */
    public interface Applied extends AutoCloseable {
        @Override void close();
    }

    public static Applied apply(SparkSession spark, Map<String, String> settings) {
        RuntimeConfig conf = spark.conf();
        Map<String, String> applied = new LinkedHashMap<>();
        for (var e : settings.entrySet()) {
            if (conf.contains(e.getKey())) continue;
            conf.set(e.getKey(), e.getValue());
            applied.put(e.getKey(), e.getValue());
        }
        return () -> applied.keySet().forEach(conf::unset);
    }
}
