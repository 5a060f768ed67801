package org.lrpaudit.ml;

import java.util.List;
import org.lrpaudit.data.Preprocessing;
import org.lrpaudit.job.ExplainPlan;
import org.lrpaudit.job.ExplainSetup;
import org.lrpaudit.job.Target;
import org.lrpaudit.lrp.Composite;
import org.lrpaudit.model.Network;

/**
 * An {@link LrpExplainer}'s setup ({@link SetupResolution}, errors naming the Params) with where a row's label comes
 * from: the stage reads it from the caller's labelCol, so a missing label names that column.
 *
 * @param labelColumn the column labels come from when the target is the label, else null
 */
record ResolvedPlan(ExplainSetup setup, String labelColumn) implements ExplainPlan {

    static ResolvedPlan of(LrpExplainer p) {
        ExplainSetup setup = SetupResolution.of(p, Naming.EXPLAINER_PARAMS);
        return new ResolvedPlan(setup, setup.target().kind() == Target.Kind.LABEL ? p.getLabelCol() : null);
    }

    @Override public Network network() { return setup.network(); }

    @Override public Composite composite() { return setup.composite(); }

    @Override public Preprocessing preprocessing() { return setup.preprocessing(); }

    @Override public List<String> classNames() { return setup.classNames(); }

    @Override public int targetFor(Integer label) {
        if (labelColumn == null) return setup.target().resolve(label);
        if (label == null) throw new IllegalArgumentException("target is the label, and column '" + labelColumn + "' is null in this row");
        return label;
    }
}
