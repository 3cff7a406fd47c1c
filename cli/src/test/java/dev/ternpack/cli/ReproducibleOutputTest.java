package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.pack.Implementation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Byte-identical outputs across JVMs: {@code ternpack convert} in a separate JVM with one thread and the Vector API
 * paths off ({@code -Dternpack.vector=false}, the scalar reference code) against this JVM with four threads and
 * the preferred paths, compared file by file (sha256) for every format.
 */
class ReproducibleOutputTest {
    private static final Path SILU = CliRun.testdata("models/tiny-bitnet-silu");

    @TempDir
    Path tmp;

    private static Map<String, String> hashes(Path out) throws Exception {
        Map<String, String> m = new TreeMap<>();
        List<Path> files;
        if (Files.isDirectory(out)) {
            try (Stream<Path> s = Files.list(out)) {
                files = s.toList();
            }
        } else {
            files = List.of(out);
        }
        for (Path p : files) {
            m.put(p.getFileName().toString().replace(out.getFileName().toString(), "OUT"),
                    HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tq2_0", "tq1_0", "i2_s", "hf-2bit"})
    void anotherJvmWithOtherThreadsAndScalarCodeWritesTheSameBytes(String format) throws Exception {
        boolean gguf = !format.equals("hf-2bit");
        Path here = tmp.resolve(gguf ? "here.gguf" : "here");
        Path there = tmp.resolve(gguf ? "there.gguf" : "there");
        CliRun r = CliRun.run("convert", SILU.toString(), "-f", format, "-o", here.toString(), "-t", "4", "-q");
        assertEquals(ExitCodes.OK, r.exitCode(), r.toString());

        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-D" + Implementation.VECTOR_PROPERTY + "=false",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "convert", SILU.toString(), "-f", format, "-o", there.toString(), "-t", "1", "-q"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child finished");
        assertEquals(0, p.exitValue(), "child convert");

        Map<String, String> a = hashes(here);
        Map<String, String> b = hashes(there);
        assertEquals(gguf ? 1 : 4, a.size(), a.toString());
        assertEquals(a, b);
    }
}
