package org.lrpaudit.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.lrpaudit.output.Columns;

/**
 * The image folder listing: sorted, and on a local disk each image once however many symbolic links lead to it
 * (an input holding a link to itself listed its 20 images 41 times).
 */
class InputListingTest extends SparkTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/clever-hans");
    @TempDir static Path tmp;
    static Path in;
    static List<String> classes;
    /** The images a listing must hold, relative to {@code in}, sorted. */
    static List<String> expected = new ArrayList<>();

    /**
     * in/coat and in/trouser hold 3 fixture PNGs each; in/bag is a link to a folder outside the input with one. Links
     * that must not add anything: in/loop -> . (its own parent), in/trouser/up -> .. (a cycle through in/), in/a-coat ->
     * coat (a second link to a class folder, sorting before it), in/coat/zz-again.png -> the first coat image.
     */
    @BeforeAll
    static void tree() throws IOException {
        classes = Files.readAllLines(FIXTURE.resolve("classes.txt")).stream().filter(l -> !l.isBlank()).toList();
        in = tmp.resolve("in");
        for (String cls : List.of("coat", "trouser")) copy(cls, in.resolve(cls), 3);
        copy("bag", tmp.resolve("elsewhere/bag"), 1);
        Files.createSymbolicLink(in.resolve("bag"), Path.of("../elsewhere/bag"));
        Files.createSymbolicLink(in.resolve("loop"), Path.of("."));
        Files.createSymbolicLink(in.resolve("trouser/up"), Path.of(".."));
        Files.createSymbolicLink(in.resolve("a-coat"), Path.of("coat"));
        Files.createSymbolicLink(in.resolve("coat/zz-again.png"), Path.of(expected.get(0).substring("coat/".length())));
        expected.sort(null);
    }

    static void copy(String cls, Path to, int n) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(FIXTURE.resolve("images").resolve(cls))) {
            for (Path f : files.sorted().limit(n).toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
                expected.add(cls + "/" + f.getFileName());
            }
        }
    }

    /** The input's real tree (the class folders, no links) copied to a folder of {@code tmp}. */
    static Path plainCopy(String name) throws IOException {
        Path plain = tmp.resolve(name);
        for (String f : expected) if (!f.startsWith("bag/")) Files.createDirectories(plain.resolve(f).getParent());
        for (String f : expected) if (!f.startsWith("bag/")) Files.copy(in.resolve(f), plain.resolve(f));
        return plain;
    }

    static List<String> walked(String root) throws IOException {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(root);
        Configuration conf = new Configuration();
        conf.set("fs.slowfs.impl", SlowFileSystem.class.getName());
        FileSystem fs = dir.getFileSystem(conf);
        String prefix = fs.makeQualified(dir) + "/";
        List<String> files = new ArrayList<>();
        DatasetSources.walk(fs, dir, f -> files.add(f.getPath().toString().substring(prefix.length())));
        return files;
    }

    @Test
    void eachImageIsListedOnceUnderItsRealFolder() {
        DatasetSources.Source source = DatasetSources.imageFolder(spark, in.toString(), classes);
        assertEquals(expected.size(), source.count());
        List<Row> rows = source.rows().select(Columns.IMAGE_ID, Columns.LABEL_NAME, Columns.READ_ERROR).collectAsList();
        assertEquals(expected, rows.stream().map(r -> r.getString(0)).toList(), "sorted by path, each once");
        for (Row r : rows) {
            assertEquals(r.getString(0).substring(0, r.getString(0).indexOf('/')), r.getString(1));
            assertEquals(null, r.get(2), r.toString());
        }
    }

    /** The walk itself: the real tree first, then the folders reached through links; nothing twice. */
    @Test
    void theLocalWalkFollowsLinksOnce() throws IOException {
        List<String> files = walked(in.toString());
        List<String> tree = expected.stream().filter(f -> !f.startsWith("bag/")).toList();
        assertEquals(tree, files.subList(0, tree.size()));
        assertEquals(expected.stream().filter(f -> f.startsWith("bag/")).toList(), files.subList(tree.size(), files.size()));
    }

    /** Elsewhere the walk goes by path (no link handling), in sorted order too. */
    @Test
    void otherFileSystemsAreWalkedInSortedOrder() throws IOException {
        Path plain = plainCopy("plain");
        List<String> files = walked("slowfs://" + plain);
        assertEquals(expected.stream().filter(f -> !f.startsWith("bag/")).toList(), files);
        assertTrue(files.size() == 6);
    }
    /**
     * The session's Hadoop settings reach the executors' reads (they travel as one broadcast per input): a file system
     * only the session knows, under a scheme of this test alone and not cached, so that a reader without the setting
     * fails with "No FileSystem for scheme".
     */
    @Test
    void theSessionsHadoopSettingsReachTheReaders() throws IOException {
        Path plain = plainCopy("session-fs");
        Configuration session = spark.sparkContext().hadoopConfiguration();
        session.set("fs.sessionfs.impl", SessionFileSystem.class.getName());
        session.setBoolean("fs.sessionfs.impl.disable.cache", true);
        try {
            DatasetSources.Source source = DatasetSources.imageFolder(spark, "sessionfs://" + plain, classes);
            List<Row> rows = source.rows().select(Columns.IMAGE_ID, Columns.READ_ERROR, Columns.CONTENT).collectAsList();
            assertEquals(6, rows.size());
            for (Row r : rows) {
                assertEquals(null, r.get(1), r.getString(0));
                assertTrue(((byte[]) r.get(2)).length > 0, r.getString(0));
            }
        } finally {
            session.unset("fs.sessionfs.impl");
            session.unset("fs.sessionfs.impl.disable.cache");
        }
    }

    /** The local disk under a scheme only {@link #theSessionsHadoopSettingsReachTheReaders} registers. */
    public static class SessionFileSystem extends SlowFileSystem {
        @Override public java.net.URI getUri() { return java.net.URI.create("sessionfs:///"); }

        @Override public String getScheme() { return "sessionfs"; }
    }
}
