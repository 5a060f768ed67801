package org.lrpaudit.data;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How many tasks an input is cut into. Each task pays a fixed price (scheduling, a Parquet file opened and committed,
 * ~50–100 ms here) and LRP per image is cheap on small models, so tasks must be large — but not so few that one slot
 * idles while another finishes, nor so large that a failed task retries hours of work. So: at least
 * {@value #TASKS_PER_SLOT} tasks per task slot, at most {@value #IMAGES_PER_TASK} images per task.
 * (Spark's defaults for a folder of small images gave one task per ~30 files: 4 MB "open cost" per file against
 * 128 MB partitions.) The job applies {@link #fileScan} settings with {@code job.SessionSettings} around its input scan.
 */
public final class Partitioning {
    static final int TASKS_PER_SLOT = 3;
    static final long IMAGES_PER_TASK = 2_000;
    static final String MAX_PARTITION_BYTES = "spark.sql.files.maxPartitionBytes", OPEN_COST = "spark.sql.files.openCostInBytes";

    private Partitioning() {}

    /** Tasks for {@code images} inputs on {@code slots} task slots. */
    public static int partitions(long images, int slots) {
        long balanced = Math.min(images, (long) TASKS_PER_SLOT * Math.max(1, slots));
        long bounded = (images + IMAGES_PER_TASK - 1) / IMAGES_PER_TASK;
        return (int) Math.max(1, Math.min(100_000, Math.max(balanced, bounded)));
    }

    /**
     * Spark file-scan settings that pack {@code files} files of {@code bytes} in all into about {@code partitions}
     * tasks: each file is costed at its length plus the mean length (so counts matter as much as sizes), and a task
     * holds 1/partitions of that total plus the largest file (Spark packs files greedily; without the slack the last
     * few files spill into one more, tiny task).
     */
    static Map<String, String> fileScan(long files, long bytes, long largest, int partitions) {
        long openCost = Math.max(1, bytes / Math.max(1, files));
        long total = bytes + files * openCost;
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put(MAX_PARTITION_BYTES, String.valueOf(Math.max(1, (total + partitions - 1) / partitions + largest + openCost)));
        conf.put(OPEN_COST, String.valueOf(openCost));
        return conf;
    }
}
