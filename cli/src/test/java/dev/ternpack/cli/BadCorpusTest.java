package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code ternpack inspect} on every entry of testdata/bad (written by tools/make_bad_corpus.py): a malformed input
 * gives exit code 3 and exactly one stderr line {@code error: FILE: problem} naming the file at fault, with no
 * stack trace and nothing on stdout. The {@code valid-*} entries are edge cases that must be read.
 */
class BadCorpusTest {
    private static final Path BAD = CliRun.testdata("bad");

    /** Entry, the file the message must name (relative to the entry's directory, "" = the entry) and a phrase. */
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("empty.safetensors", "", "file is empty (0 bytes)"),
                Arguments.of("truncated-length.safetensors", "", "shorter than the 8-byte header length"),
                Arguments.of("header-past-eof.safetensors", "", "header length 1000 runs past the end of the file"),
                Arguments.of("header-absurd-length.safetensors", "", "header length 18446744073709551600 runs past"),
                Arguments.of("header-not-json.safetensors", "", "header is not valid JSON"),
                Arguments.of("header-not-object.safetensors", "", "header is a JSON array [1,2,3], expected a JSON object"),
                Arguments.of("header-bad-utf8.safetensors", "", "header is not valid UTF-8"),
                Arguments.of("unknown-dtype.safetensors", "", "tensor \"w\": unknown dtype \"Q4\""),
                Arguments.of("negative-offset.safetensors", "", "data_offsets begin is negative (-8)"),
                Arguments.of("overlapping-offsets.safetensors", "", "tensors \"a\" [0, 8) and \"b\" [4, 12) overlap"),
                Arguments.of("offsets-past-end.safetensors", "", "data_offsets [0, 16] run past the end of the data"),
                Arguments.of("misordered-offsets.safetensors", "", "data_offsets [8, 0] begin after end"),
                Arguments.of("size-mismatch.safetensors", "", "hold 8 bytes, but F32[3] needs 12"),
                Arguments.of("duplicate-name.safetensors", "", "tensor name \"w\" appears twice"),
                Arguments.of("index-dotdot", "model.safetensors.index.json", "leaves the checkpoint directory"),
                Arguments.of("index-absolute", "model.safetensors.index.json", "is an absolute path"),
                Arguments.of("index-missing-shard", "model.safetensors.index.json",
                        "shard \"b.safetensors\" named in weight_map is missing"),
                Arguments.of("index-tensor-in-two-shards", "model.safetensors.index.json",
                        "tensor \"a\" is in two shards, \"a.safetensors\" and \"b.safetensors\""),
                Arguments.of("config-missing-hidden-size", "config.json", "hidden_size is missing"),
                Arguments.of("config-hidden-not-divisible-by-heads", "config.json",
                        "hidden_size (10) is not divisible by num_attention_heads (4)"),
                Arguments.of("config-heads-not-divisible-by-kv-heads", "config.json",
                        "num_attention_heads (4) is not a multiple of num_key_value_heads (3)"),
                Arguments.of("tokenizer-not-json", "tokenizer.json", "is not valid JSON"),
                Arguments.of("tokenizer-unknown-model-type", "tokenizer.json",
                        "model.type \"SentencePieceMagic\" is not a tokenizer model"),
                Arguments.of("bad-magic.gguf", "", "bad magic 47 47 4d 4c (\"GGML\")"),
                Arguments.of("unsupported-version.gguf", "", "GGUF version 4 is newer than version 3"),
                Arguments.of("absurd-tensor-count.gguf", "", "tensor_count 4611686018427387904 cannot be right"),
                Arguments.of("absurd-kv-count.gguf", "", "metadata_kv_count 281474976710655 cannot be right"),
                Arguments.of("string-past-eof.gguf", "", "claims 1000000 bytes, but only 32 bytes remain"),
                Arguments.of("misaligned-tensor-offset.gguf", "", "offset 4 is not a multiple of the alignment 32"),
                Arguments.of("overlapping-tensors.gguf", "", "tensors \"a\" [0, 32) and \"b\" [0, 32) overlap"),
                Arguments.of("unknown-ggml-type.gguf", "", "unknown ggml type id 99"),
                Arguments.of("tensor-data-past-eof.gguf", "", "run past the end of the file (144 bytes)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInputIsOneLineAndExitCode3(String entry, String fileInEntry, String phrase) {
        Path path = BAD.resolve(entry);
        Path named = fileInEntry.isEmpty() ? path : path.resolve(fileInEntry);
        for (String[] extra : new String[][] {{}, {"--json"}, {"-q"}}) {
            String[] args = Stream.concat(Stream.of("inspect", path.toString()), Stream.of(extra))
                    .toArray(String[]::new);
            CliRun r = CliRun.run(args);
            assertEquals(ExitCodes.BAD_INPUT, r.exitCode(), r.toString());
            assertEquals("", r.out(), "nothing on stdout\n" + r);
            String[] lines = r.err().split("\n");
            assertEquals(1, lines.length, "exactly one line on stderr\n" + r);
            assertTrue(lines[0].startsWith("error: " + named + ": "), "names " + named + "\n" + r);
            assertTrue(lines[0].contains(phrase), "says: " + phrase + "\n" + r);
            assertFalse(r.err().contains("Exception"), "no exception name or stack trace\n" + r);
        }
    }

