package org.lrpaudit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point down: every import between the project's top-level packages goes from a higher layer to a lower
 * one, and the picture in docs/architecture.md shows exactly the imports the code has.
 */
class ArchitectureTest {
    private static final Path SOURCES = Path.of("src/main/java/org/lrpaudit");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?org\\.lrpaudit\\.(\\w+)\\.", Pattern.MULTILINE);
    private static final Pattern EDGE = Pattern.compile("^\\s*(\\w+) --> (\\w+)\\s*$", Pattern.MULTILINE);

    /** Layer of each top-level package; a package imports only packages of lower layers. */
    private static final Map<String, Integer> LAYER = Map.ofEntries(
            Map.entry("cli", 6),
            Map.entry("ml", 5), Map.entry("compare", 5),
            Map.entry("job", 4),
            Map.entry("render", 3),
            Map.entry("audit", 2), Map.entry("data", 2),
            Map.entry("lrp", 1),
            Map.entry("model", 0), Map.entry("backend", 0),
            Map.entry("output", -1)); // the output contract: a leaf every package may read

    /** package → the other top-level packages its files import. */
    static Map<String, Set<String>> importGraph() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path relative = SOURCES.relativize(file);
                String from = relative.getNameCount() > 1 ? relative.getName(0).toString() : "(root)";
                Matcher m = IMPORT.matcher(Files.readString(file));
                Set<String> targets = graph.computeIfAbsent(from, k -> new TreeSet<>());
                while (m.find()) if (!m.group(1).equals(from)) targets.add(m.group(1));
            }
        }
        return graph;
    }

    @Test void everyImportPointsDown() throws IOException {
        List<String> upward = new ArrayList<>();
        for (var e : importGraph().entrySet()) {
            Integer from = LAYER.get(e.getKey());
            assertTrue(from != null, "package " + e.getKey() + " has no layer: add it to ArchitectureTest.LAYER and to docs/architecture.md");
            for (String to : e.getValue()) {
                Integer layer = LAYER.get(to);
                if (layer == null || layer >= from) upward.add(e.getKey() + " -> " + to);
            }
        }
        assertEquals(List.of(), upward, "imports that do not point to a lower layer");
    }

    @Test void thePictureShowsTheImportsTheCodeHas() throws IOException {
        String doc = Files.readString(Path.of("docs/architecture.md"));
        int start = doc.indexOf("```mermaid"), end = doc.indexOf("```", start + 3);
        assertTrue(start >= 0 && end > start, "docs/architecture.md has no mermaid picture");
        Set<String> drawn = new TreeSet<>();
        Matcher m = EDGE.matcher(doc.substring(start, end));
        while (m.find()) drawn.add(m.group(1) + " --> " + m.group(2));
        Set<String> actual = new TreeSet<>();
        importGraph().forEach((from, tos) -> tos.forEach(to -> actual.add(from + " --> " + to)));
        assertEquals(actual, drawn, "the picture in docs/architecture.md and the imports differ; redraw it");
    }

    @Test void theCheckSeesRealImports() throws IOException {
        Map<String, Set<String>> graph = importGraph();
        assertTrue(graph.get("cli").contains("job") && graph.get("lrp").contains("model"), graph.toString());
        assertTrue(graph.get("output").isEmpty(), "output/ imports " + graph.get("output"));
    }
}
