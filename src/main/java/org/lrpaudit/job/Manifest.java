package org.lrpaudit.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.lrpaudit.lrp.Composite;
import org.lrpaudit.model.Network;
import org.lrpaudit.output.OutputFiles;

/** _manifest.json: what produced this output — run, times, counts, model hash, effective settings, versions. */
final class Manifest {
    private Manifest() {}

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Properties versions() {
        Properties p = new Properties();
        try (InputStream in = Manifest.class.getResourceAsStream("/org/lrpaudit/version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /** The rule of every layer, by index, as in the describe table. */
    static Map<String, Object> layers(Network net, Composite composite) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < net.size(); i++) {
            Map<String, Object> layer = new LinkedHashMap<>();
            layer.put("name", net.layer(i).name());
            layer.put("type", net.layer(i).type());
            layer.put("reads", java.util.Arrays.stream(net.inputsOf(i)).boxed().toList()); // -1: the image
            layer.put("rule", composite.describe(i, net.layer(i)));
            out.put(String.valueOf(i), layer);
        }
        return out;
    }

    /** snake_case names, indented: the file people open. */
    private static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** The manifest as the report reads it: the same keys as the file. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(RunManifest manifest) { return JSON.convertValue(manifest, LinkedHashMap.class); }

    static void write(Configuration conf, String file, RunManifest manifest) {
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(file);
        try {
            FileSystem fs = path.getFileSystem(conf);
            try (OutputStream out = OutputFiles.create(fs, path)) {
                JSON.writeValue(out, manifest);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
