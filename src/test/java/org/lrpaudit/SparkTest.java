package org.lrpaudit;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;

/** Tests on real Spark in local mode; one session per JVM, the one the job's getOrCreate() also finds. */
public abstract class SparkTest {
    protected static SparkSession spark;

    @BeforeAll
    static void startSpark() {
        if (spark == null) {
            spark = SparkSession.builder().master("local[2]").appName("lrp-audit-test")
                    .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
                    .config(new java.util.HashMap<String, Object>(org.lrpaudit.job.AuditJob.SESSION_DEFAULTS)).getOrCreate();
        }
    }
}
