package dev.ternpack.convert.gguf;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small hand-made tokenizer.json shaped like Llama 2's (and 1bitLLM's): BPE with byte_fallback, {@code <unk>},
 * {@code <s>}, {@code </s>}, the 256 byte tokens {@code <0x00>..<0xFF>}, U+2581 pieces, and merges whose result
 * tokens follow in rank order, as a tokenizer.json converted from SentencePiece has them. The merges are chosen
 * so that merge order matters: in "other", {@code h e} (rank 1) must win over the leftmost pair {@code t h}
 * (rank 7).
 */
final class SpmTokenizerFixture {
    static final String SPACE = "\u2581";
    /** Characters, each a single-character piece, in id order after the byte tokens. */
    static final List<String> CHARACTERS = List.of(SPACE, "t", "h", "e", "a", "c", "s", "r", "n", "o");
    /** Merges in rank order; merge r produces the token with id FIRST_MERGED + r. */
    static final List<String[]> MERGES = List.of(
            new String[] {SPACE, "t"}, new String[] {"h", "e"}, new String[] {SPACE + "t", "he"},
            new String[] {"a", "t"}, new String[] {SPACE, "c"}, new String[] {SPACE + "c", "at"},
            new String[] {"e", "r"}, new String[] {"t", "h"}, new String[] {SPACE, "a"}, new String[] {"o", "n"},
            new String[] {SPACE + "a", "n"}, new String[] {SPACE, "s"}, new String[] {SPACE + "s", "t"},
            new String[] {"a", "r"}, new String[] {SPACE + "st", "ar"});
    static final int FIRST_CHARACTER = 3 + 256;
    static final int FIRST_MERGED = FIRST_CHARACTER + 10;
    static final int SIZE = FIRST_MERGED + 15;

    private SpmTokenizerFixture() {
    }

    /** Llama 2's legacy layout: Prepend + Replace normalizer, no pre-tokenizer. */
    static JsonObject legacy() {
        JsonObject o = base();
        o.add("normalizer", JsonParser.parseString("""
                {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                 {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}"""));
        o.add("pre_tokenizer", null);
        return o;
    }

    /** The newer layout (transformers legacy=false): Metaspace pre-tokenizer, no normalizer. */
    static JsonObject metaspace() {
        JsonObject o = base();
        o.add("normalizer", null);
        o.add("pre_tokenizer", JsonParser.parseString(
                "{\"type\": \"Metaspace\", \"replacement\": \"\u2581\", \"prepend_scheme\": \"first\", \"split\": false}"));
        return o;
    }

    static Path write(JsonObject tokenizer, Path file) throws IOException {
        return Files.writeString(file, tokenizer.toString());
    }

    private static JsonObject base() {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<unk>", 0);
        vocab.put("<s>", 1);
        vocab.put("</s>", 2);
        for (int b = 0; b < 256; b++) {
            vocab.put(String.format("<0x%02X>", b), 3 + b);
        }
        for (String c : CHARACTERS) {
            vocab.put(c, vocab.size());
        }
        JsonArray merges = new JsonArray();
        for (String[] m : MERGES) {
            vocab.put(m[0] + m[1], vocab.size());
            merges.add(m[0] + " " + m[1]);
        }
        JsonObject vocabJson = new JsonObject();
        vocab.forEach(vocabJson::addProperty);
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", null);
        model.addProperty("unk_token", "<unk>");
        model.add("continuing_subword_prefix", null);
        model.add("end_of_word_suffix", null);
        model.addProperty("fuse_unk", true);
        model.addProperty("byte_fallback", true);
        model.add("vocab", vocabJson);
        model.add("merges", merges);
        JsonObject o = new JsonObject();
        o.addProperty("version", "1.0");
        o.add("truncation", null);
        o.add("padding", null);
        JsonArray added = new JsonArray();
        String[] specials = {"<unk>", "<s>", "</s>"};
        for (int i = 0; i < 3; i++) {
            added.add(JsonParser.parseString("{\"id\": " + i + ", \"content\": \"" + specials[i] + "\", \"single_word\":"
                    + " false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}"));
        }
        o.add("added_tokens", added);
        o.add("post_processor", JsonParser.parseString("""
                {"type": "TemplateProcessing",
                 "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                 "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                          {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                 "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}"""));
        o.add("decoder", JsonParser.parseString("""
                {"type": "Sequence", "decoders": [
                  {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                  {"type": "ByteFallback"}, {"type": "Fuse"},
                  {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}"""));
        o.add("model", model);
        return o;
    }
}
