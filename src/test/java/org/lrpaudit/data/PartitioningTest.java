package org.lrpaudit.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.lrpaudit.job.SessionSettings;

/** Task sizing: the formula, and Spark's real binaryFile scan cutting a folder into the tasks it asks for. */
class PartitioningTest extends SparkTest {
    @TempDir Path tmp;

    @Test
    void atLeastThreeTasksPerSlotAtMostTwoThousandImagesEach() {
        assertEquals(6, Partitioning.partitions(1_000, 2));
        assertEquals(3, Partitioning.partitions(1_000, 1));
        assertEquals(2, Partitioning.partitions(2, 8), "never more tasks than images");
        assertEquals(500, Partitioning.partitions(1_000_000, 2));
        assertEquals(1, Partitioning.partitions(0, 2));
    }

    /** 400 files of 100 B to 20 KB in two class folders plus a hidden one; Spark's defaults would make ~13 tasks of 30. */
    @Test
    void folderScanMakesTheRequestedTasksAndRestoresTheSession() throws IOException {
        Random random = new Random(3);
        for (int i = 0; i < 400; i++) {
            Path f = tmp.resolve((i % 2 == 0 ? "a" : "b") + "/img" + i + ".png");
            Files.createDirectories(f.getParent());
            Files.write(f, new byte[100 + random.nextInt(20_000)]);
        }
        Files.createDirectories(tmp.resolve(".hidden"));
        Files.write(tmp.resolve(".hidden/x.png"), new byte[10]);
        DatasetSources.Source source = DatasetSources.imageFolder(spark, tmp.toString(), List.of("a", "b"));
        assertEquals(400, source.count(), "hidden folders are not listed");

        int sized;
        try (SessionSettings.Applied applied = SessionSettings.apply(spark, source.scanSettings())) { // Spark cuts tasks when it plans
            sized = source.rows().rdd().getNumPartitions();
            assertEquals(400, source.rows().count());
        }
        int defaults = DatasetSources.imageFolder(spark, tmp.toString(), List.of("a", "b")).rows().rdd().getNumPartitions();
        int wanted = Partitioning.partitions(400, spark.sparkContext().defaultParallelism());
        assertTrue(sized >= wanted - 1 && sized <= wanted, "asked for " + wanted + " tasks, Spark made " + sized);
        assertTrue(defaults > 2 * wanted, "Spark's defaults make " + defaults + " tasks");
        assertFalse(spark.conf().contains(Partitioning.MAX_PARTITION_BYTES), "settings removed when closed");
    }

    @Test
    void settingsTheUserMadeAreLeftAlone() {
        spark.conf().set(Partitioning.OPEN_COST, "12345");
        try (SessionSettings.Applied applied = SessionSettings.apply(spark, Partitioning.fileScan(10, 1000, 100, 2))) {
            assertEquals("12345", spark.conf().get(Partitioning.OPEN_COST));
            assertTrue(spark.conf().contains(Partitioning.MAX_PARTITION_BYTES));
        } finally {
            spark.conf().unset(Partitioning.OPEN_COST);
        }
        assertFalse(spark.conf().contains(Partitioning.MAX_PARTITION_BYTES));
    }
}
