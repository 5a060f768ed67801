package org.lrpaudit.model;

/**
 * Where the batch sits in an ONNX tensor's shape. Layers always hold a batch as [N, per-image shape...]; an export may
 * move the batch elsewhere for a while — nn.MultiheadAttention works on [tokens, N, features] and folds the heads into
 * the batch, [N·heads, tokens, d]; Swin folds windows into it. Such a tensor is the same per-image data in another
 * order, as long as no op mixes images: the import follows the batch through Transpose and Reshape and keeps the
 * layers batch-first.
 *
 * @param axis the axis of the ONNX shape that holds the batch
 * @param kind OWN: that axis is the batch alone (size N; it is not part of the per-image shape); MAJOR: the axis is N·m
 *             with the image index outermost (n·m + j); MINOR: it is m·N with the image index innermost (j·N + n). For
 *             MAJOR and MINOR the per-image shape keeps the axis, with size m.
 */
record BatchAxis(int axis, Kind kind) {
    enum Kind { OWN, MAJOR, MINOR }

    /** The usual layout: [N, per-image shape]. */
    static final BatchAxis FIRST = new BatchAxis(0, Kind.OWN);

    int logicalRank(int perImageRank) { return kind == Kind.OWN ? perImageRank + 1 : perImageRank; }

    /** The ONNX shape of a batch of the given size. */
    long[] logical(long[] perImage, long batch) {
        if (kind != Kind.OWN) {
            long[] out = perImage.clone();
            out[axis] *= batch;
            return out;
        }
        long[] out = new long[perImage.length + 1];
        for (int i = 0, j = 0; i < out.length; i++) out[i] = i == axis ? batch : perImage[j++];
        return out;
    }

    /** The per-image axis of an ONNX axis (non-negative), or −1 if that axis holds the batch. */
    int perImageAxis(int logicalAxis) {
        if (logicalAxis == axis) return -1;
        return kind == Kind.OWN && logicalAxis > axis ? logicalAxis - 1 : logicalAxis;
    }

    /** How many per-image elements precede the image index in row-major order: what a reshape must preserve. */
    long outer(long[] perImage) {
        long p = 1;
        for (int i = 0; i < axis; i++) p *= perImage[i];
        return kind == Kind.MINOR ? p * perImage[axis] : p;
    }

    @Override public String toString() {
        return switch (kind) {
            case OWN -> "batch at axis " + axis;
            case MAJOR -> "batch folded into axis " + axis + " (outermost)";
            case MINOR -> "batch folded into axis " + axis + " (innermost)";
        };
    }
}
