package org.lrpaudit.job;

import java.util.List;
import org.apache.spark.sql.Row;
import org.lrpaudit.audit.ClassAggregates;
import org.lrpaudit.output.Columns;

/** The per-class table printed at the end of a run: the statistics an auditor looks at first. */
public final class ClassSummary {
    private ClassSummary() {}

    public static String render(List<Row> classes) {
        StringBuilder sb = new StringBuilder();
        String fmt = "%-16s %7s %9s %10s %9s %8s %8s  %s%n";
        sb.append(String.format(fmt, "class", "images", "accuracy", "absorbed", "entropy", "border", "R sum", "strongest grid cell"));
        for (Row r : classes) {
            List<Float> grid = r.getList(r.fieldIndex(ClassAggregates.MEAN_GRID));
            int g = (int) Math.round(Math.sqrt(grid.size())), best = 0;
            for (int i = 1; i < grid.size(); i++) if (grid.get(i) > grid.get(best)) best = i;
            Object acc = r.get(r.fieldIndex(ClassAggregates.ACCURACY));
            sb.append(String.format(fmt, r.getString(r.fieldIndex(Columns.TARGET_NAME)), r.getLong(r.fieldIndex(ClassAggregates.COUNT)),
                    acc == null ? "-" : String.format("%.1f%%", 100 * (Double) acc),
                    pct(r, "mean_" + Columns.ABSORBED_SHARE), String.format("%.3f", r.getDouble(r.fieldIndex("mean_" + Columns.ENTROPY))),
                    pct(r, "mean_" + Columns.BORDER_SHARE), String.format("%.2f", r.getDouble(r.fieldIndex("mean_" + Columns.RELEVANCE_SUM))),
                    String.format("row %d col %d of %dx%d: %.0f%% of positive relevance", best / g, best % g, g, g, 100 * grid.get(best))));
        }
        return sb.toString();
    }

    private static String pct(Row r, String column) { return String.format("%.1f%%", 100 * r.getDouble(r.fieldIndex(column))); }
}
