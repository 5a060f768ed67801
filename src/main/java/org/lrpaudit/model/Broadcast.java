package org.lrpaudit.model;

import java.util.Arrays;

/** Constants that combine with an activation by ONNX's (numpy's) broadcasting, per image (no batch axis). */
final class Broadcast {
    private Broadcast() {}

    /**
     * Checks that a constant of shape {@code constant} (already without a leading batch axis of 1) broadcasts onto a
     * per-image activation of shape {@code in} without enlarging it.
     */
    static void check(String name, long[] constant, long[] in) {
        if (constant.length > in.length) {
            throw new IllegalArgumentException(name + ": a constant of shape " + Arrays.toString(constant) + " does not fit a "
                    + Arrays.toString(in) + " activation");
        }
        for (int i = 1; i <= constant.length; i++) {
            long c = constant[constant.length - i], x = in[in.length - i];
            if (c != 1 && c != x) {
                throw new IllegalArgumentException(name + ": a constant of shape " + Arrays.toString(constant) + " does not broadcast onto a "
                        + Arrays.toString(in) + " activation");
            }
        }
    }
}
