package org.lrpaudit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

/** Float-array comparisons with short failure messages (heatmaps have hundreds of values). */
public final class Arrays2 {
    private Arrays2() {}

    /** max |a − b| ≤ relative · max |a|. */
    public static void assertClose(List<Float> a, List<Float> b, double relative, String label) {
        assertEquals(a.size(), b.size(), label + ": sizes");
        double max = 0, err = 0;
        for (int i = 0; i < a.size(); i++) {
            max = Math.max(max, Math.abs(a.get(i)));
            err = Math.max(err, Math.abs(a.get(i) - b.get(i)));
        }
        assertTrue(err <= relative * max, label + ": max difference " + err + " > " + relative + " * " + max);
    }

    public static List<Float> list(float[] a) {
        Float[] boxed = new Float[a.length];
        for (int i = 0; i < a.length; i++) boxed[i] = a[i];
        return List.of(boxed);
    }
}
