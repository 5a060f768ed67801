package org.lrpaudit.output;

import java.io.IOException;
import java.io.OutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Files the driver writes itself (the report's page and images, the manifest), on any Hadoop file system. On a local
 * disk they are written with java.nio: Hadoop's local file system sets each new file's permissions by starting a
 * {@code chmod} process (without Hadoop's native library, which Spark's distribution does not ship) and adds a
 * .crc file beside it — two processes per report image, ~1 s of the bundled sample's report phase.
 */
public final class OutputFiles {
    private OutputFiles() {}

    /** Creates (or replaces) a file, making its parent folders. */
    public static OutputStream create(FileSystem fs, Path path) throws IOException {
        if (fs instanceof LocalFileSystem local) {
            java.nio.file.Path file = local.pathToFile(path).toPath();
            java.nio.file.Files.createDirectories(file.getParent());
            return java.nio.file.Files.newOutputStream(file);
        }
        return fs.create(path, true);
    }
}
