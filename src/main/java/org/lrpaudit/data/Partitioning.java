package org.lrpaudit.data;

/**
 * How many tasks an input is cut into. Each task pays a fixed price (scheduling, a Parquet file opened and committed,
 * ~50–100 ms here) and LRP per image is cheap on small models, so tasks must be large — but not so few that one slot
 * idles while another finishes, nor so large that a failed task retries hours of work. So: at least
 * {@value #TASKS_PER_SLOT} tasks per task slot, at most {@value #IMAGES_PER_TASK} images per task.
 * (Spark's binaryFile defaults for a folder of small images gave one task per ~30 files: 4 MB "open cost" per file
 * against 128 MB partitions; folders are now listed and cut by count on the driver.)
 */
public final class Partitioning {
    static final int TASKS_PER_SLOT = 3;
    static final long IMAGES_PER_TASK = 2_000;

    private Partitioning() {}

    /** Tasks for {@code images} inputs on {@code slots} task slots. */
    public static int partitions(long images, int slots) {
        long balanced = Math.min(images, (long) TASKS_PER_SLOT * Math.max(1, slots));
        long bounded = (images + IMAGES_PER_TASK - 1) / IMAGES_PER_TASK;
        return (int) Math.max(1, Math.min(100_000, Math.max(balanced, bounded)));
    }
}
