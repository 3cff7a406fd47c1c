package dev.ternpack.formats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * How ternpack publishes what it writes: everything goes to a temp file or directory next to the target and
 * appears at the target in one atomic step, so a reader (or a crash) never sees half an output.
 *
 * <p>Temp paths are registered while they exist; a JVM shutdown hook deletes the registered ones, so Ctrl-C
 * (SIGINT) or SIGTERM leaves nothing behind. SIGKILL cannot be caught: then a {@code .NAME.*.tmp} sibling
 * stays, which no ternpack reader ever opens and which {@link #removeStale} deletes on the next write to the
 * same target.
 */
public final class OutputFiles {
    private static final Set<Path> PENDING = ConcurrentHashMap.newKeySet();
    private static volatile boolean hookInstalled;

    private OutputFiles() {
    }

    /** Remembers a temp path for deletion if the JVM exits before it is published. */
    public static void register(Path temp) {
        installHook();
        PENDING.add(temp.toAbsolutePath());
    }

    /** Forgets a temp path (it was published or deleted). */
    public static void unregister(Path temp) {
        PENDING.remove(temp.toAbsolutePath());
    }

    /** The temp sibling name used for {@code target}: {@code .NAME.<random>.tmp}. */
    public static boolean isTempOf(Path candidate, Path target) {
        String n = candidate.getFileName().toString();
        String prefix = "." + target.getFileName() + ".";
        return n.startsWith(prefix) && n.endsWith(".tmp") && n.length() > prefix.length() + 4;
    }

    /**
     * Deletes temp siblings of {@code target} left by an earlier run that was killed, if they are older than
     * {@code minAgeMillis} (so a concurrent run's live temp file is not touched). Best effort.
     */
    public static void removeStale(Path target, long minAgeMillis) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        long cutoff = System.currentTimeMillis() - minAgeMillis;
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> isTempOf(p, abs)).forEach(p -> {
                try {
                    if (Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() < cutoff
                            && !PENDING.contains(p)) {
                        deleteRecursively(p);
                    }
                } catch (IOException | UncheckedIOException ignored) {
                    // another process may be cleaning up the same file
                }
            });
        } catch (IOException ignored) {
            // listing is best effort
        }
    }

    /**
     * Moves the finished {@code temp} onto {@code target} atomically. With {@code replace} false the move
     * fails if {@code target} exists, even if it appeared while we were writing (two runs racing for one
     * output: exactly one wins, the other gets {@link FileAlreadyExistsException} and its temp is removed by
     * its caller). Files are published with {@code link(2)}, which never replaces; directories with
     * {@code rename(2)}, which refuses a non-empty target. Then the target's directory is synced, so the new name
     * survives a power loss once this returns.
     */
    public static void publish(Path temp, Path target, boolean replace) throws IOException {
        if (replace) {
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(temp)) {
                Path old = target.resolveSibling("." + target.getFileName() + ".old."
                        + Long.toUnsignedString(System.nanoTime(), 36) + ".tmp");
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                deleteRecursively(old);
            } else {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } else if (Files.isDirectory(temp, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(target.toString());
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (DirectoryNotEmptyException e) {
                throw new FileAlreadyExistsException(target.toString());
            }
        } else {
            Files.createLink(target, temp);
            Files.delete(temp);
        }
        unregister(temp);
        syncDirectory(target.toAbsolutePath().getParent());
    }

    /**
     * Forces the finished {@code temp} (written through {@code written}) to disk, closes the channel and {@link
     * #publish publishes} it onto {@code target}: the last step of both container writers.
     */
    public static void forceAndPublish(FileChannel written, Path temp, Path target, boolean replace)
            throws IOException {
        written.force(true);
        written.close();
        publish(temp, target, replace);
    }

    private static void syncDirectory(Path dir) {
        // Makes the rename durable on Linux; other systems cannot open a directory and need no such step.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // The file is complete and renamed; only durability across a power loss is left to the OS.
        }
    }

    /**
     * What a failed write of {@code target} reports once its temp is removed: a {@link FileSystemException} naming
     * the target (not the temp, which no longer exists) with the system's reason, e.g. "No space left on device"
     * or "File too large". A {@link FileAlreadyExistsException} (a concurrent run published first) is returned
     * as it is.
     */
    public static IOException writeFailure(Path target, IOException e) {
        if (e instanceof FileAlreadyExistsException) {
            return e;
        }
        String reason = e instanceof AccessDeniedException ? "permission denied"
                : e instanceof FileSystemException f ? (f.getReason() != null ? f.getReason() : f.getClass().getSimpleName())
                : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        FileSystemException w = new FileSystemException(target.toString(), null,
                "could not be written: " + reason + " (nothing was left there)");
        w.initCause(e);
        return w;
    }

    /** Deletes a file or a directory tree; missing is fine. */
    public static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> s = Files.walk(p)) {
                for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(q);
                }
            }
        } else {
            Files.deleteIfExists(p);
        }
    }

    private static void installHook() {
        if (hookInstalled) {
            return;
        }
        synchronized (OutputFiles.class) {
            if (!hookInstalled) {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    for (Path p : PENDING) {
                        try {
                            deleteRecursively(p);
                        } catch (IOException | UncheckedIOException ignored) {
                            // nothing more can be done while the JVM exits
                        }
                    }
                }, "ternpack-cleanup"));
                hookInstalled = true;
            }
        }
    }
}
