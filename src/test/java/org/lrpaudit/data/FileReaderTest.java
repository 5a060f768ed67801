package org.lrpaudit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The folder reader on a local disk and on a "remote" file system with read-ahead: order, bytes, labels, errors. */
class FileReaderTest {
    @TempDir Path tmp;

    static Configuration slowConf(long millis) {
        Configuration conf = new Configuration();
        conf.set("fs.slowfs.impl", SlowFileSystem.class.getName());
        conf.setBoolean("fs.slowfs.impl.disable.cache", true);
        conf.setLong("slowfs.open.millis", millis);
        return conf;
    }

    /** 60 files in folders a/ and b/, one of them deleted after listing and one empty; listing rows under {@code scheme}. */
    List<Row> listing(String scheme) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            Path f = tmp.resolve((i % 2 == 0 ? "a" : "b") + "/f" + i + ".png");
            Files.createDirectories(f.getParent());
            byte[] bytes = i == 7 ? new byte[0] : ("image " + i).getBytes();
            Files.write(f, bytes);
            rows.add(RowFactory.create(scheme + f.toAbsolutePath(), (long) bytes.length));
        }
        Files.delete(tmp.resolve("b/f13.png"));
        return rows;
    }

    @ParameterizedTest(name = "{0} read-ahead {1}")
    @CsvSource({"file://, 16", "slowfs://, 16", "slowfs://, 1"})
    void readsEveryListedFileInOrderAndReportsTheBadOnes(String scheme, int readAhead) throws Exception {
        List<Row> listed = listing(scheme);
        FileReader reader = new FileReader(new DatasetSources.FolderRow(scheme + tmp.toAbsolutePath(), List.of("a", "b")),
                new HadoopConf(slowConf(2)), readAhead);
        Iterator<Row> out = reader.call(listed.iterator());
        for (int i = 0; i < 60; i++) {
            assertTrue(out.hasNext(), "row " + i);
            Row r = out.next();
            String folder = i % 2 == 0 ? "a" : "b";
            assertEquals(folder + "/f" + i + ".png", r.getString(0), "listing order kept");
            if (i == 7) {
                assertTrue(r.getString(7).contains("empty file"), r.getString(7));
            } else if (i == 13) {
                assertTrue(r.getString(7).contains("vanished after the input was listed"), r.getString(7));
                assertNull(r.get(2));
            } else {
                assertNull(r.get(7), r.getString(0));
                assertArrayEquals(("image " + i).getBytes(), (byte[]) r.get(2));
                assertEquals(folder.equals("a") ? 0 : 1, r.getInt(3));
            }
        }
        assertTrue(!out.hasNext());
    }

    @Test
    void anEmptyPartitionIsEmpty() throws Exception {
        FileReader reader = new FileReader(new DatasetSources.FolderRow("file:" + tmp, List.of("a")), new HadoopConf(new Configuration()));
        assertTrue(!reader.call(List.<Row>of().iterator()).hasNext());
    }

    /** The driver's settings reach the executor's copy: a Configuration rebuilt from its serialized form. */
    @Test
    void hadoopConfigurationSurvivesSerialization() throws Exception {
        HadoopConf conf = new HadoopConf(slowConf(5));
        var bytes = new java.io.ByteArrayOutputStream();
        try (var out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(conf);
        }
        HadoopConf back;
        try (var in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            back = (HadoopConf) in.readObject();
        }
        assertEquals(SlowFileSystem.class.getName(), back.get().get("fs.slowfs.impl"));
        assertEquals(5, back.get().getLong("slowfs.open.millis", 0));
    }
}
