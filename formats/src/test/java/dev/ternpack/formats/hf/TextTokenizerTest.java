package dev.ternpack.formats.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ternpack.formats.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokenization through the tokenizers library against the fixtures' independently computed token ids. */
class TextTokenizerTest {
    @TempDir
    Path dir;

    static Path testdata(String... parts) {
        return Path.of(System.getProperty("ternpack.root"), "testdata").resolve(String.join("/", parts));
    }

    static Path fixtureTokenizer() {
        return testdata("models", "tiny-bitnet-relu2", "tokenizer.json");
    }

    @Test
    void encodesTheEvalSliceAsTheFixturesPythonAndTransformersJsEncodersDid() throws IOException {
        String text = Files.readString(testdata("text", "eval.txt"), StandardCharsets.UTF_8);
        String[] fields = Files.readString(testdata("text", "eval_tokens.txt")).trim().split(" ");
        int[] expected = new int[fields.length];
        for (int i = 0; i < fields.length; i++) {
            expected[i] = Integer.parseInt(fields[i]);
        }
        assertEquals(49_660, expected.length, "fixture README: the eval slice is 49,660 tokens");
        try (TextTokenizer tokenizer = TextTokenizer.load(fixtureTokenizer())) {
            int[] actual = tokenizer.encode(text);
            int n = Math.min(actual.length, expected.length);
            for (int i = 0; i < n; i++) {
                if (actual[i] != expected[i]) {
                    fail("first difference at token " + i + ": expected " + expected[i] + ", got " + actual[i]);
                }
            }
            assertEquals(expected.length, actual.length, "token count (no truncation at 512)");
            assertEquals(text, tokenizer.decode(actual), "decode(encode(eval.txt))");
        }
    }

    @Test
    void matchesSpecialTokensInTheText() {
        try (TextTokenizer tokenizer = TextTokenizer.load(fixtureTokenizer())) {
            // Fixture README: "<|begin_of_text|>Hello<|end_of_text|>" -> [998, 72, 414, 111, 999].
            int[] ids = tokenizer.encode("<|begin_of_text|>Hello<|end_of_text|>");
            assertArrayEquals(new int[] {998, 72, 414, 111, 999}, ids);
            assertEquals("<|begin_of_text|>Hello<|end_of_text|>", tokenizer.decode(ids));
            assertEquals(1000, tokenizer.vocabSize());
        }
    }

    @Test
    void roundTripsTextOutsideTheTrainingAlphabet() {
        try (TextTokenizer tokenizer = TextTokenizer.load(fixtureTokenizer())) {
            String text = "Grüße, 東京! \t tabs\r\nand  two  spaces \uD83E\uDD99 ";
            int[] ids = tokenizer.encode(text);
            // A byte-level vocabulary covers every byte: ids 0..255 are the bytes themselves.
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            assertTrue(ids.length <= utf8.length, ids.length + " tokens for " + utf8.length + " bytes");
            assertEquals(text, tokenizer.decode(ids));
        }
    }

    @Test
    void emptyTextHasNoTokens() {
        try (TextTokenizer tokenizer = TextTokenizer.load(fixtureTokenizer())) {
            assertEquals(0, tokenizer.encode("").length);
            assertEquals("", tokenizer.decode(new int[0]));
        }
    }

    @Test
    void refusesIdsOutsideTheVocabularyWhenDecoding() {
        try (TextTokenizer tokenizer = TextTokenizer.load(fixtureTokenizer())) {
            var e = assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {5, 1000}));
            assertTrue(e.getMessage().contains("1000 at position 1"), e.getMessage());
        }
    }

    @Test
    void missingFileIsBadInput() {
        Path missing = dir.resolve("tokenizer.json");
        var e = assertThrows(BadInputException.class, () -> TextTokenizer.load(missing));
        assertEquals(missing, e.file());
        assertEquals("no such file", e.problem());
    }

    @Test
    void malformedJsonIsBadInputNamingTheFile() throws IOException {
        Path file = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", ");
        var e = assertThrows(BadInputException.class, () -> TextTokenizer.load(file));
        assertEquals(file, e.file());
        assertTrue(e.problem().startsWith("is not valid JSON"), e.problem());
    }

    @Test
    void aFileOnlyTheLibraryRefusesIsBadInputWithItsReason() throws IOException {
        // Valid for ternpack's parser (an unknown stage type is kept as Other) but not for the tokenizers library.
        JsonObject json = JsonParser.parseString(Files.readString(fixtureTokenizer())).getAsJsonObject();
        json.getAsJsonObject("pre_tokenizer").addProperty("type", "NoSuchStage");
        Path file = Files.writeString(dir.resolve("tokenizer.json"), json.toString());
        TokenizerJson.read(file);
        var e = assertThrows(BadInputException.class, () -> TextTokenizer.load(file));
        assertEquals(file, e.file());
        assertTrue(e.problem().startsWith("the Hugging Face tokenizers library refused it: "), e.problem());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    /**
     * Runs a fresh JVM (SLF4J initializes once per JVM) that loads the tokenizer, and checks that SLF4J printed
     * nothing on stderr.
     */
    @Test
    void slf4jStaysQuietWithoutALoggingBackend() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), QuietTokenizerMain.class.getName(),
                fixtureTokenizer().toString()));
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.PIPE).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String stdout = new String(out, StandardCharsets.UTF_8);
        String stderr = new String(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "child exit code; stderr: " + stderr);
        assertEquals("998 72 414 111 999", stdout.trim());
        assertFalse(stderr.contains("SLF4J"), "stderr of the child JVM: " + stderr);
    }
}
