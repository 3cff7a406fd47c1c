package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ternpack demo} on the bundled fixture, cut to two formats and few tokens to stay fast; the full
 * four-format run is the README's first command, checked from a clean clone by {@code .ci/readme-smoke}.
 */
class DemoCommandTest {
    @TempDir
    Path tmp;

    @Test
    void convertsVerifiesAndPrintsOnePassingRowPerFormat() throws Exception {
        Path out = tmp.resolve("artifacts");
        Path json = tmp.resolve("demo.json");
        CliRun r = CliRun.run("demo", "--formats", "tq1_0,hf-2bit", "--max-tokens", "512", "--threads", "2",
                "-o", out.toString(), "--json", json.toString());
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(Pattern.compile("(?m)^\\| tq1_0 +\\| llama\\.cpp +\\| tiny-bitnet-silu-tq1_0\\.gguf .*\\| pass +\\|$")
                .matcher(r.out()).find(), r.out());
        assertTrue(Pattern.compile("(?m)^\\| hf-2bit +\\| transformers .*\\| pass +\\|$").matcher(r.out()).find(),
                r.out());
        assertTrue(r.out().contains("| latent "), r.out());
        assertTrue(r.out().contains("all 2 formats compute what the trained checkpoint computes"), r.out());
        assertTrue(Files.isRegularFile(out.resolve("tiny-bitnet-silu-tq1_0.gguf")));
        assertTrue(Files.isRegularFile(out.resolve("tiny-bitnet-silu-hf-2bit/model.safetensors")));
        JsonArray reports = JsonParser.parseString(Files.readString(json)).getAsJsonArray();
        assertEquals(2, reports.size());
        assertTrue(reports.get(0).getAsJsonObject().get("passed").getAsBoolean());
    }

    @Test
    void quietPrintsOnlyTheResultLine() {
        CliRun r = CliRun.run("demo", "--formats", "tq2_0", "--max-tokens", "256", "-t", "2", "-q",
                "--output", tmp.resolve("q").toString());
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("all 1 formats compute what the trained checkpoint computes\n", r.out());
        assertEquals("", r.err());
    }

    @Test
    void aDirectoryThatIsNoCheckpointIsBadInput() throws Exception {
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        CliRun r = CliRun.run("demo", empty.toString(), "--formats", "tq2_0", "-o", tmp.resolve("o").toString());
        assertEquals(3, r.exitCode(), r.toString());
        assertTrue(r.err().startsWith("error: " + empty), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void anUnknownFormatIsAUsageError() {
        CliRun r = CliRun.run("demo", "--formats", "q4_0");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("q4_0"), r.err());
    }
}
