package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The testdata/bad checkpoints whose files parse but whose content is wrong (a broken config.json, a tensor shape
 * the config contradicts, a NaN or infinite latent weight, an HF 2-bit tensor packed to the wrong shape), through
 * the commands that consume them: {@code convert} (to hf-2bit and to a GGUF), {@code verify} and {@code pack};
 * and the malformed GGUF files of the corpus through {@code verify} and {@code pack}.
 * Each must exit 3 with one line {@code error: FILE: problem} naming the file, print no stack trace and leave
 * nothing in the output directory (neither OUT nor a temp file). The {@code valid-*} twins, built the same way,
 * must go through, so a refusal is caused by the one defect and not by the rest of the entry.
 */
class BadCheckpointCommandsTest {
    private static final Path BAD = CliRun.testdata("bad");

    @TempDir
    Path tmp;
    Path outDir;
    Path tokens;

    @BeforeEach
    void setUp() throws IOException {
        outDir = Files.createDirectory(tmp.resolve("out"));
        tokens = Files.writeString(tmp.resolve("tokens.txt"), "0 1 2 0 1 2 0 1 2 0 1 2 0 1 2 0 1 2\n");
    }

    /** Latent checkpoints: entry, the file the message names, a phrase of the problem. */
    static Stream<Arguments> latent() {
        return Stream.of(
                Arguments.of("config-missing-hidden-size", "config.json", "hidden_size is missing"),
                Arguments.of("config-hidden-not-divisible-by-heads", "config.json",
                        "hidden_size (10) is not divisible by num_attention_heads (4)"),
                Arguments.of("config-heads-not-divisible-by-kv-heads", "config.json",
                        "num_attention_heads (4) is not a multiple of num_key_value_heads (3)"),
                Arguments.of("tensor-shape-contradicts-config", "model.safetensors",
                        "tensor model.layers.0.self_attn.k_proj.weight has shape [8, 8]"),
                Arguments.of("latent-nan-weight", "model.safetensors",
                        "tensor model.layers.0.mlp.up_proj.weight holds NaN at flat index 37 (row 4, column 5)"),
                Arguments.of("latent-inf-weight", "model.safetensors",
                        "tensor model.layers.0.self_attn.o_proj.weight holds -Infinity at flat index 5"));
    }

    /** Every corpus entry this class covers (BadCorpusTest checks that each corpus entry has a case somewhere). */
    static List<String> entries() {
        return Stream.concat(latent().map(a -> (String) a.get()[0]),
                Stream.of("hf-packed-shape-contradicts-config", "valid-bitnet-latent", "valid-hf-packed")).toList();
    }

