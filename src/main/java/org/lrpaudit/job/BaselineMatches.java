package org.lrpaudit.job;

import java.io.Serializable;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.util.AccumulatorV2;

/**
 * Which baseline images the explain pass met unchanged, by their index in {@link BaselineKeys}: the driver learns
 * them while images/ is written, so the input is read once and the baseline rows to copy are known afterwards. A task
 * sends the indices it met (4 bytes each; a bit set would cost every task the whole set's size, since fingerprints
 * scatter), the driver keeps a bit per baseline image plus the rare repeats (an input that holds the same image
 * twice gets its row twice, as a full run would). Spark applies an action's accumulator updates once per task.
 */
final class BaselineMatches extends AccumulatorV2<Integer, BaselineMatches.Matched> {
    /** Per baseline image: how many copies of its row images/ gets. */
    record Matched(BitSet once, Map<Integer, Integer> repeats) implements Serializable {
        int copies(int index) { return once.get(index) ? 1 + repeats.getOrDefault(index, 0) : 0; }

        long total() { return once.cardinality() + repeats.values().stream().mapToLong(Integer::longValue).sum(); }
    }

    private int[] met = new int[16]; // a task's matches, in order
    private int size;
    private final BitSet once = new BitSet(); // merged on the driver
    private final Map<Integer, Integer> repeats = new HashMap<>();

    @Override public boolean isZero() { return size == 0 && once.isEmpty() && repeats.isEmpty(); }

    @Override public BaselineMatches copy() {
        BaselineMatches c = new BaselineMatches();
        c.met = Arrays.copyOf(met, Math.max(16, size));
        c.size = size;
        c.once.or(once);
        c.repeats.putAll(repeats);
        return c;
    }

    @Override public void reset() {
        met = new int[16];
        size = 0;
        once.clear();
        repeats.clear();
    }

    @Override public void add(Integer index) {
        if (size == met.length) met = Arrays.copyOf(met, 2 * size);
        met[size++] = index;
    }

    @Override public void merge(AccumulatorV2<Integer, Matched> other) {
        BaselineMatches o = (BaselineMatches) other;
        for (int i = 0; i < o.size; i++) record(o.met[i], 1);
        for (int i = o.once.nextSetBit(0); i >= 0; i = o.once.nextSetBit(i + 1)) record(i, 1 + o.repeats.getOrDefault(i, 0));
    }

    private void record(int index, int copies) {
        if (!once.get(index)) {
            once.set(index);
            copies--;
        }
        if (copies > 0) repeats.merge(index, copies, Integer::sum);
    }

    @Override public Matched value() {
        BaselineMatches all = new BaselineMatches();
        all.merge(this);
        return new Matched(all.once, Map.copyOf(all.repeats));
    }
}
