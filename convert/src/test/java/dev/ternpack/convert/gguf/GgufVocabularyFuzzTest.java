package dev.ternpack.convert.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.gguf.GgufValue;
import dev.ternpack.formats.hf.ModelConfig;
import dev.ternpack.formats.hf.TokenizerJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzz target for the tokenizer-metadata converter: any bytes as tokenizer.json, and whatever the parser accepts
 * turned into GGUF {@code tokenizer.ggml.*} metadata by {@link GgufVocabulary#build} against a BitNet config.json
 * whose vocab_size is the tokenizer's id count plus 0 to 3 (the first input byte picks it), so the padding path
 * runs too. The only acceptable outcomes are metadata or a {@link BadInputException}; anything else is a finding.
 * Without {@code JAZZER_FUZZ} the seeds in {@code GgufVocabularyFuzzTestInputs/vocabulary/} run as regression
 * tests (the formats tokenizer seeds plus a byte-level BPE one).
 */
class GgufVocabularyFuzzTest {
    private static final Path ROOT = Path.of(System.getProperty("ternpack.root"));
    private static Path dir;
    private static JsonObject config;

    @BeforeAll
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("ternpack-fuzz");
        config = JsonParser.parseString(Files.readString(
                ROOT.resolve("testdata/models/tiny-bitnet-relu2/config.json"))).getAsJsonObject();
    }

    @AfterAll
    static void deleteDir() throws IOException {
        Files.deleteIfExists(dir.resolve("tokenizer.json"));
        Files.deleteIfExists(dir.resolve("config.json"));
        Files.deleteIfExists(dir);
    }

    @FuzzTest(maxDuration = "5m")
    void vocabulary(byte[] content) {
        try {
            Files.write(dir.resolve("tokenizer.json"), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, GgufValue> metadata;
        try {
            TokenizerJson t = TokenizerJson.read(dir.resolve("tokenizer.json"));
            config.addProperty("vocab_size", Math.max(1, t.idCount()) + (content.length == 0 ? 0 : content[0] & 3));
            Files.writeString(dir.resolve("config.json"), config.toString());
            GgufVocabulary v = GgufVocabulary.build(t, null, ModelConfig.read(dir.resolve("config.json")));
            metadata = v.metadata();
            v.warnings().size();
        } catch (BadInputException e) {
            return;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        GgufValue tokens = metadata.get(GgufVocabulary.TOKENS);
        if (tokens == null) {
            throw new AssertionError("accepted a tokenizer but wrote no " + GgufVocabulary.TOKENS);
        }
        for (GgufValue value : metadata.values()) {
            value.toString();
            value.length();
        }
    }
}
