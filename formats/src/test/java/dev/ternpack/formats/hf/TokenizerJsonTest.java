package dev.ternpack.formats.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.hf.TokenizerStage.ByteLevel;
import dev.ternpack.formats.hf.TokenizerStage.Metaspace;
import dev.ternpack.formats.hf.TokenizerStage.Sequence;
import dev.ternpack.formats.hf.TokenizerStage.Split;
import dev.ternpack.formats.hf.TokenizerStage.TemplateProcessing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenizer.json and tokenizer_config.json: the fixture, the other shapes in use, and each refusal. */
class TokenizerJsonTest {
    @TempDir
    Path dir;

    private static JsonObject fixtureJson() throws IOException {
        return JsonParser.parseString(Files.readString(TextTokenizerTest.fixtureTokenizer())).getAsJsonObject();
    }

    private Path edited(Consumer<JsonObject> edit) throws IOException {
        JsonObject o = fixtureJson();
        edit.accept(o);
        return Files.writeString(dir.resolve("tokenizer.json"), o.toString());
    }

    private static void assertRefused(Path file, String... phrases) {
        var e = assertThrows(BadInputException.class, () -> TokenizerJson.read(file));
        assertEquals(file, e.file());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        for (String phrase : phrases) {
            assertTrue(e.problem().contains(phrase), "expected '" + phrase + "' in: " + e.problem());
        }
    }

    @Test
    void readsTheFixtureAsTheFixturesReadmeDescribesIt() throws IOException {
        TokenizerJson t = TokenizerJson.read(TextTokenizerTest.fixtureTokenizer());
        JsonObject raw = fixtureJson();
        assertEquals(TokenizerModelType.BPE, t.modelType());
        assertEquals(998, t.vocab().size());
        assertEquals(1000, t.idCount());
        JsonObject vocab = raw.getAsJsonObject("model").getAsJsonObject("vocab");
        for (var e : vocab.entrySet()) {
            int id = e.getValue().getAsInt();
            assertEquals(e.getKey(), t.vocabToken(id), "vocab id " + id);
            assertEquals(id, t.vocab().get(e.getKey()));
        }
        JsonArray merges = raw.getAsJsonObject("model").getAsJsonArray("merges");
        assertEquals(742, t.merges().size());
        for (int i = 0; i < merges.size(); i++) {
            assertEquals(merges.get(i).getAsString(), t.merges().get(i).joined(), "merge " + i);
        }
        assertEquals("\u0120", t.vocabToken(32), "space is U+0120 at id 32");
        assertEquals("\u010A", t.vocabToken(10), "newline is U+010A at id 10");
        assertFalse(t.byteFallback());
        assertNull(t.unkToken());
        assertEquals(List.of(new AddedToken(998, "<|begin_of_text|>", true, false, false, false, false),
                new AddedToken(999, "<|end_of_text|>", true, false, false, false, false)), t.addedTokens());
        assertEquals("<|end_of_text|>", t.token(999));
        assertNull(t.vocabToken(999));
        assertEquals(998, t.id("<|begin_of_text|>"));
        assertNull(t.normalizer());
        assertEquals(new ByteLevel(false, true, true), t.preTokenizer());
        assertEquals(new ByteLevel(true, false, true), t.postProcessor());
        assertEquals(new ByteLevel(true, true, true), t.decoder());
    }

    @Test
    void acceptsThePairFormOfMerges() throws IOException {
        TokenizerJson strings = TokenizerJson.read(TextTokenizerTest.fixtureTokenizer());
        Path file = edited(o -> {
            JsonArray pairs = new JsonArray();
            for (JsonElement m : o.getAsJsonObject("model").getAsJsonArray("merges")) {
                String[] parts = m.getAsString().split(" ");
                JsonArray pair = new JsonArray();
                pair.add(parts[0]);
                pair.add(parts[1]);
                pairs.add(pair);
            }
            o.getAsJsonObject("model").add("merges", pairs);
        });
        assertEquals(strings.merges(), TokenizerJson.read(file).merges());
    }

    @Test
    void pairMergesMayContainSpaces() throws IOException {
        Path file = edited(o -> {
            JsonObject model = o.getAsJsonObject("model");
            model.getAsJsonObject("vocab").addProperty("a b", 1000);
            model.getAsJsonObject("vocab").addProperty("a bc", 1001);
            model.getAsJsonObject("vocab").addProperty("c", 1002);
            model.add("merges", JsonParser.parseString("[[\"a b\", \"c\"]]"));
            o.add("added_tokens", new JsonArray());
        });
        assertEquals(List.of(new BpeMerge("a b", "c")), TokenizerJson.read(file).merges());
    }

