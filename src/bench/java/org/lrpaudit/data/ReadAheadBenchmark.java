package org.lrpaudit.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The folder reader against an object store's latency: N small files on {@link SlowFileSystem} (each open waits
 * --latency-ms, as a first byte from S3 or GCS would), read one at a time and with read-ahead, alternating rounds.
 * Prints files/s and the ratio. Run: scripts/benchmark read-ahead [--files 400 --latency-ms 10 --rounds 3]
 */
public final class ReadAheadBenchmark {
    public static void main(String[] args) throws Exception {
        int files = 400, latency = 10, rounds = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--files" -> files = Integer.parseInt(args[++i]);
                case "--latency-ms" -> latency = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--suite" -> i++;
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use --files N --latency-ms L --rounds R");
            }
        }
        Path dir = Files.createTempDirectory("lrp-read-ahead");
        List<Row> listing = new ArrayList<>();
        byte[] png = new byte[400];
        for (int i = 0; i < files; i++) {
            Path f = dir.resolve("c/f" + i + ".png");
            Files.createDirectories(f.getParent());
            Files.write(f, png);
            listing.add(RowFactory.create("slowfs://" + f.toAbsolutePath(), (long) png.length));
        }
        HadoopConf conf = new HadoopConf(FileReaderTest.slowConf(latency));
        DatasetSources.FolderRow toRow = new DatasetSources.FolderRow("slowfs://" + dir.toAbsolutePath(), List.of("c"));
        System.out.printf(Locale.ROOT, "%d files, %d ms per open%n%12s %14s %14s%n", files, latency, "round", "one at a time",
                "read-ahead " + FileReader.READ_AHEAD);
        List<Double> one = new ArrayList<>(), ahead = new ArrayList<>();
        for (int round = 0; round <= rounds; round++) { // round 0 warms up
            double a = seconds(new FileReader(toRow, conf, 1), listing), b = seconds(new FileReader(toRow, conf, FileReader.READ_AHEAD), listing);
            System.out.printf(Locale.ROOT, "%12s %11.0f/s %11.0f/s%n", round == 0 ? "warm-up" : String.valueOf(round), files / a, files / b);
            if (round > 0) {
                one.add(a);
                ahead.add(b);
            }
        }
        one.sort(null);
        ahead.sort(null);
        double m1 = one.get(one.size() / 2), m2 = ahead.get(ahead.size() / 2);
        System.out.printf(Locale.ROOT, "median: %.0f files/s one at a time, %.0f files/s with read-ahead: %.1fx%n", files / m1, files / m2, m1 / m2);
    }

    private static double seconds(FileReader reader, List<Row> listing) throws Exception {
        long t0 = System.nanoTime();
        Iterator<Row> rows = reader.call(listing.iterator());
        int n = 0;
        while (rows.hasNext()) if (rows.next().get(7) == null) n++;
        if (n != listing.size()) throw new IllegalStateException(n + " of " + listing.size() + " files read");
        return (System.nanoTime() - t0) / 1e9;
    }
}
