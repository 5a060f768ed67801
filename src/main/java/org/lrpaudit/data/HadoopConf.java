package org.lrpaudit.data;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;

/**
 * The driver's Hadoop configuration carried to executors, so that reads there see what the session was given
 * (spark.hadoop.* settings: object-store credentials, endpoints, file system implementations). A Configuration built
 * afresh on an executor knows only the site files on its class path.
 * <p>
 * A reader made by {@link #broadcast} ships it once per executor; one made with the constructor carries it in every
 * task, which then deserialises its ~1,000 properties: ~7 ms of a task that with --baseline and nothing to explain
 * takes ~80 ms (10,000-image IDX, 6 tasks).
 */
final class HadoopConf implements Serializable {
    private final Broadcast<SerializableConfiguration> shared; // null: the configuration travels with each task
    private transient Configuration conf;

    HadoopConf(Configuration conf) {
        this.shared = null;
        this.conf = conf;
    }

    private HadoopConf(Broadcast<SerializableConfiguration> shared) { this.shared = shared; }

    /** A copy of {@code conf} as it is now, broadcast: later changes to the session's configuration do not reach it. */
    static HadoopConf broadcast(SparkContext spark, Configuration conf) {
        return new HadoopConf(JavaSparkContext.fromSparkContext(spark).broadcast(new SerializableConfiguration(new Configuration(conf))));
    }

    Configuration get() {
        if (conf == null) conf = shared.value().value();
        return conf;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        if (shared == null) conf.write(out);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        if (shared != null) return;
        conf = new Configuration(false);
        conf.readFields(in);
    }
}
