package org.lrpaudit.lrp;

import java.nio.file.Path;
import java.util.List;
import org.lrpaudit.bench.Inputs;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.OnnxImporter;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Prints forward and relevance time per layer, the least of the passes after a warm-up (a profiling aid: java ... LayerProfile model.onnx batch [preset]; preset
 * "zero" is LRP-0 on every layer with winner-take-all pooling, as the zoo check runs).
 */
public final class LayerProfile {
    public static void main(String[] args) {
        Network net = OnnxImporter.load(Path.of(args[0]));
        int batch = Integer.parseInt(args[1]);
        String preset = args.length > 2 ? args[2] : "tutorial";
        Composite composite = preset.equals("zero") ? Composite.uniform(net, new Rule.Zero(), MaxPoolMode.WTA)
                : Presets.resolve(preset, net, MaxPoolMode.AVG);
        long[] s = net.inputShape();
        LrpEngine engine = new LrpEngine(net, composite, InputBounds.fromNormalisation(new double[] {0.45}, new double[] {0.226}, (int) s[0]));
        INDArray x = Inputs.random(batch, s, 0.45, 0.226);
        List<long[]> shapes = net.shapes();
        int reps = Integer.getInteger("reps", 5);
        double[][] t = null;
        for (int rep = 0; rep < reps; rep++) {
            double[][] pass;
            try (var ws = org.nd4j.linalg.factory.Nd4j.getWorkspaceManager().getAndActivateWorkspace(EnginePasses.WORKSPACE, "lrp-profile")) {
                pass = LayerProfiler.profile(engine, x); // in a workspace, as explain runs: allocations cost what they cost there
            }
            if (rep == 0) continue; // warm-up
            if (t == null) t = pass;
            else for (int l = 0; l < t.length; l++) for (int k = 0; k < 2; k++) t[l][k] = Math.min(t[l][k], pass[l][k]); // least disturbed
            if (rep < reps - 1) continue;
            double fwd = 0, bwd = 0;
            for (int l = 0; l < net.size(); l++) {
                fwd += t[l][0];
                bwd += t[l][1];
                System.out.printf("%3d %-8s %-16s fwd %7.1f ms  lrp %7.1f ms  rss %+6.1f MB  %s%n", l, net.layer(l).type(),
                        java.util.Arrays.toString(shapes.get(l + 1)), t[l][0] * 1e3, t[l][1] * 1e3, t[l][2] / 1048576,
                        composite.describe(l, net.layer(l)));
            }
            System.out.printf("total fwd %.1f ms, lrp %.1f ms%n", fwd * 1e3, bwd * 1e3);
        }
    }
}
