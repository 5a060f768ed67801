package org.lrpaudit.compare;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether two audits measure the same thing: the same class list, input geometry and preprocessing, the same rules
 * and explained target. The model and the images may differ — that is what a comparison is for — and are listed as
 * differences.
 */
record Comparability(List<String> problems, List<String> differences) {

    boolean comparable() { return problems.isEmpty(); }

    static Comparability of(AuditOutput baseline, AuditOutput current, int[] baselineGeometry, int[] currentGeometry) {
        List<String> problems = new ArrayList<>(), differences = new ArrayList<>();
        same(problems, baseline, current, "/model/classes", "class list");
        if (baselineGeometry[0] != currentGeometry[0] || baselineGeometry[1] != currentGeometry[1]) {
            problems.add("heatmaps differ in size: " + baselineGeometry[0] + "x" + baselineGeometry[1] + " in the baseline, " + currentGeometry[0] + "x"
                    + currentGeometry[1] + " now");
        }
        same(problems, baseline, current, "/configuration/preprocessing", "preprocessing");
        same(problems, baseline, current, "/configuration/target", "explained target (--target)");
        // the same network: the rule of every layer must agree; another network: the same preset or spec, pooling and attention options
        boolean sameLayers = baseline.manifest().at("/configuration/layers").size() == current.manifest().at("/configuration/layers").size();
        if (sameLayers) same(problems, baseline, current, "/configuration/rules", "rules (layer by layer)");
        else {
            same(problems, baseline, current, "/configuration/rules_source", "rules");
            same(problems, baseline, current, "/settings/maxpool", "max-pooling rule (--maxpool)");
            same(problems, baseline, current, "/settings/attention", "attention rule (--attention)");
        }
        differ(differences, baseline, current, "/model/sha256", "model (SHA-256)");
        if (!sameLayers) differences.add("network: " + baseline.manifest().at("/configuration/layers").size() + " layers in the baseline, "
                + current.manifest().at("/configuration/layers").size() + " now");
        differ(differences, baseline, current, "/input/path", "input");
        differ(differences, baseline, current, "/counts", "counts");
        differ(differences, baseline, current, "/versions/lrp_audit", "lrp-audit version");
        return new Comparability(problems, differences);
    }

    private static void same(List<String> problems, AuditOutput b, AuditOutput c, String pointer, String what) {
        String before = b.text(pointer), now = c.text(pointer);
        if (!b.manifest().at(pointer).equals(c.manifest().at(pointer))) { // JSON equality: key order does not count
            problems.add(what + " differs: '" + abbreviated(before) + "' in the baseline, '" + abbreviated(now) + "' now");
        }
    }

    private static void differ(List<String> differences, AuditOutput b, AuditOutput c, String pointer, String what) {
        String before = b.text(pointer), now = c.text(pointer);
        if (!b.manifest().at(pointer).equals(c.manifest().at(pointer))) differences.add(what + ": " + abbreviated(before) + " → " + abbreviated(now));
    }

    private static String abbreviated(String s) { return s.length() <= 160 ? s : s.substring(0, 157) + "..."; }
}
