package org.lrpaudit.render;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Headless Chromium (Debian's `chromium` package; .ci/run installs it): the page's DOM after load, and a screenshot. */
public final class HeadlessBrowser {
    private final String binary;

    private HeadlessBrowser(String binary) { this.binary = binary; }

    public static HeadlessBrowser find() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(dir, name))) return new HeadlessBrowser(Path.of(dir, name).toString());
            }
        }
        throw new IllegalStateException("no headless browser found: install Debian's chromium (apt-get install chromium), as .ci/run does");
    }

    /** The serialised DOM after the load event and 5 s of virtual time (scripts have run, images decoded). */
    public String dom(Path page) throws IOException, InterruptedException {
        return run(List.of("--virtual-time-budget=5000", "--dump-dom", page.toUri().toString()));
    }

    public void screenshot(Path page, Path png, int width, int height) throws IOException, InterruptedException {
        run(List.of("--window-size=" + width + "," + height, "--screenshot=" + png.toAbsolutePath(), page.toUri().toString()));
    }

    private String run(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--user-data-dir=" + Files.createTempDirectory("lrp-chromium")));
        cmd.addAll(args);
        Path out = Files.createTempFile("chromium", ".out");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("chromium did not finish in 120 s: " + cmd);
        }
        if (p.exitValue() != 0) throw new IOException("chromium exited with " + p.exitValue() + ": " + cmd);
        return Files.readString(out, StandardCharsets.UTF_8);
    }
}
