package dev.ternpack.formats.hf;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed view of a Hugging Face tokenizer.json (the tokenizers library's serialization): the model's
 * vocabulary and merges, the added tokens, and the pipeline stages around the model. It is what a GGUF writer
 * needs to describe the tokenizer to llama.cpp; {@link TextTokenizer} is what tokenizes text.
 *
 * <p>Rules, each as the tokenizers library applies them when it loads the file:
 * <ul>
 *   <li>{@code model.type} may be absent in old files; the type is then inferred from the fields present
 *       ({@code merges}: BPE; a vocab list: Unigram; {@code max_input_chars_per_word}: WordPiece; else
 *       WordLevel). An unknown type is not an error here: {@link #modelType()} is {@code UNKNOWN} and the
 *       vocabulary is left empty.</li>
 *   <li>Two vocabulary entries with one id are an error (the reverse vocabulary would lose one).</li>
 *   <li>Merges are {@code "a b"} strings (exactly one space) or, since transformers 4.45, {@code ["a", "b"]}
 *       pairs; both parts and the merged token must be in the vocabulary ({@code MergeTokenOutOfVocabulary}).
 *       With a {@code continuing_subword_prefix} the merged token drops that prefix from the right part.</li>
 *   <li>An added token's id may coincide with a vocabulary entry; {@link #token(int)} then answers the added
 *       token's content, as the library's id-to-token lookup does.</li>
 * </ul>
 */
public final class TokenizerJson {
    /** Larger than any real tokenizer.json (the largest public ones are tens of MB). */
    private static final long MAX_BYTES = 1L << 30;
    /**
     * Token ids at or above this are taken as corruption: the largest real vocabularies have ~260k entries, and
     * the reverse table is allocated up to the largest id.
     */
    public static final int MAX_TOKEN_ID = (1 << 24) - 1;

    private final Path file;
    private final TokenizerModelType modelType;
    private final String modelTypeName;
    private final Map<String, Integer> vocab;
    private final String[] vocabById;
    private final double[] unigramScores;
    private final List<BpeMerge> merges;
    private final boolean byteFallback;
    private final String unkToken;
    private final String continuingSubwordPrefix;
    private final boolean ignoreMerges;
    private final List<AddedToken> addedTokens;
    private final Map<Integer, AddedToken> addedById;
    private final TokenizerStage normalizer;
    private final TokenizerStage preTokenizer;
    private final TokenizerStage postProcessor;
    private final TokenizerStage decoder;

    private TokenizerJson(Builder b) {
        this.file = b.file;
        this.modelType = b.modelType;
        this.modelTypeName = b.modelTypeName;
        this.vocab = Collections.unmodifiableMap(b.vocab);
        this.vocabById = b.vocabById;
        this.unigramScores = b.unigramScores;
        this.merges = List.copyOf(b.merges);
        this.byteFallback = b.byteFallback;
        this.unkToken = b.unkToken;
        this.continuingSubwordPrefix = b.continuingSubwordPrefix;
        this.ignoreMerges = b.ignoreMerges;
        this.addedTokens = List.copyOf(b.addedTokens);
        Map<Integer, AddedToken> byId = new HashMap<>();
        for (AddedToken t : addedTokens) {
            byId.put(t.id(), t);
        }
        this.addedById = Collections.unmodifiableMap(byId);
        this.normalizer = b.normalizer;
        this.preTokenizer = b.preTokenizer;
        this.postProcessor = b.postProcessor;
        this.decoder = b.decoder;
    }

    public Path file() {
        return file;
    }

    public TokenizerModelType modelType() {
        return modelType;
    }

    /** {@code model.type} as written (or as inferred), also for an {@code UNKNOWN} type. */
    public String modelTypeName() {
        return modelTypeName;
    }

    /** The model's vocabulary, token to id (added tokens not included). */
    public Map<String, Integer> vocab() {
        return vocab;
    }

    /** The model vocabulary's token for an id, or null when the vocabulary has none. */
    public String vocabToken(int id) {
        return id >= 0 && id < vocabById.length ? vocabById[id] : null;
    }

    /** The token for an id: the added token's content if one has this id, else the vocabulary's, else null. */
    public String token(int id) {
        AddedToken added = addedById.get(id);
        return added != null ? added.content() : vocabToken(id);
    }

    /** The added token with this id, or null. */
    public AddedToken addedToken(int id) {
        return addedById.get(id);
    }

    /** One more than the largest id of the vocabulary and the added tokens: the rows an embedding needs. */
    public int idCount() {
        int max = vocabById.length - 1;
        for (AddedToken t : addedTokens) {
            max = Math.max(max, t.id());
        }
        return max + 1;
    }

    /** The id of a token (added tokens first, as the library looks them up), or null. */
    public Integer id(String token) {
        for (AddedToken t : addedTokens) {
            if (t.content().equals(token)) {
                return t.id();
            }
        }
        return vocab.get(token);
    }

    /** A Unigram model's log-probability of each id; null for other models. */
    public double[] unigramScores() {
        return unigramScores == null ? null : unigramScores.clone();
    }

    /** BPE merges in rank order; empty for other models. */
    public List<BpeMerge> merges() {
        return merges;
    }

    /** {@code model.byte_fallback}: unknown characters become {@code <0xXX>} byte tokens. */
    public boolean byteFallback() {
        return byteFallback;
    }

    /** {@code model.unk_token}, or null. */
    public String unkToken() {
        return unkToken;
    }

    /** {@code model.continuing_subword_prefix}, or null. */
    public String continuingSubwordPrefix() {
        return continuingSubwordPrefix;
    }

    /** {@code model.ignore_merges}: a pre-token that is itself in the vocabulary is not split (Llama 3). */
    public boolean ignoreMerges() {
        return ignoreMerges;
    }

    /** {@code added_tokens} in file order. */
    public List<AddedToken> addedTokens() {
        return addedTokens;
    }

    /** The {@code normalizer}, or null. */
    public TokenizerStage normalizer() {
        return normalizer;
    }

    /** The {@code pre_tokenizer}, or null. */
    public TokenizerStage preTokenizer() {
        return preTokenizer;
    }

    /** The {@code post_processor}, or null. */
    public TokenizerStage postProcessor() {
        return postProcessor;
    }

    /** The {@code decoder}, or null. */
    public TokenizerStage decoder() {
        return decoder;
    }

    /** Reads and checks a tokenizer.json. */
    public static TokenizerJson read(Path tokenizerJson) {
        JsonFile json = new JsonFile(tokenizerJson);
        JsonObject root = json.readObject(MAX_BYTES);
        Builder b = new Builder();
        b.file = tokenizerJson;
        JsonObject model = json.object(json.required(root, "model", "model", "the tokenizer model"), "model");
        b.modelTypeName = modelTypeName(json, model);
        b.modelType = TokenizerModelType.fromJsonName(b.modelTypeName);
        switch (b.modelType) {
            case BPE -> {
                readVocabObject(json, model, b);
                readMerges(json, model, b);
            }
            case WORD_PIECE, WORD_LEVEL -> readVocabObject(json, model, b);
            case UNIGRAM -> readUnigramVocab(json, model, b);
            case UNKNOWN -> b.vocabById = new String[0];
        }
        b.byteFallback = flag(json, model, "byte_fallback", "model.byte_fallback");
        b.ignoreMerges = flag(json, model, "ignore_merges", "model.ignore_merges");
        JsonElement unk = JsonFile.optional(model, "unk_token");
        if (unk != null) {
            b.unkToken = json.string(unk, "model.unk_token");
        }
        if (b.modelType == TokenizerModelType.UNIGRAM && JsonFile.optional(model, "unk_id") != null) {
            int unkId = json.integer(model.get("unk_id"), "model.unk_id");
            if (unkId < 0 || unkId >= b.vocabById.length) {
                throw json.error("model.unk_id is " + unkId + ", outside the vocabulary of " + b.vocabById.length);
            }
            b.unkToken = b.vocabById[unkId];
        }
        JsonElement prefix = JsonFile.optional(model, "continuing_subword_prefix");
        if (prefix != null) {
            b.continuingSubwordPrefix = json.string(prefix, "model.continuing_subword_prefix");
        }
        if (b.modelType == TokenizerModelType.BPE) {
            checkMerges(json, b);
        }
        readAddedTokens(json, root, b);
        b.normalizer = stage(json, root, "normalizer");
        b.preTokenizer = stage(json, root, "pre_tokenizer");
        b.postProcessor = stage(json, root, "post_processor");
        b.decoder = stage(json, root, "decoder");
        return new TokenizerJson(b);
    }

    private static String modelTypeName(JsonFile json, JsonObject model) {
        JsonElement type = JsonFile.optional(model, "type");
        if (type != null) {
            return json.string(type, "model.type");
        }
        // The library's untagged fallback, in the order it tries the variants.
        if (model.has("merges")) {
            return "BPE";
        }
        if (model.get("vocab") instanceof JsonArray) {
            return "Unigram";
        }
        if (model.has("max_input_chars_per_word")) {
            return "WordPiece";
        }
        return "WordLevel";
    }

    private static void readVocabObject(JsonFile json, JsonObject model, Builder b) {
        JsonObject vocab = json.object(json.required(model, "vocab", "model.vocab", "a token-to-id object"),
                "model.vocab");
        Map<String, Integer> map = new HashMap<>(vocab.size() * 2);
        int maxId = -1;
        for (var entry : vocab.entrySet()) {
            int id = tokenId(json, entry.getValue(), "model.vocab[" + JsonFile.quote(entry.getKey()) + "]");
            map.put(entry.getKey(), id);
            maxId = Math.max(maxId, id);
        }
        String[] byId = new String[maxId + 1];
        for (var entry : map.entrySet()) {
            String other = byId[entry.getValue()];
            if (other != null) {
                throw json.error("model.vocab gives id " + entry.getValue() + " to both " + JsonFile.quote(other)
                        + " and " + JsonFile.quote(entry.getKey()));
            }
            byId[entry.getValue()] = entry.getKey();
        }
        b.vocab = map;
        b.vocabById = byId;
    }

    private static void readUnigramVocab(JsonFile json, JsonObject model, Builder b) {
        JsonArray vocab = json.array(json.required(model, "vocab", "model.vocab", "a list of [piece, score]"),
                "model.vocab");
        if (vocab.size() > MAX_TOKEN_ID) {
            throw json.error("model.vocab has " + vocab.size() + " entries, more than " + MAX_TOKEN_ID);
        }
        String[] byId = new String[vocab.size()];
        double[] scores = new double[vocab.size()];
        Map<String, Integer> map = new HashMap<>(vocab.size() * 2);
        for (int i = 0; i < vocab.size(); i++) {
            String where = "model.vocab[" + i + "]";
            JsonArray entry = json.array(vocab.get(i), where);
            if (entry.size() != 2) {
                throw json.error(where + " has " + entry.size() + " elements, expected [piece, score]");
            }
            byId[i] = json.string(entry.get(0), where + "[0]");
            scores[i] = json.number(entry.get(1), where + "[1]");
            if (map.putIfAbsent(byId[i], i) != null) {
                throw json.error(where + " repeats the piece " + JsonFile.quote(byId[i]) + " of id " + map.get(byId[i]));
            }
        }
        b.vocab = map;
        b.vocabById = byId;
        b.unigramScores = scores;
    }

    private static void readMerges(JsonFile json, JsonObject model, Builder b) {
        JsonElement element = JsonFile.optional(model, "merges");
        if (element == null) {
            return;
        }
        JsonArray array = json.array(element, "model.merges");
        List<BpeMerge> merges = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String where = "model.merges[" + i + "]";
            JsonElement m = array.get(i);
            if (m instanceof JsonPrimitive p && p.isString()) {
                String s = p.getAsString();
                int space = s.indexOf(' ');
                if (space < 0 || s.indexOf(' ', space + 1) >= 0) {
                    throw json.error(where + " is " + JsonFile.quote(s) + ", expected two tokens separated by one"
                            + " space");
                }
                merges.add(new BpeMerge(s.substring(0, space), s.substring(space + 1)));
            } else if (m instanceof JsonArray pair) {
                if (pair.size() != 2) {
                    throw json.error(where + " has " + pair.size() + " elements, expected a pair [\"a\", \"b\"]");
                }
                merges.add(new BpeMerge(json.string(pair.get(0), where + "[0]"), json.string(pair.get(1), where + "[1]")));
            } else {
                throw json.error(where + " is " + JsonFile.describe(m) + ", expected \"a b\" or [\"a\", \"b\"]");
            }
        }
        b.merges = merges;
    }

    private static void checkMerges(JsonFile json, Builder b) {
        String prefix = b.continuingSubwordPrefix;
        for (int i = 0; i < b.merges.size(); i++) {
            BpeMerge m = b.merges.get(i);
            String right = prefix != null && m.right().startsWith(prefix) ? m.right().substring(prefix.length())
                    : m.right();
            for (String part : new String[] {m.left(), m.right(), m.left() + right}) {
                if (!b.vocab.containsKey(part)) {
                    throw json.error("model.merges[" + i + "] (" + JsonFile.quote(m.left()) + " + "
                            + JsonFile.quote(m.right()) + ") needs " + JsonFile.quote(part)
                            + ", which is not in model.vocab");
                }
            }
        }
    }

    private static void readAddedTokens(JsonFile json, JsonObject root, Builder b) {
        JsonElement element = JsonFile.optional(root, "added_tokens");
        if (element == null) {
            return;
        }
        JsonArray array = json.array(element, "added_tokens");
        Map<Integer, String> seen = new HashMap<>();
        for (int i = 0; i < array.size(); i++) {
            AddedToken token = addedToken(json, array.get(i), "added_tokens[" + i + "]", null);
            String before = seen.put(token.id(), token.content());
            if (before != null) {
                throw json.error("added_tokens gives id " + token.id() + " to both " + JsonFile.quote(before) + " and "
                        + JsonFile.quote(token.content()));
            }
            b.addedTokens.add(token);
        }
    }

    /** Parses an AddedToken object; {@code knownId} is the id when the object is keyed by it (tokenizer_config). */
    static AddedToken addedToken(JsonFile json, JsonElement element, String where, Integer knownId) {
        JsonObject o = json.object(element, where);
        int id = knownId != null ? knownId : tokenId(json, json.required(o, "id", where + ".id", "a token id"),
                where + ".id");
        String content = json.string(json.required(o, "content", where + ".content", "the token text"),
                where + ".content");
        boolean special = optionalFlag(json, o, "special", false, where);
        return new AddedToken(id, content, special, optionalFlag(json, o, "normalized", true, where),
                optionalFlag(json, o, "lstrip", false, where), optionalFlag(json, o, "rstrip", false, where),
                optionalFlag(json, o, "single_word", false, where));
    }

    private static boolean optionalFlag(JsonFile json, JsonObject o, String key, boolean absent, String where) {
        JsonElement e = JsonFile.optional(o, key);
        return e == null ? absent : json.bool(e, where + "." + key);
    }

    private static boolean flag(JsonFile json, JsonObject o, String key, String where) {
        JsonElement e = JsonFile.optional(o, key);
        return e != null && json.bool(e, where);
    }

    static int tokenId(JsonFile json, JsonElement e, String where) {
        int id = json.integer(e, where);
        if (id < 0 || id > MAX_TOKEN_ID) {
            throw json.error(where + " is " + id + ", expected a token id from 0 to " + MAX_TOKEN_ID);
        }
        return id;
    }

    private static TokenizerStage stage(JsonFile json, JsonObject root, String key) {
        JsonElement e = JsonFile.optional(root, key);
        return e == null ? null : TokenizerStages.parse(json, e, key);
    }

    @Override
    public String toString() {
        return "TokenizerJson[" + file + ", " + modelTypeName + ", " + vocab.size() + " tokens, " + merges.size()
                + " merges, " + addedTokens.size() + " added]";
    }

    /** Collects the fields while reading, so the parsed object is built once and never changes. */
    private static final class Builder {
        Path file;
        TokenizerModelType modelType;
        String modelTypeName;
        Map<String, Integer> vocab = Map.of();
        String[] vocabById = new String[0];
        double[] unigramScores;
        List<BpeMerge> merges = List.of();
        boolean byteFallback;
        String unkToken;
        String continuingSubwordPrefix;
        boolean ignoreMerges;
        List<AddedToken> addedTokens = new ArrayList<>();
        TokenizerStage normalizer;
        TokenizerStage preTokenizer;
        TokenizerStage postProcessor;
        TokenizerStage decoder;
    }
}
