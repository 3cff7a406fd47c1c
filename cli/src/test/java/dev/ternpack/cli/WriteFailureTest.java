package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk that fills up while OUT is written. Simulated without root or a tmpfs: the command runs in a child JVM
 * under {@code ulimit -f} (RLIMIT_FSIZE), so the kernel fails the write that would grow the temp file past the
 * limit (EFBIG, "File too large"; the JVM ignores SIGXFSZ), exactly where ENOSPC would fail it. Expected: exit 3,
 * one line {@code error: OUT: could not be written: File too large ...}, no stack trace, and nothing in the output
 * directory, neither OUT nor a temp file.
 */
class WriteFailureTest {
    private static final Path SILU = CliRun.testdata("models/tiny-bitnet-silu");
    /** KiB (bash's ulimit -f unit): well below every output of the fixture, above the few files read. */
    private static final int LIMIT_KIB = 96;

    @TempDir
    Path tmp;

    private record Result(int exitCode, List<String> err) {
    }

    private static Result runLimited(String... args) throws Exception {
        StringBuilder cmd = new StringBuilder("ulimit -f " + LIMIT_KIB + " && exec");
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        argv.addAll(List.of(args));
        for (String a : argv) {
            cmd.append(" '").append(a.replace("'", "'\\''")).append("'");
        }
        Process p = new ProcessBuilder("bash", "-c", cmd.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished");
        List<String> lines = new String(err, StandardCharsets.UTF_8).lines()
                .filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        return new Result(p.exitValue(), lines);
    }

    private void assertCleanFailure(Result r, Path out, Path dir) throws IOException {
        assertEquals(ExitCodes.BAD_INPUT, r.exitCode(), r.err().toString());
        assertEquals(1, r.err().size(), r.err().toString());
        Path named = dir.toRealPath().resolve(out.getFileName()); // OUT as the command resolved it
        assertTrue(r.err().getFirst().startsWith("error: " + named + ": could not be written: File too large"),
                r.err().toString());
        assertFalse(String.join("\n", r.err()).contains("\tat "), r.err().toString());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.toList(), "nothing left in " + dir);
        }
    }

    @Test
    void convertToEveryFormatFailsCleanly() throws Exception {
        for (String format : List.of("tq2_0", "tq1_0", "i2_s", "hf-2bit")) {
            Path dir = Files.createDirectory(tmp.resolve(format));
            Path out = dir.resolve(format.equals("hf-2bit") ? "model" : "model.gguf");
            Result r = runLimited("convert", SILU.toString(), "-f", format, "-o", out.toString(), "-q", "-t", "2");
            assertCleanFailure(r, out, dir);
        }
    }

    @Test
    void packFailsCleanly() throws Exception {
        Path src = tmp.resolve("src.gguf");
        assertEquals(ExitCodes.OK, CliRun.run("convert", SILU.toString(), "-f", "tq2_0", "-o", src.toString(), "-q")
                .exitCode());
        Path dir = Files.createDirectory(tmp.resolve("pack"));
        Path out = dir.resolve("model.gguf");
        assertCleanFailure(runLimited("pack", src.toString(), "-f", "tq1_0", "-o", out.toString(), "-q"), out, dir);
    }
}