    private void assertRefused(CliRun r, Path named, String phrase) throws IOException {
        assertEquals(ExitCodes.BAD_INPUT, r.exitCode(), r.toString());
        String[] lines = r.err().split("\n");
        assertEquals(1, lines.length, "exactly one line on stderr\n" + r);
        assertTrue(lines[0].startsWith("error: " + named + ": "), "names " + named + "\n" + r);
        assertTrue(lines[0].contains(phrase), "says: " + phrase + "\n" + r);
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), "no stack trace\n" + r);
        try (Stream<Path> s = Files.list(outDir)) {
            assertEquals(List.of(), s.toList(), "nothing written, no temp left\n" + r);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("latent")
    void convertAndVerifyRefuseIt(String entry, String file, String phrase) throws IOException {
        Path in = BAD.resolve(entry);
        Path named = in.resolve(file);
        assertRefused(CliRun.run("convert", in.toString(), "-f", "hf-2bit", "-o", outDir.resolve("hf").toString(),
                "-q"), named, phrase);
        assertRefused(CliRun.run("convert", in.toString(), "-f", "tq2_0", "--fallback", "f16", "-t", "2",
                "-o", outDir.resolve("m.gguf").toString(), "-q"), named, phrase);
        assertRefused(CliRun.run("verify", in.toString(), "--tokens", tokens.toString(), "--ctx", "4",
                "--json", outDir.resolve("report.json").toString(), "-q"), named, phrase);
    }

    @Test
    void hfPackedShapeContradictingTheConfigIsRefusedByVerifyAndPack() throws IOException {
        Path in = BAD.resolve("hf-packed-shape-contradicts-config");
        Path named = in.resolve("model.safetensors");
        assertRefused(CliRun.run("verify", in.toString(), "--tokens", tokens.toString(), "--ctx", "4", "-q"), named,
                "model.layers.0.mlp.gate_proj.weight has shape [3, 8], but a 16x8 projection (config.json) packs"
                        + " to [4, 8]");
        for (String f : List.of("tq2_0", "tq1_0", "i2_s")) {
            assertRefused(CliRun.run("pack", in.toString(), "-f", f, "-o", outDir.resolve("p.gguf").toString(), "-q"),
                    named, "tensor model.layers.0.mlp.gate_proj.weight is u8 [3, 8]; a packed projection of 16 rows"
                            + " is U8 [4, in_features]");
        }
    }

    /** The malformed GGUF files of the corpus (BadCorpusTest's cases) through the commands that read a GGUF. */
    static Stream<Arguments> badGguf() {
        return BadCorpusTest.cases().filter(a -> ((String) a.get()[0]).endsWith(".gguf"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badGguf")
    void verifyAndPackRefuseAMalformedGguf(String entry, String ignored, String phrase) throws IOException {
        Path in = BAD.resolve(entry);
        // Without the GGUF magic the commands cannot tell what the file was meant to be and say so.
        boolean magic = entry.equals("bad-magic.gguf");
        assertRefused(CliRun.run("verify", in.toString(), "--tokens", tokens.toString(), "--ctx", "4",
                "--json", outDir.resolve("report.json").toString(), "-q"), in, magic ? "not a model" : phrase);
        assertRefused(CliRun.run("pack", in.toString(), "-f", "tq1_0", "-o", outDir.resolve("p.gguf").toString(),
                "-q"), in, magic ? "is neither a GGUF file nor an HF 2-bit checkpoint directory" : phrase);
    }

    @Test
    void theValidTwinsGoThrough() throws IOException {
        Path latent = BAD.resolve("valid-bitnet-latent");
        CliRun hf = CliRun.run("convert", latent.toString(), "-f", "hf-2bit", "-o", outDir.resolve("hf").toString(),
                "-q");
        assertEquals(ExitCodes.OK, hf.exitCode(), hf.toString());
        CliRun gguf = CliRun.run("convert", latent.toString(), "-f", "tq2_0", "--fallback", "f16",
                "-o", outDir.resolve("m.gguf").toString(), "-q");
        assertEquals(ExitCodes.OK, gguf.exitCode(), gguf.toString());
        for (Path model : List.of(latent, BAD.resolve("valid-hf-packed"), outDir.resolve("hf"),
                outDir.resolve("m.gguf"))) {
            CliRun v = CliRun.run("verify", model.toString(), "--tokens", tokens.toString(), "--ctx", "4", "-q");
            assertEquals(ExitCodes.OK, v.exitCode(), v.toString());
            assertTrue(v.out().startsWith("perplexity "), v.toString());
        }
    }

    /** Regression: inspect of any HF 2-bit directory failed (exit 1) on config.json's quantization_config object. */
    @Test
    void inspectShowsAnHfPackedConfig() {
        for (String entry : List.of("valid-hf-packed", "hf-packed-shape-contradicts-config")) {
            CliRun r = CliRun.run("inspect", BAD.resolve(entry).toString());
            assertEquals(ExitCodes.OK, r.exitCode(), r.toString());
            assertTrue(r.out().matches("(?s).*\\n  quantization_config +\\{quant_method=\"bitnet\","
                    + " linear_class=\"autobitlinear\", quantization_mode=\"offline\"\\}\\n.*"), r.out());
        }
    }
}
