package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ternpack bench} on the bundled fixture, two formats, one run each. */
class BenchCommandTest {
    @TempDir
    Path tmp;

    @Test
    void timesEachFormatAndLeavesNothingBehind() throws Exception {
        Path ckpt = CliRun.testdata("models/tiny-bitnet-silu");
        long shards;
        try (Stream<Path> s = Files.list(ckpt)) {
            shards = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sum();
        }
        Path dir = tmp.resolve("bench");
        Path json = tmp.resolve("bench.json");
        CliRun r = CliRun.run("bench", ckpt.toString(), "--repeat", "2", "--formats", "tq2_0,hf-2bit", "-t", "2",
                "-o", dir.toString(), "--json", json.toString(), "--verify-text",
                CliRun.testdata("text/eval.txt").toString(), "--ctx", "64", "--max-tokens", "256");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("read the input"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("tq2_0 ") && l.contains(" 2 ")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("hf-2bit ")), r.out());
        assertTrue(r.out().contains("verify (tq2_0): 256 tokens in "), r.out());
        assertTrue(r.out().strip().lines().toList().getLast().startsWith("fastest: "), r.out());

        JsonObject j = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(shards, j.get("input_bytes").getAsLong(), "the sum of the shard sizes");
        assertEquals(2, j.get("input_files").getAsInt());
        assertTrue(j.get("read_seconds").getAsDouble() > 0);
        assertTrue(j.get("write_seconds").getAsDouble() > 0);
        JsonArray formats = j.getAsJsonArray("formats");
        assertEquals(List.of("tq2_0", "hf-2bit"),
                formats.asList().stream().map(e -> e.getAsJsonObject().get("format").getAsString()).toList());
        for (var e : formats) {
            JsonObject f = e.getAsJsonObject();
            JsonArray seconds = f.getAsJsonArray("seconds");
            assertEquals(2, seconds.size());
            double a = seconds.get(0).getAsDouble();
            double b = seconds.get(1).getAsDouble();
            assertTrue(a > 0 && b > 0, f.toString());
            assertEquals((a + b) / 2, f.get("median_seconds").getAsDouble(), 1e-12, f.toString());
            assertEquals(shards / f.get("median_seconds").getAsDouble() / 1e9, f.get("gb_per_second").getAsDouble(),
                    1e-9);
            assertTrue(f.get("output_bytes").getAsLong() > 0);
            if (Files.exists(Path.of("/proc/self/status"))) {
                assertTrue(f.get("peak_rss_bytes").getAsLong() > 10_000_000, f.toString());
            }
        }
        JsonObject v = j.getAsJsonObject("verify");
        assertEquals(256, v.get("tokens").getAsInt());
        assertEquals(256 / v.get("seconds").getAsDouble(), v.get("tokens_per_second").getAsDouble(), 1e-6);
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.toList(), "outputs are deleted after each run");
        }
    }

    @Test
    void aDirectoryThatIsNoCheckpointIsBadInputAndNothingIsWritten() throws Exception {
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        Path dir = tmp.resolve("o");
        CliRun r = CliRun.run("bench", empty.toString(), "-o", dir.toString());
        assertEquals(3, r.exitCode(), r.toString());
        assertTrue(r.err().startsWith("error: " + empty), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertFalse(Files.exists(dir), "checked before anything is created");
    }

    @Test
    void verifyTextNeedsTq2() {
        CliRun r = CliRun.run("bench", CliRun.testdata("models/tiny-bitnet-silu").toString(), "--formats", "i2_s",
                "--verify-text", CliRun.testdata("text/eval.txt").toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("add tq2_0 to --formats"), r.err());
    }
}
