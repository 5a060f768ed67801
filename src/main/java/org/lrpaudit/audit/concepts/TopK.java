package org.lrpaudit.audit.concepts;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The k best (score, image) pairs seen, best first: a bounded summary that merges associatively and commutatively,
 * so executors can keep one per channel and Spark can combine them in any order. Ties in score go to the smaller
 * image id, which makes the kept set a function of the input alone, not of the order it arrived in.
 */
public final class TopK implements Serializable {
    private static final long serialVersionUID = 1L;

    /** One kept image: its score, id and the class it was explained for. */
    public record Entry(double score, String imageId, int target) implements Serializable {}

    private final int k;
    private final double[] scores;
    private final String[] ids;
    private final int[] targets;
    private int size;

    public TopK(int k) {
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
        this.k = k;
        this.scores = new double[k];
        this.ids = new String[k];
        this.targets = new int[k];
    }

    public int k() { return k; }

    public int size() { return size; }

    /** Keeps the image if it is among the k best so far; NaN scores are refused (they would break the order). */
    public TopK offer(double score, String imageId, int target) {
        if (Double.isNaN(score)) throw new IllegalArgumentException("NaN score for " + imageId);
        if (size == k && !better(score, imageId, scores[k - 1], ids[k - 1])) return this;
        int at = size == k ? k - 1 : size;
        while (at > 0 && better(score, imageId, scores[at - 1], ids[at - 1])) {
            scores[at] = scores[at - 1];
            ids[at] = ids[at - 1];
            targets[at] = targets[at - 1];
            at--;
        }
        scores[at] = score;
        ids[at] = imageId;
        targets[at] = target;
        if (size < k) size++;
        return this;
    }

    /** Adds other's entries to this one (same k) and returns it: merge(a, merge(b, c)) = merge(merge(a, b), c). */
    public TopK merge(TopK other) {
        if (other.k != k) throw new IllegalArgumentException("merging a top-" + other.k + " into a top-" + k);
        for (int i = 0; i < other.size; i++) offer(other.scores[i], other.ids[i], other.targets[i]);
        return this;
    }

    /** Best first. */
    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) out.add(new Entry(scores[i], ids[i], targets[i]));
        return out;
    }

    private static boolean better(double score, String id, double thanScore, String thanId) {
        return score > thanScore || score == thanScore && id.compareTo(thanId) < 0;
    }

    @Override public String toString() { return "TopK" + k + Arrays.toString(entries().toArray()); }
}
