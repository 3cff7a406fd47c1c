package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.convert.synth.SyntheticCheckpoint;
import dev.ternpack.formats.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real {@code ternpack convert} processes killed midway (SIGKILL, SIGINT) and racing for one output: nothing
 * half-written may ever appear at OUT. Each run is a separate JVM started from this test's class path.
 */
class InterruptedConvertTest {
    /** About 190 MB of BF16: big enough that a conversion is still writing when we strike. */
    private static final SyntheticCheckpoint.Shape SHAPE =
            new SyntheticCheckpoint.Shape(1024, 2816, 24, 8, 4, 32000, "relu2", 10000.0);

    @TempDir
    static Path shared;
    static Path checkpoint;

    @TempDir
    Path out;

    @BeforeAll
    static void synthesize() throws IOException {
        checkpoint = shared.resolve("synthetic");
        SyntheticCheckpoint.write(checkpoint, SHAPE, 7, b -> { });
    }

    private static Process start(Path target, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "convert", checkpoint.toString(), "--format", "tq2_0", "-o", target.toString(), "--threads", "1"));
        cmd.addAll(List.of(extra));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static List<Path> temps(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    /** Waits until the process has written at least {@code bytes} into a temp file next to OUT. */
    private static void awaitWriting(Process p, Path dir, long bytes) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (Path t : temps(dir)) {
                if (Files.isRegularFile(t) && Files.size(t) >= bytes) {
                    return;
                }
            }
            assertTrue(p.isAlive(), "the conversion ended before it could be interrupted");
            Thread.sleep(1);
        }
        throw new AssertionError("no temp file of " + bytes + " bytes appeared in " + dir);
    }

    @Test
    void sigkillLeavesNothingAtOutAndTheNextRunSucceeds() throws Exception {
        Path target = out.resolve("model.gguf");
        Process p = start(target);
        awaitWriting(p, out, 1 << 20);
        p.destroyForcibly(); // SIGKILL
        p.waitFor(30, TimeUnit.SECONDS);
        assertFalse(Files.exists(target), "a killed run must not leave a file at OUT");

        Process again = start(target);
        assertEquals(0, again.waitFor(120, TimeUnit.SECONDS) ? again.exitValue() : -1);
        try (GgufFile g = GgufFile.open(target)) {
            assertEquals("bitnet", g.getString("general.architecture").orElseThrow());
        }
    }

    @Test
    void sigintCleansUpAndExits130() throws Exception {
        Path target = out.resolve("model.gguf");
        Process p = start(target);
        awaitWriting(p, out, 1 << 20);
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(130, p.exitValue());
        assertFalse(Files.exists(target));
        assertEquals(List.of(), temps(out), "Ctrl-C must remove the temp file");
    }

    @Test
    void twoRunsForOneOutputOneWinsTheOtherFailsCleanly() throws Exception {
        Path target = out.resolve("model.gguf");
        Process a = start(target);
        Process b = start(target);
        assertTrue(a.waitFor(120, TimeUnit.SECONDS) && b.waitFor(120, TimeUnit.SECONDS));
        int ea = a.exitValue();
        int eb = b.exitValue();
        assertTrue(ea == 0 || eb == 0, "one run wins: exits " + ea + ", " + eb);
        assertNotEquals(ea, eb, "the other fails: exits " + ea + ", " + eb);
        assertEquals(ExitCodes.BAD_INPUT, Math.max(ea, eb), "the loser reports that OUT exists");
        try (GgufFile g = GgufFile.open(target)) {
            long end = g.dataStart() + g.tensors().stream().mapToLong(t -> t.offset() + t.nbytes()).max().orElseThrow();
            long size = Files.size(target);
            assertTrue(size >= end && size < end + g.alignment(), "a whole file, not a mix: " + size + " vs " + end);
        }
        assertEquals(List.of(), temps(out));
    }
}
