package org.lrpaudit.compare;

import java.util.Locale;

/**
 * One comparison check of a class (or of the whole dataset: {@code className} null) between a baseline audit and a
 * current one: the measured value, the baseline's value where the check has one, the thresholds it was judged by,
 * its status and the reason in words.
 */
public record Check(String className, String check, double value, Double baselineValue, double warnAt, double failAt, Status status,
                    String reason) {

    /** Ordered from best to worst, so the worst of several is their maximum. */
    public enum Status {
        PASS, WARN, FAIL;

        public String label() { return name().toLowerCase(Locale.ROOT); }
    }

    /** A check whose value is judged "the higher, the worse": warn at warnAt, fail at failAt. */
    static Check judged(String className, String check, double value, Double baselineValue, Thresholds.Limits limits, String reason) {
        Status status = value >= limits.fail() ? Status.FAIL : value >= limits.warn() ? Status.WARN : Status.PASS;
        return new Check(className, check, value, baselineValue, limits.warn(), limits.fail(), status, reason);
    }

    @Override public String toString() {
        return String.format(Locale.ROOT, "%-4s %-22s %-14s %.3f  %s", status.label(), check, className == null ? "(all)" : className, value, reason);
    }
}
