package org.lrpaudit.data;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link DatasetSources#walk} on a local disk: follows symbolic links but lists every folder and file once, by real
 * path. Hadoop's local listing reports a link to a folder as that folder, so a link to its own parent was walked
 * until the kernel's 40-link limit: 20 images listed 41 times. Folders reached through links are walked after the tree
 * itself, and files that are links after all folders, so the real path wins over a link that sorts before it
 * ({@code a-coat -> coat} would otherwise label coat's images 'a-coat'); among links, the first in listing order wins.
 */
final class LocalTreeWalk {
    private static final Logger log = LoggerFactory.getLogger(LocalTreeWalk.class);
    private final FileSystem fs;
    private final Predicate<FileStatus> visit;
    /** Real paths of the folders listed so far. */
    private final Set<java.nio.file.Path> folders = new HashSet<>();
    private final Set<java.nio.file.Path> linkedFiles = new HashSet<>();
    private final Deque<FileStatus> folderLinks = new ArrayDeque<>();
    private final List<FileStatus> fileLinks = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();
    private java.nio.file.Path root;
    private int followed;

    LocalTreeWalk(FileSystem fs, Predicate<FileStatus> visit) {
        this.fs = fs;
        this.visit = visit;
    }

    static boolean isLocal(FileSystem fs) { return "file".equals(fs.getUri().getScheme()); }

    /** Visits every visible file below {@code dir} once, until {@code visit} returns false; whether it went to the end. */
    boolean walk(Path dir) throws IOException {
        root = nio(dir).toRealPath();
        folders.add(root);
        if (!walk(dir, root)) return false;
        while (!folderLinks.isEmpty()) { // links found below links join the end of the queue
            FileStatus link = folderLinks.poll();
            java.nio.file.Path target = nio(link.getPath()).toRealPath();
            if (root.startsWith(target) || !folders.add(target)) { // a cycle, or a folder listed already
                skip(link);
                continue;
            }
            followed++;
            if (!walk(link.getPath(), target)) return false;
        }
        for (FileStatus link : fileLinks) {
            java.nio.file.Path target = realOrNull(link.getPath()); // dangling: listed, for the reader to report
            boolean listed = target != null && folders.contains(target.getParent())
                    && !DatasetSources.hiddenName(new Path(target.getFileName().toString()));
            if (listed || target != null && !linkedFiles.add(target)) {
                skip(link);
                continue;
            }
            followed++;
            if (!visit.test(link)) return false;
        }
        report();
        return true;
    }

    /** One folder: {@code real} is its real path, {@code dir} the path it is listed under. */
    private boolean walk(Path dir, java.nio.file.Path real) throws IOException {
        for (FileStatus child : DatasetSources.sorted(fs.listStatus(dir))) {
            if (DatasetSources.hiddenName(child.getPath())) continue;
            java.nio.file.Path path = real.resolve(child.getPath().getName());
            boolean link = Files.isSymbolicLink(path);
            if (child.isDirectory()) {
                if (link) folderLinks.add(child);
                else if (!folders.add(path)) skip(child); // reached a second time, below a folder link
                else if (!walk(child.getPath(), path)) return false;
            } else if (link) {
                fileLinks.add(child);
            } else if (!visit.test(child)) {
                return false;
            }
        }
        return true;
    }

    private void skip(FileStatus link) { skipped.add(link.getPath().toString()); }

    private void report() {
        if (!skipped.isEmpty()) {
            log.warn("input listing: {} symbolic link(s) not followed because they lead to a folder or file listed already (a link "
                    + "cycle, or a second link to one folder), so that each image is listed once: {}{}; {} link(s) followed", skipped.size(),
                    String.join(", ", skipped.subList(0, Math.min(3, skipped.size()))), skipped.size() > 3 ? ", …" : "", followed);
        } else if (followed > 0) {
            log.info("input listing: {} symbolic link(s) followed", followed);
        }
    }

    private static java.nio.file.Path nio(Path p) { return new File(p.toUri().getPath()).toPath(); }

    private static java.nio.file.Path realOrNull(Path p) {
        try {
            return nio(p).toRealPath();
        } catch (IOException e) {
            return null;
        }
    }
}
