package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ternpack verify --activations runtime} end to end: tiny-bitnet-silu converted to tq2_0 and tq1_0, each
 * verified with the default per-token activations and with llama.cpp's Q8_K blocks (runtime).
 *
 * <p>Measured over the first 256 tokens of eval.txt (2 windows, 254 predictions), identical for tq2_0 and tq1_0:
 * <pre>
 *   activations  model ppl  reference ppl  delta      mean KL  top-1
 *   per-token    47.4194    47.4027        +0.0351%   1.44e-5  0.9961
 *   runtime      47.3697    47.3769        -0.0153%   1.29e-5  0.9921
 *   (none        47.3897    47.3894)
 * </pre>
 * so the model's runtime perplexity is 0.105% below its per-token one (0.017% over 1024 tokens). Both modes
 * quantize activations to int8; they differ in the rounding convention (Q8_K's d = max/-127 from the value of
 * largest magnitude vs 127/max|x|) and in that the 512 inputs of ffn_down get one scale per 256 instead of one per
 * token. The tolerances: the two perplexities must differ by more than 1e-4 relative (10x below the measured
 * 1.05e-3; the computation is deterministic, so a runtime flag that were silently ignored gives a difference of
 * exactly 0), and by less than 5e-3 (5x the measured, and the gate's own default perplexity limit: a switch of
 * activation rounding must not move the model by more than the gate tolerates between a file and its
 * reference; a wrong Q8_K scale, e.g. d inverted or per-256 blocks misaligned, moves it by far more).
 */
class VerifyRuntimeActivationsTest {
    static final String SILU = CliRun.testdata("models/tiny-bitnet-silu").toString();
    static final String TEXT = CliRun.testdata("text/eval.txt").toString();

    @TempDir
    static Path dir;

    /** "tq2_0/runtime" etc. to the verify run and its JSON report. */
    static final Map<String, CliRun> RUNS = new HashMap<>();
    static final Map<String, JsonObject> JSON = new HashMap<>();

    @BeforeAll
    static void convertAndVerify() throws Exception {
        for (String format : new String[] {"tq2_0", "tq1_0"}) {
            Path model = dir.resolve("silu-" + format + ".gguf");
            CliRun c = CliRun.run("convert", SILU, "-f", format, "-o", model.toString(), "--threads", "2", "-q");
            assertEquals(ExitCodes.OK, c.exitCode(), c.toString());
            for (String mode : new String[] {"per-token", "runtime"}) {
                String key = format + "/" + mode;
                Path json = dir.resolve(format + "-" + mode + ".json");
                Path md = dir.resolve(format + "-" + mode + ".md");
                List<String> args = new ArrayList<>(List.of("verify", model.toString(), "--reference", SILU, "--text",
                        TEXT, "--max-tokens", "256", "--threads", "2", "--json", json.toString(), "--markdown",
                        md.toString()));
                if (mode.equals("runtime")) { // the default mode is run without the option, as users run it
                    args.addAll(List.of("--activations", "runtime"));
                }
                CliRun r = CliRun.run(args.toArray(String[]::new));
                RUNS.put(key, r);
                JSON.put(key, JsonParser.parseString(Files.readString(json)).getAsJsonObject());
            }
        }
    }

    private static double modelPpl(String key) {
        return JSON.get(key).getAsJsonObject("perplexity").get("ppl").getAsDouble();
    }

    private static double referencePpl(String key) {
        return JSON.get(key).getAsJsonObject("parity").get("ppl_reference").getAsDouble();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tq2_0", "tq1_0"})
    void theReportsSayRuntimeActivationsWereUsed(String format) throws Exception {
        CliRun runtime = RUNS.get(format + "/runtime");
        assertEquals(ExitCodes.OK, runtime.exitCode(), runtime.toString());
        assertTrue(runtime.out().contains(" (254 predictions), activations runtime, 2 threads\n"), runtime.out());
        assertTrue(runtime.out().lines().toList().getLast().startsWith("PASS: "), runtime.out());
        assertEquals("runtime", JSON.get(format + "/runtime").getAsJsonObject("settings").get("activations")
                .getAsString());
        assertTrue(Files.readString(dir.resolve(format + "-runtime.md")).contains(", activations runtime, 2 threads"));

        assertEquals(ExitCodes.OK, RUNS.get(format + "/per-token").exitCode(), RUNS.get(format + "/per-token")
                .toString());
        assertEquals("per-token", JSON.get(format + "/per-token").getAsJsonObject("settings").get("activations")
                .getAsString());
        assertTrue(Files.readString(dir.resolve(format + "-per-token.md")).contains(", activations per-token, "));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tq2_0", "tq1_0"})
    void runtimePerplexityDiffersFromPerTokenButStaysClose(String format) {
        double perToken = modelPpl(format + "/per-token");
        double runtime = modelPpl(format + "/runtime");
        double rel = runtime / perToken - 1;
        assertTrue(Math.abs(rel) > 1e-4, "runtime " + runtime + " vs per-token " + perToken + ": the mode changed"
                + " nothing (relative " + rel + ")");
        assertTrue(Math.abs(rel) < 5e-3, "runtime " + runtime + " vs per-token " + perToken + ": relative " + rel);
        // the reference runs with the same activations as the candidate, so parity compares like with like
        double refRel = referencePpl(format + "/runtime") / referencePpl(format + "/per-token") - 1;
        assertTrue(Math.abs(refRel) > 1e-4 && Math.abs(refRel) < 5e-3, "reference relative " + refRel);
        double delta = JSON.get(format + "/runtime").getAsJsonObject("parity").get("relative_ppl_delta")
                .getAsDouble();
        assertTrue(Math.abs(delta) < 1e-3, "runtime parity delta " + delta);
    }

    @Test
    void tq1AndTq2ComputeTheSameModelInRuntimeMode() {
        // same trits, same fp16(gamma) in every block: the forward pass must not depend on the layout
        assertEquals(modelPpl("tq2_0/runtime"), modelPpl("tq1_0/runtime"));
        assertEquals(JSON.get("tq2_0/runtime").get("parity"), JSON.get("tq1_0/runtime").get("parity"));
    }
}
