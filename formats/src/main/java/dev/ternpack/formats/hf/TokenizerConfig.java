package dev.ternpack.formats.hf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The parts of transformers' tokenizer_config.json that decide the special tokens: which token is BOS/EOS/UNK/PAD
 * and whether BOS/EOS are added to every encoding. A special token is written either as a string or as a
 * serialized {@code AddedToken} object ({@code {"__type": "AddedToken", "content": "<s>", ...}}); both give its
 * content here. {@code chat_template} and the other fields are ignored.
 *
 * @param bosToken content of {@code bos_token}, or null
 * @param eosToken content of {@code eos_token}, or null
 * @param unkToken content of {@code unk_token}, or null
 * @param padToken content of {@code pad_token}, or null
 * @param addBosToken {@code add_bos_token}, or null when the file does not say
 * @param addEosToken {@code add_eos_token}, or null when the file does not say
 * @param addedTokensDecoder {@code added_tokens_decoder} by id (empty when absent)
 * @param tokenizerClass {@code tokenizer_class}, or null
 */
public record TokenizerConfig(Path file, String bosToken, String eosToken, String unkToken, String padToken,
        Boolean addBosToken, Boolean addEosToken, Map<Integer, AddedToken> addedTokensDecoder, String tokenizerClass) {

    /** A tokenizer_config.json carrying a long chat template stays far below this. */
    private static final long MAX_BYTES = 64L << 20;

    public TokenizerConfig {
        addedTokensDecoder = java.util.Collections.unmodifiableMap(new TreeMap<>(addedTokensDecoder));
    }

    /** Reads a tokenizer_config.json. */
    public static TokenizerConfig read(Path tokenizerConfigJson) {
        JsonFile json = new JsonFile(tokenizerConfigJson);
        JsonObject o = json.readObject(MAX_BYTES);
        Map<Integer, AddedToken> decoder = new TreeMap<>();
        JsonElement d = JsonFile.optional(o, "added_tokens_decoder");
        if (d != null) {
            for (var entry : json.object(d, "added_tokens_decoder").entrySet()) {
                String where = "added_tokens_decoder[" + JsonFile.quote(entry.getKey()) + "]";
                int id;
                try {
                    id = Integer.parseInt(entry.getKey());
                } catch (NumberFormatException e) {
                    throw json.error(where + ": the key is not a token id");
                }
                if (id < 0 || id > TokenizerJson.MAX_TOKEN_ID) {
                    throw json.error(where + ": the key is not a token id from 0 to " + TokenizerJson.MAX_TOKEN_ID);
                }
                decoder.put(id, TokenizerJson.addedToken(json, entry.getValue(), where, id));
            }
        }
        String tokenizerClass = null;
        JsonElement c = JsonFile.optional(o, "tokenizer_class");
        if (c != null) {
            tokenizerClass = json.string(c, "tokenizer_class");
        }
        return new TokenizerConfig(tokenizerConfigJson, special(json, o, "bos_token"), special(json, o, "eos_token"),
                special(json, o, "unk_token"), special(json, o, "pad_token"), flag(json, o, "add_bos_token"),
                flag(json, o, "add_eos_token"), decoder, tokenizerClass);
    }

    /** Reads {@code tokenizer_config.json} from a checkpoint directory, or returns null when it has none. */
    public static TokenizerConfig readIfPresent(Path checkpointDir) {
        Path file = checkpointDir.resolve("tokenizer_config.json");
        return Files.exists(file) ? read(file) : null;
    }

    private static String special(JsonFile json, JsonObject o, String key) {
        JsonElement e = JsonFile.optional(o, key);
        if (e == null) {
            return null;
        }
        if (e.isJsonObject()) {
            JsonObject token = e.getAsJsonObject();
            return json.string(json.required(token, "content", key + ".content", "the token text"), key + ".content");
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            return e.getAsString();
        }
        throw json.error(key + " is " + JsonFile.describe(e) + ", expected a string or an AddedToken object");
    }

    private static Boolean flag(JsonFile json, JsonObject o, String key) {
        JsonElement e = JsonFile.optional(o, key);
        return e == null ? null : json.bool(e, key);
    }
}
