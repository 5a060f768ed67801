package org.lrpaudit.data;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;

/**
 * The driver's Hadoop configuration carried to executors, so that reads there see what the session was given
 * (spark.hadoop.* settings: object-store credentials, endpoints, file system implementations). A Configuration built
 * afresh on an executor knows only the site files on its class path.
 */
final class HadoopConf implements Serializable {
    private transient Configuration conf;

    HadoopConf(Configuration conf) { this.conf = conf; }

    Configuration get() { return conf; }

    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        conf.write(out);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        conf = new Configuration(false);
        conf.readFields(in);
    }
}
