package org.lrpaudit.ml;

import java.util.Arrays;
import java.util.function.Function;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * Params set only after their validator accepts the value. Spark's own message for a rejected value names neither
 * what is allowed nor, for arrays, the value; these name the setting, show the value and quote the Param's doc,
 * which says what it takes.
 */
public final class ParamChecks {
    private ParamChecks() {}

    /** Whether the Param's validator accepts the value. */
    public static <T> boolean accepts(Param<T> param, T value) {
        return Boolean.TRUE.equals(param.isValid().apply(value));
    }

    /** Sets the Param, or throws an error that names it (for {@code naming}), shows the value and quotes the doc. */
    static <T> void set(Params stage, Naming naming, Param<T> param, T value) {
        if (!accepts(param, value)) throw naming.error(naming.of(param.name()) + " " + shown(value) + " is not allowed; " + param.doc());
        stage.set(param, value);
    }

    /** A validator for a String Param: accepted exactly when the parser that resolution uses accepts it. */
    static boolean parses(Function<String, ?> parser, String text) {
        if (text == null) return false;
        try {
            parser.apply(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static String shown(Object value) {
        if (value instanceof int[] a) return Arrays.toString(a);
        if (value instanceof double[] a) return Arrays.toString(a);
        if (value instanceof String[] a) return Arrays.toString(a);
        if (value instanceof String s) return "'" + s + "'";
        return String.valueOf(value);
    }
}
