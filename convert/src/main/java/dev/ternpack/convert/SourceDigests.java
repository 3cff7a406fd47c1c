package dev.ternpack.convert;

import dev.ternpack.formats.BadInputException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * The {@code "<sha256>  <file name>"} lines (sha256sum's format) of a conversion's input files, computed on
 * threads of their own while the conversion packs and writes. Hashing a multi-GB checkpoint costs as much CPU as
 * ternarizing it, so it must not sit on the critical path: the writer reserves the metadata value with
 * {@link #placeholders()} (same length) and replaces it with {@link #await()}'s lines before committing.
 */
final class SourceDigests implements AutoCloseable {
    /** Bytes mapped at a time; each window is unmapped before the next, so hashing adds little to the RSS. */
    private static final long WINDOW = 64L << 20;
    private static final String PLACEHOLDER = "0".repeat(64);

    private final List<Path> files;
    private final ExecutorService pool;
    private final List<Future<String>> digests = new ArrayList<>();

    private SourceDigests(List<Path> files, int threads) {
        this.files = List.copyOf(files);
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "ternpack-source-sha256");
            t.setDaemon(true);
            return t;
        });
        for (Path f : this.files) {
            digests.add(pool.submit(() -> {
                try {
                    return sha256(f) + "  " + f.getFileName();
                } catch (java.io.InterruptedIOException e) {
                    throw e;
                } catch (IOException e) {
                    // An input that cannot be read is the input's problem, not a failure to write the output.
                    throw new BadInputException(f, "cannot read the file: " + e.getMessage(), e);
                }
            }));
        }
        pool.shutdown();
    }

    /**
     * Starts hashing {@code files} on daemon threads: one per file up to half the processors (at least one), so
     * a sharded checkpoint of hundreds of GB is not hashed at one core's speed while the other half packs.
     */
    static SourceDigests start(List<Path> files) {
        return start(files, Math.max(1, Math.min(files.size(), Runtime.getRuntime().availableProcessors() / 2)));
    }

    /** As {@link #start(List)} with {@code threads} hashing threads. */
    static SourceDigests start(List<Path> files, int threads) {
        return new SourceDigests(files, threads);
    }

    /** Lines of the final length with an all-zero digest, to reserve the space in a header. */
    List<String> placeholders() {
        return files.stream().map(f -> PLACEHOLDER + "  " + f.getFileName()).toList();
    }

    /** Waits for the digests, in the order of the files. */
    List<String> await() throws IOException, InterruptedException {
        List<String> lines = new ArrayList<>();
        for (Future<String> d : digests) {
            lines.add(await(d, "the input"));
        }
        return lines;
    }

    /** Stops the hashing threads if they still run (the conversion failed or was interrupted). */
    @Override
    public void close() {
        pool.shutdownNow();
    }

    /** Hex SHA-256 of a file, read through short-lived mappings (no copy into the heap). */
    static String sha256(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            return sha256(ch, file);
        }
    }

    /** Hex SHA-256 of everything in {@code ch} (of {@code file}, named in an interruption), which stays open. */
    static String sha256(FileChannel ch, Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long size = ch.size();
        for (long at = 0; at < size; at += WINDOW) {
            if (Thread.currentThread().isInterrupted()) {
                throw new java.io.InterruptedIOException("hashing " + file + " was interrupted");
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment window = ch.map(FileChannel.MapMode.READ_ONLY, at, Math.min(WINDOW, size - at), arena);
                md.update(window.asByteBuffer());
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Starts hashing a finished output through {@code content} (say, a writer's sealed channel) on a daemon thread
     * of its own, so the digest is worked out while the output is forced to disk and renamed. The thread closes the
     * channel when it ends, also when the future is cancelled before it ran; {@link #await(Future, String)} waits.
     */
    static Future<String> sha256Later(FileChannel content, Path file) {
        FutureTask<String> task = new FutureTask<>(() -> sha256(content, file));
        Thread t = new Thread(() -> {
            try {
                task.run();
            } finally {
                try {
                    content.close();
                } catch (IOException e) {
                    // A read-only channel: nothing is lost if closing it fails.
                }
            }
        }, "ternpack-output-sha256");
        t.setDaemon(true);
        t.start();
        return task;
    }

    /** The result of one hashing task, its I/O or runtime failure rethrown as it was. */
    static String await(Future<String> digest, String what) throws IOException, InterruptedException {
        try {
            return digest.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("hashing " + what + " failed", e.getCause());
        } catch (CancellationException e) {
            throw new InterruptedException("hashing " + what + " was cancelled");
        }
    }
}
