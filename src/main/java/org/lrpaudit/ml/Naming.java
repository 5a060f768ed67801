package org.lrpaudit.ml;

import java.util.function.UnaryOperator;

/**
 * How an error names a setting: the Spark ML API by its Param ({@code classNames}), the command line by the flag the
 * user typed ({@code --classes}), so one resolution serves both and each caller reads the names it used.
 *
 * @param context prepended to every message ("LrpExplainer: "; empty on the command line, which adds its own)
 * @param names   a Param's name to the name the caller knows it by
 */
public record Naming(String context, UnaryOperator<String> names) {

    /** The Spark ML API: settings named by their Params. */
    public static final Naming EXPLAINER_PARAMS = new Naming("LrpExplainer: ", UnaryOperator.identity());

    /** The name the caller knows this Param by. */
    public String of(String param) { return names.apply(param); }

    public IllegalArgumentException error(String message) { return new IllegalArgumentException(context + message); }
}
