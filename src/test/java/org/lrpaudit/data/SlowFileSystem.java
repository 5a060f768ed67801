package org.lrpaudit.data;

import java.io.IOException;
import java.net.URI;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local disk under the scheme {@code slowfs://}, each open waiting {@code slowfs.open.millis} first: an object
 * store's time to first byte, for tests and the read-ahead benchmark. Not a LocalFileSystem, so the reader treats it as
 * remote. Register with {@code fs.slowfs.impl}.
 */
public class SlowFileSystem extends RawLocalFileSystem {
    private long millis;

    @Override public void initialize(URI uri, org.apache.hadoop.conf.Configuration conf) throws IOException {
        super.initialize(uri, conf);
        millis = conf.getLong("slowfs.open.millis", 0);
    }

    @Override public URI getUri() { return URI.create("slowfs:///"); }

    @Override public String getScheme() { return "slowfs"; }

    @Override public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
        return super.open(f, bufferSize);
    }
}
