package org.lrpaudit.audit.concepts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The bounded top-k behind reference images: brute force agrees, and merge order does not matter. */
class TopKTest {

    /** Scores drawn from a few values so that ties are common: the tie rule is exercised, not just the sort. */
    static List<TopK.Entry> input(Random rnd, int n) {
        List<TopK.Entry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new TopK.Entry(rnd.nextInt(12) - 4 + (rnd.nextBoolean() ? 0.5 : 0), "img-" + rnd.nextInt(1000) + "-" + i, rnd.nextInt(3)));
        return out;
    }

    static List<TopK.Entry> bruteForce(List<TopK.Entry> in, int k) {
        List<TopK.Entry> sorted = new ArrayList<>(in);
        sorted.sort(Comparator.comparingDouble(TopK.Entry::score).reversed().thenComparing(TopK.Entry::imageId));
        return sorted.subList(0, Math.min(k, sorted.size()));
    }

    static TopK of(List<TopK.Entry> in, int k) {
        TopK t = new TopK(k);
        for (TopK.Entry e : in) t.offer(e.score(), e.imageId(), e.target());
        return t;
    }

    @Test
    void equalsABruteForceSort() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int n = rnd.nextInt(40), k = 1 + rnd.nextInt(10);
            List<TopK.Entry> in = input(rnd, n);
            assertEquals(bruteForce(in, k), of(in, k).entries(), "n=" + n + " k=" + k);
        }
    }

    /** Split into parts, summarised separately, merged in shuffled orders and groupings: always the same result. */
    @Test
    void mergeIsAssociativeAndOrderFree() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 200; trial++) {
            int k = 1 + rnd.nextInt(8);
            List<TopK.Entry> in = input(rnd, 5 + rnd.nextInt(60));
            List<TopK.Entry> expected = bruteForce(in, k);
            List<List<TopK.Entry>> parts = new ArrayList<>();
            for (int from = 0; from < in.size(); ) {
                int to = Math.min(in.size(), from + 1 + rnd.nextInt(12));
                parts.add(in.subList(from, to));
                from = to;
            }
            // left fold, right fold and a random pairwise tree over a shuffled order
            TopK left = new TopK(k);
            for (List<TopK.Entry> p : parts) left.merge(of(p, k));
            TopK right = new TopK(k);
            for (int i = parts.size() - 1; i >= 0; i--) right = of(parts.get(i), k).merge(right);
            List<TopK> level = new ArrayList<>();
            for (List<TopK.Entry> p : parts) level.add(of(p, k));
            Collections.shuffle(level, rnd);
            while (level.size() > 1) {
                int i = rnd.nextInt(level.size() - 1);
                level.set(i, level.get(i).merge(level.remove(i + 1)));
            }
            assertEquals(expected, left.entries());
            assertEquals(expected, right.entries());
            assertEquals(expected, level.get(0).entries());
        }
    }

    @Test
    void refusesWhatWouldBreakTheOrder() {
        assertThrows(IllegalArgumentException.class, () -> new TopK(0));
        assertThrows(IllegalArgumentException.class, () -> new TopK(3).offer(Double.NaN, "a", 0));
        assertThrows(IllegalArgumentException.class, () -> new TopK(3).merge(new TopK(4)));
    }
}