    @Test
    void stacktraceOnlyWhenAsked() {
        CliRun r = CliRun.run("inspect", BAD.resolve("bad-magic.gguf").toString(), "--stacktrace");
        assertEquals(ExitCodes.BAD_INPUT, r.exitCode(), r.toString());
        assertTrue(r.err().startsWith("error: " + BAD.resolve("bad-magic.gguf") + ": bad magic"), r.toString());
        assertTrue(r.err().contains("BadInputException") && r.err().contains("\tat "), r.toString());
    }

    @Test
    void zeroSizedAndScalarTensorsAreRead() {
        CliRun r = CliRun.run("inspect", BAD.resolve("valid-zero-sized-and-scalar.safetensors").toString(), "--json");
        assertEquals(ExitCodes.OK, r.exitCode(), r.toString());
        var tensors = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("tensors");
        // Ordered by data offset, ties in header order: empty [0, 0), scalar [0, 2), vector [2, 8).
        assertEquals("[{\"name\":\"empty\",\"type\":\"F32\",\"shape\":[0,4],\"bytes\":0},"
                + "{\"name\":\"scalar\",\"type\":\"BF16\",\"shape\":[],\"bytes\":2},"
                + "{\"name\":\"vector\",\"type\":\"F16\",\"shape\":[3],\"bytes\":6}]", tensors.toString());
        CliRun text = CliRun.run("inspect", BAD.resolve("valid-zero-sized-and-scalar.safetensors").toString());
        assertEquals(ExitCodes.OK, text.exitCode(), text.toString());
        assertTrue(text.out().matches("(?s).*\\n  empty +F32 +\\[0, 4\\] +0\\n.*"), text.out());
        assertTrue(text.out().matches("(?s).*\\n  scalar +BF16 +\\[\\] +2\\n.*"), text.out());
    }

    @Test
    void validShardedCheckpointIsRead() {
        CliRun r = CliRun.run("inspect", BAD.resolve("valid-sharded").toString(), "--json");
        assertEquals(ExitCodes.OK, r.exitCode(), r.toString());
        var report = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("[\"a.safetensors\",\"b.safetensors\"]", report.getAsJsonArray("files").toString());
        assertEquals(2, report.getAsJsonObject("total").get("tensors").getAsInt());
        assertEquals("BPE", report.getAsJsonObject("tokenizer").get("model_type").getAsString());
        assertEquals(1, report.getAsJsonObject("config").get("num_key_value_heads").getAsInt());
    }

    @Test
    void everyCorpusEntryHasACase() throws IOException {
        Set<String> covered = cases().map(a -> (String) a.get()[0]).collect(Collectors.toCollection(TreeSet::new));
        covered.add("valid-zero-sized-and-scalar.safetensors");
        covered.add("valid-sharded");
        covered.addAll(BadCheckpointCommandsTest.entries()); // read by convert / verify / pack there
        Set<String> present;
        try (Stream<Path> entries = Files.list(BAD)) {
            present = entries.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(present, covered);
    }

    @Test
    void missingPathIsBadInput() {
        Path missing = BAD.resolve("no-such-file.gguf");
        CliRun r = CliRun.run("inspect", missing.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.exitCode(), r.toString());
        assertEquals("error: " + missing + ": no such file or directory\n", r.err());
    }
}
