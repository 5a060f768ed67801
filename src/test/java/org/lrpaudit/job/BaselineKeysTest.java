package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The baseline's fingerprint set and the matches the explain pass reports, without Spark. */
class BaselineKeysTest {

    @Test
    void everyFingerprintIsFoundOnceAndRepeatedOnesAreLeftOut() {
        Random random = new Random(3);
        int n = 20_000;
        long[] hi = new long[n + 2], lo = new long[n + 2];
        for (int i = 0; i < n; i++) {
            hi[i] = random.nextInt(50) - 25; // many equal high halves: the low half must order them
            lo[i] = random.nextLong();
        }
        hi[n] = hi[n + 1] = 99; // one fingerprint twice
        lo[n] = lo[n + 1] = 7;
        long[] h = hi.clone(), l = lo.clone();
        BaselineKeys keys = BaselineKeys.of(h, l);
        assertEquals(n, keys.size());
        Set<Integer> positions = new HashSet<>();
        for (int i = 0; i < n; i++) {
            int at = keys.indexOf(hi[i], lo[i]);
            assertTrue(at >= 0, "fingerprint " + i + " not found");
            assertTrue(positions.add(at), "two fingerprints at " + at);
        }
        assertEquals(-1, keys.indexOf(99, 7), "a fingerprint the baseline holds twice is not carried");
        assertEquals(-1, keys.indexOf(1000, 0));
    }

    @Test
    void fingerprintsTellIdLabelAndContentApart() throws Exception {
        var sha = java.security.MessageDigest.getInstance("SHA-256");
        String hash = "ab".repeat(32);
        long[] a = BaselineKeys.fingerprint(sha, "x/1.png", 3, hash);
        assertEquals(a[0], BaselineKeys.fingerprint(sha, "x/1.png", 3, hash)[0]);
        assertNotEquals(a[0], BaselineKeys.fingerprint(sha, "x/1.png", 4, hash)[0]);
        assertNotEquals(a[0], BaselineKeys.fingerprint(sha, "x/1.png", null, hash)[0]);
        assertNotEquals(a[0], BaselineKeys.fingerprint(sha, "x/2.png", 3, hash)[0]);
        assertNotEquals(a[0], BaselineKeys.fingerprint(sha, "x/1.png", 3, "cd".repeat(32))[0]);
    }

    /** Task copies merge into one count per baseline image; an image met twice (the input repeats it) is copied twice. */
    @Test
    void matchesMergeWithRepeats() {
        BaselineMatches driver = new BaselineMatches(), task1 = driver.copy(), task2 = driver.copy();
        task1.add(5);
        task1.add(9);
        task2.add(9);
        task2.add(70_000);
        driver.merge(task1);
        driver.merge(task2);
        BaselineMatches.Matched m = driver.value();
        assertEquals(1, m.copies(5));
        assertEquals(2, m.copies(9));
        assertEquals(1, m.copies(70_000));
        assertEquals(0, m.copies(6));
        assertEquals(4, m.total());
    }
}
