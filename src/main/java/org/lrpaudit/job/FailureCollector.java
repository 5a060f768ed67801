package org.lrpaudit.job;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.util.AccumulatorV2;

/**
 * errors/ rows gathered on the driver while images/ is written, so that the explain result need not be cached for a
 * second pass (for 224×224 heatmaps that cache spills as much to executor disks as images/ holds). Up to {@code cap}
 * rows are kept; past that the collector only counts, and the job writes errors/ by a second pass instead — a run
 * where most images fail must not fill the driver. Spark applies an action's accumulator updates once per task, so
 * retried tasks do not duplicate rows.
 */
final class FailureCollector extends AccumulatorV2<Row, List<Row>> {
    /** Rows of (image_id, source, stage, error) kept on the driver: ~1 KB each. */
    static final int DEFAULT_CAP = 100_000;

    private final int cap;
    private final ArrayList<Row> rows = new ArrayList<>();
    private long dropped;

    FailureCollector(int cap) { this.cap = cap; }

    /** Whether some failures were counted but not kept. */
    boolean overflowed() { return dropped > 0; }

    long count() { return rows.size() + dropped; }

    @Override public boolean isZero() { return rows.isEmpty() && dropped == 0; }

    @Override public FailureCollector copy() {
        FailureCollector c = new FailureCollector(cap);
        c.rows.addAll(rows);
        c.dropped = dropped;
        return c;
    }

    @Override public void reset() {
        rows.clear();
        dropped = 0;
    }

    @Override public void add(Row r) {
        if (rows.size() < cap) rows.add(r);
        else dropped++;
    }

    @Override public void merge(AccumulatorV2<Row, List<Row>> other) {
        FailureCollector o = (FailureCollector) other;
        for (Row r : o.rows) add(r);
        dropped += o.dropped;
    }

    @Override public List<Row> value() { return List.copyOf(rows); }
}
