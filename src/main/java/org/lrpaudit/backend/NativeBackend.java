package org.lrpaudit.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses ND4J's native build before ND4J loads, and reports what is active.
 *
 * <p>The application ships two linux-x86_64 builds of libnd4j: the oneDNN/AVX2 one (3–6× faster on convolutions)
 * and the plain one. JavaCPP loads the first it finds, which is the oneDNN/AVX2 build — and that one would crash
 * with an illegal instruction on a CPU without AVX2. So, unless the user chose explicitly with
 * {@code -Dorg.bytedeco.javacpp.platform.extension=...} ("-onednn-avx2" or "" for the plain build), we read the CPU
 * flags and fall back to the plain build when AVX2 or FMA is missing.
 */
public final class NativeBackend {
    private static final Logger log = LoggerFactory.getLogger(NativeBackend.class);
    public static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";
    static final String MAX_PHYSICAL_PROPERTY = "org.bytedeco.javacpp.maxPhysicalBytes";
    /** libgomp reads it once, when the native library loads: only the environment the JVM started with counts. */
    static final String WAIT_POLICY = "OMP_WAIT_POLICY";
    private static volatile Info info;

    /** What was loaded: for logs and the run manifest. */
    public record Info(boolean onednn, String blasVendor, int binaryLevel, int optimalLevel, String choice, int ompThreads,
                       String ompWaitPolicy) {
        public String describe() {
            return (onednn ? "oneDNN build" : "plain build") + " (binary level " + level(binaryLevel) + ", CPU supports "
                    + level(optimalLevel) + "), BLAS " + blasVendor + ", " + ompThreads + " OpenMP threads (wait policy "
                    + ompWaitPolicy + "); " + choice;
        }

        private static String level(int l) {
            return switch (l) { case 3 -> "AVX-512"; case 2 -> "AVX2"; default -> "generic x86-64"; };
        }
    }

    private NativeBackend() {}

    private static String waitPolicy() {
        String p = System.getenv(WAIT_POLICY);
        return p == null || p.isBlank() ? "libgomp's default: spin, then sleep" : p.toLowerCase(Locale.ROOT);
    }

    /** Loads ND4J's native library once per JVM, choosing the build first; returns what is active. */
    public static Info ensureLoaded() {
        Info i = info;
        if (i != null) return i;
        synchronized (NativeBackend.class) {
            if (info != null) return info;
            String choice = chooseBuild();
            // JavaCPP reads /proc/self/statm on every native allocation to enforce maxPhysicalBytes (6% of a small
            // CNN's time here); the heap-linked maxBytes limit still applies. A user's -D setting wins.
            if (System.getProperty(MAX_PHYSICAL_PROPERTY) == null && System.getProperty(MAX_PHYSICAL_PROPERTY.toLowerCase(Locale.ROOT)) == null) {
                System.setProperty(MAX_PHYSICAL_PROPERTY, "0"); // JavaCPP reads both spellings
            }
            Nd4j.create(1); // forces the backend to load
            var ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
            String build = ops.buildInfo();
            Object threads = Nd4j.getExecutioner().getEnvironmentInformation().get("omp.threads");
            info = new Info(build.contains("HAVE_ONEDNN"), String.valueOf(Nd4j.factory().blas().getBlasVendor()),
                    ops.binaryLevel(), ops.optimalLevel(), choice, threads == null ? -1 : Integer.parseInt(threads.toString()),
                    waitPolicy());
            log.info("ND4J native backend: {}", info.describe());
            if (info.ompThreads() > 1 && !"passive".equalsIgnoreCase(System.getenv(WAIT_POLICY))) {
                log.info("{} is not passive: OpenMP threads spin between native ops and take cores from the engine's Java "
                        + "steps (1.2-1.5x slower on MobileNetV2 and EfficientNet-B0 here); export {}=passive before the JVM "
                        + "starts (spark.executorEnv.{} on a cluster)", WAIT_POLICY, WAIT_POLICY, WAIT_POLICY);
            }
            return info;
        }
    }

    private static String chooseBuild() {
        String explicit = System.getProperty(EXTENSION_PROPERTY);
        if (explicit != null) return "chosen with -D" + EXTENSION_PROPERTY + "=\"" + explicit + "\"";
        String flags = cpuFlags();
        if (flags == null) return "CPU flags unreadable, JavaCPP's default";
        if (flags.contains(" avx2 ") && flags.contains(" fma ")) return "CPU has AVX2: oneDNN build";
        System.setProperty(EXTENSION_PROPERTY, "");
        log.warn("CPU lacks AVX2/FMA: using ND4J's plain native build (slower convolutions, no oneDNN)");
        return "CPU lacks AVX2: plain build";
    }

    private static String cpuFlags() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) return line.toLowerCase(Locale.ROOT) + " ";
            }
        } catch (IOException | SecurityException e) {
            log.debug("cannot read /proc/cpuinfo", e);
        }
        return null;
    }
}
