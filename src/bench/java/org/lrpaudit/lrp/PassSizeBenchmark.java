package org.lrpaudit.lrp;

import java.nio.file.Path;
import java.util.Arrays;
import org.lrpaudit.model.Network;
import org.lrpaudit.model.OnnxImporter;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Engine ms per image at one batch size with different images per engine pass, in alternating rounds (LRP-0,
 * winner-take-all): how {@link EnginePasses#CHUNK_BYTES} and {@link EnginePasses#PASS_BYTES} were chosen.
 * scripts/benchmark passes --model M.onnx [--batch 8] [--passes 3,4,8] [--rounds 7]
 */
public final class PassSizeBenchmark {
    public static void main(String[] args) {
        String model = null;
        int batch = 8, rounds = 7;
        String passes = "1,4,8";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--suite" -> i++;
                case "--model" -> model = args[++i];
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--passes" -> passes = args[++i];
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use --model M.onnx [--batch 8] [--passes 1,4,8] [--rounds 7]");
            }
        }
        if (model == null) throw new IllegalArgumentException("--model M.onnx is required");
        Network net = OnnxImporter.load(Path.of(model));
        Composite zero = Composite.uniform(net, new Rule.Zero(), MaxPoolMode.WTA);
        int[] sizes = Arrays.stream(passes.split(",")).mapToInt(Integer::parseInt).toArray();
        LrpEngine[] engines = Arrays.stream(sizes).mapToObj(k -> new LrpEngine(net, zero, null, k)).toArray(LrpEngine[]::new);
        long[] s = net.inputShape();
        Nd4j.getRandom().setSeed(0);
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, s[0], s[1], s[2]);
        for (LrpEngine e : engines) { e.explain(x); e.explain(x); } // workspaces learn, oneDNN primitives are built
        double[][] ms = new double[sizes.length][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < sizes.length; k++) {
                long t0 = System.nanoTime();
                engines[k].explain(x);
                ms[k][r] = (System.nanoTime() - t0) / 1e6 / batch;
            }
        }
        System.out.printf("%s, batch %d, %d rounds; the engine's own choice: %d images per pass%n", net.name(), batch, rounds, EnginePasses.chunkSize(net.shapes()));
        for (int k = 0; k < sizes.length; k++) {
            double[] v = ms[k].clone();
            Arrays.sort(v);
            System.out.printf("  at most %3d images per pass: median %8.1f ms/img (min %.1f, max %.1f)%n", sizes[k], v[rounds / 2], v[0], v[rounds - 1]);
        }
    }
}