    @Test
    void readsLlama3StylePipelines() throws IOException {
        String regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        Path file = edited(o -> {
            JsonObject split = new JsonObject();
            split.addProperty("type", "Split");
            JsonObject pattern = new JsonObject();
            pattern.addProperty("Regex", regex);
            split.add("pattern", pattern);
            split.addProperty("behavior", "Isolated");
            split.addProperty("invert", false);
            JsonObject seq = new JsonObject();
            seq.addProperty("type", "Sequence");
            JsonArray members = new JsonArray();
            members.add(split);
            members.add(JsonParser.parseString(
                    "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":false}"));
            seq.add("pretokenizers", members);
            o.add("pre_tokenizer", seq);
            o.add("post_processor", JsonParser.parseString("""
                    {"type": "TemplateProcessing",
                     "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                                {"Sequence": {"id": "A", "type_id": 0}}],
                     "pair": [],
                     "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [998],
                                                              "tokens": ["<|begin_of_text|>"]}}}"""));
            o.getAsJsonObject("model").addProperty("ignore_merges", true);
        });
        TokenizerJson t = TokenizerJson.read(file);
        Sequence seq = assertInstanceOf(Sequence.class, t.preTokenizer());
        Split split = assertInstanceOf(Split.class, seq.members().get(0));
        assertTrue(split.pattern().regex());
        assertEquals(regex, split.pattern().text());
        assertEquals("Isolated", split.behavior());
        assertEquals(new ByteLevel(false, true, false), seq.members().get(1));
        assertEquals(3, seq.flatten().count());
        TemplateProcessing tp = assertInstanceOf(TemplateProcessing.class, t.postProcessor());
        assertTrue(tp.single().get(0).specialToken());
        assertEquals("<|begin_of_text|>", tp.single().get(0).id());
        assertEquals(List.of(998), tp.specialTokenIds().get("<|begin_of_text|>"));
        assertTrue(t.ignoreMerges());
    }

    @Test
    void readsBothMetaspaceSpellings() throws IOException {
        Path current = edited(o -> o.add("pre_tokenizer", JsonParser.parseString(
                "{\"type\":\"Metaspace\",\"replacement\":\"\u2581\",\"prepend_scheme\":\"first\",\"split\":false}")));
        assertEquals(new Metaspace("\u2581", "first", false), TokenizerJson.read(current).preTokenizer());
        Path old = edited(o -> o.add("pre_tokenizer", JsonParser.parseString(
                "{\"type\":\"Metaspace\",\"replacement\":\"\u2581\",\"add_prefix_space\":false}")));
        Metaspace m = assertInstanceOf(Metaspace.class, TokenizerJson.read(old).preTokenizer());
        assertEquals("never", m.prependScheme());
        assertTrue(m.split(), "tokenizers' default");
    }

    @Test
    void readsAUnigramVocabularyWithScores() throws IOException {
        Path file = Files.writeString(dir.resolve("tokenizer.json"), """
                {"model": {"type": "Unigram", "unk_id": 0, "byte_fallback": false,
                           "vocab": [["<unk>", 0.0], ["\u2581the", -3.5], ["s", -4.25]]}}""");
        TokenizerJson t = TokenizerJson.read(file);
        assertEquals(TokenizerModelType.UNIGRAM, t.modelType());
        assertEquals("<unk>", t.unkToken());
        assertEquals(1, t.vocab().get("\u2581the"));
        assertEquals(-4.25, t.unigramScores()[2]);
        assertEquals(List.of(), t.merges());
    }

    @Test
    void anUnknownModelTypeIsNotAnError() throws IOException {
        Path file = edited(o -> o.getAsJsonObject("model").addProperty("type", "FancyLM"));
        TokenizerJson t = TokenizerJson.read(file);
        assertEquals(TokenizerModelType.UNKNOWN, t.modelType());
        assertEquals("FancyLM", t.modelTypeName());
    }

    @Test
    void infersTheModelTypeWhenAbsent() throws IOException {
        Path file = edited(o -> o.getAsJsonObject("model").remove("type"));
        assertEquals(TokenizerModelType.BPE, TokenizerJson.read(file).modelType());
    }

    @Test
    void readsTokenizerConfigInBothTokenForms() throws IOException {
        TokenizerConfig fixture = TokenizerConfig.read(
                TextTokenizerTest.testdata("models", "tiny-bitnet-relu2", "tokenizer_config.json"));
        assertEquals("<|begin_of_text|>", fixture.bosToken());
        assertEquals("<|end_of_text|>", fixture.eosToken());
        assertEquals(Boolean.FALSE, fixture.addBosToken());
        assertEquals(Boolean.FALSE, fixture.addEosToken());
        assertEquals("PreTrainedTokenizerFast", fixture.tokenizerClass());
        assertEquals(new AddedToken(999, "<|end_of_text|>", true, false, false, false, false),
                fixture.addedTokensDecoder().get(999));
        Path llama2Style = Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"add_bos_token": true, "add_eos_token": false, "chat_template": "{{ x }}",
                 "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false, "normalized": false,
                               "rstrip": false, "single_word": false},
                 "eos_token": "</s>", "pad_token": null, "unk_token": "<unk>"}""");
        TokenizerConfig c = TokenizerConfig.read(llama2Style);
        assertEquals("<s>", c.bosToken());
        assertEquals("</s>", c.eosToken());
        assertEquals("<unk>", c.unkToken());
        assertNull(c.padToken());
        assertEquals(Boolean.TRUE, c.addBosToken());
        assertNull(TokenizerConfig.readIfPresent(dir.resolve("nowhere")));
    }

    // ---- refusals

    @Test
    void refusesTextThatIsNotJson() throws IOException {
        assertRefused(Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {'type': 'BPE'}}"),
                "is not valid JSON");
    }

    @Test
    void refusesAFileWithoutAModel() throws IOException {
        assertRefused(edited(o -> o.remove("model")), "model is missing, expected the tokenizer model");
    }

    @Test
    void refusesAVocabularyIdThatIsNotAnInteger() throws IOException {
        assertRefused(edited(o -> o.getAsJsonObject("model").getAsJsonObject("vocab").addProperty("he", "7")),
                "model.vocab['he'] is a JSON string \"7\", expected an integer");
        assertRefused(edited(o -> o.getAsJsonObject("model").getAsJsonObject("vocab").addProperty("he", -1)),
                "model.vocab['he'] is -1, expected a token id from 0 to 16777215");
    }

    @Test
    void refusesTwoTokensWithOneId() throws IOException {
        assertRefused(edited(o -> o.getAsJsonObject("model").getAsJsonObject("vocab").addProperty("zzz", 5)),
                "model.vocab gives id 5 to both");
    }

    @Test
    void refusesAMergeStringWithoutExactlyOneSpace() throws IOException {
        assertRefused(edited(o -> o.getAsJsonObject("model").getAsJsonArray("merges").set(3, JsonParser.parseString(
                "\"ou\""))), "model.merges[3] is 'ou', expected two tokens separated by one space");
        assertRefused(edited(o -> o.getAsJsonObject("model").getAsJsonArray("merges").set(3, JsonParser.parseString(
                "[\"o\"]"))), "model.merges[3] has 1 elements");
    }

    @Test
    void refusesAMergeWhosePartsOrResultAreNotInTheVocabulary() throws IOException {
        assertRefused(edited(o -> o.getAsJsonObject("model").getAsJsonObject("vocab").remove("he")),
                "model.merges[1] ('h' + 'e') needs 'he', which is not in model.vocab");
    }

    @Test
    void refusesAnAddedTokenWithoutContentOrWithADuplicateId() throws IOException {
        assertRefused(edited(o -> o.getAsJsonArray("added_tokens").get(0).getAsJsonObject().remove("content")),
                "added_tokens[0].content is missing");
        assertRefused(edited(o -> o.getAsJsonArray("added_tokens").get(1).getAsJsonObject().addProperty("id", 998)),
                "added_tokens gives id 998 to both '<|begin_of_text|>' and '<|end_of_text|>'");
    }

    @Test
    void refusesAStageWithoutTypeOrWithABadField() throws IOException {
        assertRefused(edited(o -> o.getAsJsonObject("pre_tokenizer").remove("type")), "pre_tokenizer.type is missing");
        assertRefused(edited(o -> o.getAsJsonObject("pre_tokenizer").addProperty("use_regex", 1)),
                "pre_tokenizer.use_regex is the number 1, expected true or false");
        assertRefused(edited(o -> o.add("pre_tokenizer", JsonParser.parseString(
                "{\"type\":\"Metaspace\",\"prepend_scheme\":\"sometimes\"}"))), "pre_tokenizer.prepend_scheme is 'sometimes'");
    }

    @Test
    void refusesAMalformedTokenizerConfig() throws IOException {
        Path file = Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": 1}");
        var e = assertThrows(BadInputException.class, () -> TokenizerConfig.read(file));
        assertEquals("bos_token is the number 1, expected a string or an AddedToken object", e.problem());
        Path badKey = Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"added_tokens_decoder\": {\"x\": {\"content\": \"<s>\"}}}");
        e = assertThrows(BadInputException.class, () -> TokenizerConfig.read(badKey));
        assertEquals("added_tokens_decoder['x']: the key is not a token id", e.problem());
    }
}
