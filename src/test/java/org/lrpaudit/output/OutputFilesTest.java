package org.lrpaudit.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputFilesTest {
    @TempDir java.nio.file.Path tmp;

    private static void write(FileSystem fs, Path p, String text) throws IOException {
        try (OutputStream out = OutputFiles.create(fs, p)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private long files(java.nio.file.Path dir) throws IOException {
        try (Stream<java.nio.file.Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    /** Local disk: parent folders made, the file replaced on a second write, no .crc beside it; readable through Hadoop. */
    @Test
    void localFilesAreWrittenDirectly() throws IOException {
        FileSystem fs = FileSystem.getLocal(new Configuration());
        Path file = new Path(tmp.toUri().toString(), "report/img/a.png");
        write(fs, file, "first, longer");
        write(fs, file, "second");
        assertArrayEquals("second".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(tmp.resolve("report/img/a.png")));
        assertEquals(1, files(tmp), "no checksum file beside it");
        try (var in = fs.open(file)) {
            assertEquals("second", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** Any other file system (here Hadoop's raw local one, standing in for HDFS or S3) is written through Hadoop. */
    @Test
    void otherFileSystemsGoThroughHadoop() throws IOException {
        RawLocalFileSystem raw = new RawLocalFileSystem();
        raw.initialize(java.net.URI.create("file:///"), new Configuration());
        Path file = new Path(tmp.toUri().toString(), "m/_manifest.json");
        write(raw, file, "{}");
        write(raw, file, "{\"a\":1}");
        assertEquals("{\"a\":1}", Files.readString(tmp.resolve("m/_manifest.json")));
    }
}
