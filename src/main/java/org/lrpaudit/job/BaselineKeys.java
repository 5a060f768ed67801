package org.lrpaudit.job;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The images a baseline explained, as a sorted set of 128-bit fingerprints of (image_id, label, content_sha256): 16
 * bytes per image, broadcast to every executor, looked up by binary search. An image's position in the set is its
 * index in {@link BaselineMatches}. A fingerprint that occurs more than once (the baseline holds the same id, label
 * and content twice) is left out, so those images are explained again rather than copied a wrong number of times.
 */
final class BaselineKeys implements Serializable {
    private final long[] hi, lo;

    private BaselineKeys(long[] hi, long[] lo) {
        this.hi = hi;
        this.lo = lo;
    }

    /** The set of the given fingerprints (pairs hi[i], lo[i]; the arrays are reordered), values seen twice left out. */
    static BaselineKeys of(long[] hi, long[] lo) {
        sort(hi, lo, 0, hi.length);
        int n = 0;
        for (int i = 0; i < hi.length; ) {
            int j = i + 1;
            while (j < hi.length && hi[j] == hi[i] && lo[j] == lo[i]) j++;
            if (j == i + 1) { hi[n] = hi[i]; lo[n] = lo[i]; n++; }
            i = j;
        }
        return new BaselineKeys(java.util.Arrays.copyOf(hi, n), java.util.Arrays.copyOf(lo, n));
    }

    int size() { return hi.length; }

    /** The fingerprint's position in the set, or -1. */
    int indexOf(long h, long l) {
        int from = 0, to = hi.length - 1;
        while (from <= to) {
            int mid = (from + to) >>> 1;
            int c = compare(hi[mid], lo[mid], h, l);
            if (c < 0) from = mid + 1;
            else if (c > 0) to = mid - 1;
            else return mid;
        }
        return -1;
    }

    int indexOf(MessageDigest sha256, String imageId, Integer label, String contentSha256) {
        long[] f = fingerprint(sha256, imageId, label, contentSha256);
        return indexOf(f[0], f[1]);
    }

    /**
     * The first 128 bits of SHA-256(image_id, label, content_sha256): two images of different id, label or content
     * share one with probability 2^-128 per pair, so a set of 10M never confuses an image in practice (64 bits would
     * leave ~5e-6 per run of 10M against 10M). The label is part of it because IDX and Parquet inputs can change an
     * image's label without changing its bytes.
     */
    static long[] fingerprint(MessageDigest sha256, String imageId, Integer label, String contentSha256) {
        sha256.reset();
        sha256.update(imageId.getBytes(StandardCharsets.UTF_8));
        sha256.update(label == null ? new byte[] {0} : ByteBuffer.allocate(5).put((byte) 1).putInt(label).array());
        sha256.update(contentSha256.getBytes(StandardCharsets.US_ASCII)); // hex: fixed length, so the fields cannot run into each other
        ByteBuffer digest = ByteBuffer.wrap(sha256.digest());
        return new long[] {digest.getLong(), digest.getLong()};
    }

    private static int compare(long h1, long l1, long h2, long l2) {
        int c = Long.compare(h1, h2);
        return c != 0 ? c : Long.compare(l1, l2);
    }

    /** Quicksort of the pairs in [from, to); the arrays hold hash values, so middle pivots split them evenly. */
    static void sort(long[] hi, long[] lo, int from, int to) {
        while (to - from > 16) {
            int mid = (from + to) >>> 1;
            long ph = hi[mid], pl = lo[mid];
            int i = from, j = to - 1;
            while (i <= j) {
                while (compare(hi[i], lo[i], ph, pl) < 0) i++;
                while (compare(hi[j], lo[j], ph, pl) > 0) j--;
                if (i <= j) swap(hi, lo, i++, j--);
            }
            if (j + 1 - from < to - i) { // recurse into the smaller side: stack depth stays logarithmic
                sort(hi, lo, from, j + 1);
                from = i;
            } else {
                sort(hi, lo, i, to);
                to = j + 1;
            }
        }
        for (int i = from + 1; i < to; i++) {
            for (int j = i; j > from && compare(hi[j - 1], lo[j - 1], hi[j], lo[j]) > 0; j--) swap(hi, lo, j - 1, j);
        }
    }

    private static void swap(long[] hi, long[] lo, int i, int j) {
        long h = hi[i], l = lo[i];
        hi[i] = hi[j]; lo[i] = lo[j];
        hi[j] = h; lo[j] = l;
    }
}
