package dev.ternpack.convert.gguf;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.gguf.GgufValue;
import dev.ternpack.formats.hf.AddedToken;
import dev.ternpack.formats.hf.BpeMerge;
import dev.ternpack.formats.hf.ModelConfig;
import dev.ternpack.formats.hf.TokenizerConfig;
import dev.ternpack.formats.hf.TokenizerJson;
import dev.ternpack.formats.hf.TokenizerModelType;
import dev.ternpack.formats.hf.TokenizerStage;
import dev.ternpack.formats.hf.TokenizerStage.ByteLevel;
import dev.ternpack.formats.hf.TokenizerStage.Metaspace;
import dev.ternpack.formats.hf.TokenizerStage.Prepend;
import dev.ternpack.formats.hf.TokenizerStage.Replace;
import dev.ternpack.formats.hf.TokenizerStage.Split;
import dev.ternpack.formats.hf.TokenizerStage.TemplatePiece;
import dev.ternpack.formats.hf.TokenizerStage.TemplateProcessing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SequencedMap;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code tokenizer.ggml.*} metadata that lets llama.cpp tokenize as the Hugging Face tokenizer does, built
 * from a tokenizer.json (plus tokenizer_config.json and config.json for the special tokens).
 *
 * <p>Two kinds of vocabulary are written; anything else (Unigram, WordPiece, WordLevel, BPE without byte-level
 * or SentencePiece whitespace handling) is refused as not supported yet.
 * <ul>
 *   <li><b>gpt2</b> (byte-level BPE): tokens by id, token types, merges in rank order, and
 *       {@code tokenizer.ggml.pre}. As in llama.cpp's converter ({@code get_vocab_base}): ids without a token
 *       up to config.json's {@code vocab_size} become {@code [PAD<id>]} of type UNUSED; added tokens that are
 *       special, or look special ({@code <|...|>} and the few names the converter lists), are CONTROL; other
 *       added tokens are USER_DEFINED with U+2581 written as a space; the rest are NORMAL. The converter also
 *       re-encodes non-normalized added tokens to normalize them; ternpack writes them as they are (a round
 *       trip through a byte-level tokenizer leaves them unchanged).</li>
 *   <li><b>llama</b> (BPE with {@code byte_fallback} and SentencePiece's U+2581 whitespace, Llama 2 and 1bitLLM
 *       files without a tokenizer.model): tokens as in the vocabulary, scores, token types ({@code <0xXX>} BYTE,
 *       the unk token UNKNOWN, special added tokens CONTROL), {@code add_space_prefix}, no merges.</li>
 * </ul>
 *
 * <p><b>Scores of a llama vocabulary.</b> llama.cpp's SPM tokenizer starts from single characters and repeatedly
 * merges the adjacent pair whose concatenation is a token with the highest score (ties: leftmost), looking the
 * pair up by text. Hugging Face's BPE applies the listed merge of lowest rank (ties: leftmost). llama.cpp's own
 * converter for such files ({@code LlamaHfVocab}) writes the placeholder score -1000 for every token, so its SPM
 * tokenizer merges left to right instead of by rank. ternpack writes {@code score = -(1 + rank)} for a token
 * first produced by the merge of that rank, which orders the SPM merges exactly as the BPE ranks. Other tokens:
 * 0 for byte, unknown, control and user-defined tokens (as SentencePiece scores its special pieces), and
 * {@code -(1 + number of merges)} for the rest (single characters, which are never formed by a merge). The two
 * algorithms still differ where the SPM lookup can form a token from a pair the merge list does not contain, can
 * reach a multi-character token that no merge produces, or meets a token made by several merges that are not
 * ranked together; each is counted and reported as a warning. A tokenizer.json converted from SentencePiece
 * (transformers' {@code SentencePieceExtractor}) lists every split of a token as a merge, together, so none
 * applies; for such a file the scores reproduce the original SentencePiece order. (Checked by hand with
 * llama.cpp's {@code llama-tokenize}, February 2025 build: for the Llama 2 vocabulary of its
 * {@code models/ggml-vocab-llama-spm.gguf} rebuilt as such a tokenizer.json, these scores gave the Hugging Face
 * token ids on all 210 test strings; the placeholder -1000 on 29 of 163.)
 *
 * <p><b>Pre-tokenizer.</b> llama.cpp's converter names the pre-tokenizer by hashing the token ids of a fixed
 * test string and looking the hash up in a table of known models; that needs the tokenizer to run and a table
 * that only grows. ternpack reads the pre-tokenizer configuration instead: a ByteLevel stage splitting with its
 * built-in GPT-2 regex (or a Split with that exact regex) is {@code gpt-2}; a Split with the Llama 3 regex
 * followed by a ByteLevel stage without regex is {@code llama-bpe}. Anything else is refused (written without
 * {@code tokenizer.ggml.pre}, llama.cpp tokenizes with a different default regex and only warns), unless the
 * caller names the llama.cpp pre-tokenizer explicitly; then a warning says it was not checked.
 *
 * <p><b>Special tokens.</b> As gguf-py's {@code SpecialVocab}: tokenizer_config.json's {@code bos_token} etc.
 * (looked up among the added tokens, then the vocabulary) win over config.json's {@code *_token_id}; when
 * neither names BOS (EOS), the special token that starts (ends) the post-processor's template is taken;
 * {@code add_bos_token}/{@code add_eos_token} come from tokenizer_config.json, else from a
 * {@code TemplateProcessing} post-processor, else false. They are always written, because llama.cpp's default
 * differs by pre-tokenizer (true for llama-bpe).
 *
 * @param model the vocabulary kind
 * @param pre the {@code tokenizer.ggml.pre} value written
 * @param metadata the {@code tokenizer.ggml.*} keys in the order a GGUF writer should write them (unmodifiable)
 * @param warnings what may make llama.cpp tokenize differently, for the report
 */
public record GgufVocabulary(GgufTokenizerModel model, String pre, SequencedMap<String, GgufValue> metadata,
        List<String> warnings) {

    public static final String MODEL = "tokenizer.ggml.model";
    public static final String PRE = "tokenizer.ggml.pre";
    public static final String TOKENS = "tokenizer.ggml.tokens";
    public static final String SCORES = "tokenizer.ggml.scores";
    public static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    public static final String MERGES = "tokenizer.ggml.merges";
    public static final String BOS_ID = "tokenizer.ggml.bos_token_id";
    public static final String EOS_ID = "tokenizer.ggml.eos_token_id";
    public static final String UNK_ID = "tokenizer.ggml.unknown_token_id";
    public static final String PAD_ID = "tokenizer.ggml.padding_token_id";
    public static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    public static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    public static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";

    /** The pre-tokenizer names of llama.cpp's {@code llama-vocab.cpp} that ternpack can recognise. */
    public static final String PRE_GPT2 = "gpt-2";
    public static final String PRE_LLAMA_BPE = "llama-bpe";
    /** What llama.cpp's converter writes for SentencePiece vocabularies. */
    public static final String PRE_DEFAULT = "default";

    /** GPT-2's pre-tokenization regex, built into the tokenizers library's ByteLevel stage. */
    public static final String GPT2_REGEX =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    /** Llama 3's (and microsoft/bitnet-b1.58-2B-4T's) Split regex. */
    public static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final String SPM_SPACE = "\u2581";
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");
    private static final int SHOWN_EXAMPLES = 3;

    public GgufVocabulary {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(pre, "pre");
        metadata = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(metadata));
        warnings = List.copyOf(warnings);
    }

    /** Builds the vocabulary metadata, naming the pre-tokenizer from the tokenizer's configuration. */
    public static GgufVocabulary build(TokenizerJson tokenizer, TokenizerConfig tokenizerConfig,
            ModelConfig modelConfig) {
        return build(tokenizer, tokenizerConfig, modelConfig, null);
    }

    /**
     * Builds the vocabulary metadata.
     *
     * @param tokenizerConfig null when the checkpoint has no tokenizer_config.json
     * @param modelConfig null to size the vocabulary by the tokenizer alone
     * @param forcedPre a llama.cpp pre-tokenizer name to write instead of the recognised one (gpt2 vocabularies
     *     only), or null
     */
    public static GgufVocabulary build(TokenizerJson tokenizer, TokenizerConfig tokenizerConfig,
            ModelConfig modelConfig, String forcedPre) {
        return new Builder(tokenizer, tokenizerConfig, modelConfig).build(forcedPre);
    }

    /** The {@code tokenizer.ggml.tokens} strings. */
    public List<String> tokens() {
        return metadata.get(TOKENS).asStrings();
    }

    /** The {@code tokenizer.ggml.token_type} values. */
    public int[] tokenTypes() {
        return ((int[]) metadata.get(TOKEN_TYPE).value()).clone();
    }

    /**
     * Whether llama.cpp's converter would take {@code token} for a control token although the tokenizer does
     * not mark it special ({@code does_token_look_special}).
     */
    static boolean looksSpecial(String token) {
        return token.equals("<pad>") || token.equals("<mask>") || token.equals("<2mass>") || token.equals("[@BOS@]")
                || (token.startsWith("<|") && token.endsWith("|>"))
                || (token.startsWith("<\uFF5C") && token.endsWith("\uFF5C>"))
                || (token.startsWith("<unused") && token.endsWith(">"));
    }

    /** The state of one build: the inputs, the ids found so far and the warnings. */
    private static final class Builder {
        private final TokenizerJson tokenizer;
        private final TokenizerConfig tokenizerConfig;
        private final ModelConfig modelConfig;
        private final List<String> warnings = new ArrayList<>();
        private final SequencedMap<String, GgufValue> metadata = new LinkedHashMap<>();
        private int count;

        Builder(TokenizerJson tokenizer, TokenizerConfig tokenizerConfig, ModelConfig modelConfig) {
            this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
            this.tokenizerConfig = tokenizerConfig;
            this.modelConfig = modelConfig;
        }

        private BadInputException refuse(String problem) {
            return new BadInputException(tokenizer.file(), problem);
        }

        GgufVocabulary build(String forcedPre) {
            GgufTokenizerModel model = classify();
            count = idCount();
            return switch (model) {
                case GPT2 -> gpt2(forcedPre);
                case LLAMA -> {
                    if (forcedPre != null) {
                        warnings.add("the pre-tokenizer name " + forcedPre + " was ignored: a llama (SentencePiece)"
                                + " vocabulary has no pre-tokenizer");
                    }
                    yield llama();
                }
            };
        }

        private GgufTokenizerModel classify() {
            if (tokenizer.modelType() != TokenizerModelType.BPE) {
                throw refuse("tokenizer model type " + tokenizer.modelTypeName() + " is not supported yet: ternpack"
                        + " writes GGUF vocabularies for byte-level BPE (gpt2) and SentencePiece-style BPE with byte"
                        + " fallback (llama)");
            }
            boolean byteLevel = stages(tokenizer.preTokenizer()).anyMatch(s -> s instanceof ByteLevel);
            boolean metaspace = stages(tokenizer.preTokenizer()).anyMatch(s -> s instanceof Metaspace);
            boolean spmNormalizer = stages(tokenizer.normalizer()).anyMatch(s ->
                    (s instanceof Replace r && !r.pattern().regex() && r.pattern().text().equals(" ")
                            && r.content().equals(SPM_SPACE))
                    || (s instanceof Prepend p && p.prepend().equals(SPM_SPACE)));
            if (!tokenizer.byteFallback() && byteLevel && !metaspace) {
                return GgufTokenizerModel.GPT2;
            }
            if (tokenizer.byteFallback() && !byteLevel && (metaspace || spmNormalizer)) {
                return GgufTokenizerModel.LLAMA;
            }
            throw refuse("BPE with byte_fallback " + tokenizer.byteFallback() + ", pre_tokenizer "
                    + describe(tokenizer.preTokenizer()) + " and normalizer " + describe(tokenizer.normalizer())
                    + " is neither byte-level BPE (ByteLevel, no byte fallback) nor SentencePiece-style BPE (byte"
                    + " fallback with U+2581 spaces); not supported yet");
        }

        /** One more than the largest id, widened to config.json's vocab_size as llama.cpp's converter does. */
        private int idCount() {
            int ids = tokenizer.idCount();
            if (modelConfig == null) {
                return ids;
            }
            if (modelConfig.vocabSize() < ids) {
                throw refuse("has token id " + (ids - 1) + " but " + modelConfig.file() + " says vocab_size "
                        + modelConfig.vocabSize() + ": the embedding has no row for it");
            }
            if (modelConfig.vocabSize() > ids) {
                warnings.add((modelConfig.vocabSize() - ids) + " ids from " + ids + " to " + (modelConfig.vocabSize() - 1)
                        + " have no token (config.json vocab_size " + modelConfig.vocabSize()
                        + "); they are written as [PAD<id>] of type unused");
            }
            return modelConfig.vocabSize();
        }

        // ---- gpt2

        private GgufVocabulary gpt2(String forcedPre) {
            String pre = gpt2Pre(forcedPre);
            List<String> tokens = new ArrayList<>(count);
            int[] types = new int[count];
            for (int id = 0; id < count; id++) {
                AddedToken added = tokenizer.addedToken(id);
                String vocabToken = tokenizer.vocabToken(id);
                if (added != null) {
                    if (vocabToken != null && !vocabToken.equals(added.content())) {
                        warnings.add("id " + id + " is " + quote(vocabToken) + " in the vocabulary and "
                                + quote(added.content()) + " as an added token; the added token is written");
                    }
                    if (added.special() || looksSpecial(added.content())) {
                        tokens.add(added.content());
                        types[id] = GgufTokenType.CONTROL.id();
                    } else {
                        // llama.cpp matches user-defined tokens in raw text, where spaces are still spaces.
                        tokens.add(added.content().replace(SPM_SPACE, " "));
                        types[id] = GgufTokenType.USER_DEFINED.id();
                    }
                } else if (vocabToken != null) {
                    tokens.add(vocabToken);
                    types[id] = GgufTokenType.NORMAL.id();
                } else {
                    tokens.add("[PAD" + id + "]");
                    types[id] = GgufTokenType.UNUSED.id();
                }
            }
            List<String> merges = new ArrayList<>(tokenizer.merges().size());
            for (int rank = 0; rank < tokenizer.merges().size(); rank++) {
                BpeMerge m = tokenizer.merges().get(rank);
                // llama.cpp splits "a b" at the first space after the first character.
                if (m.left().isEmpty() || m.left().indexOf(' ', 1) >= 0) {
                    throw refuse("model.merges[" + rank + "] (" + quote(m.left()) + " + " + quote(m.right())
                            + ") cannot be written as GGUF's \"a b\": llama.cpp would split it at another space");
                }
                merges.add(m.joined());
            }
            if (tokenizer.normalizer() != null) {
                warnings.add("the normalizer " + describe(tokenizer.normalizer())
                        + " is not applied by llama.cpp's BPE tokenizer");
            }
            checkTokenTexts(tokens);
            metadata.put(MODEL, GgufValue.string(GgufTokenizerModel.GPT2.ggufName()));
            metadata.put(PRE, GgufValue.string(pre));
            metadata.put(TOKENS, GgufValue.strings(tokens));
            metadata.put(TOKEN_TYPE, GgufValue.i32s(types));
            metadata.put(MERGES, GgufValue.strings(merges));
            specialTokens();
            return new GgufVocabulary(GgufTokenizerModel.GPT2, pre, metadata, warnings);
        }

        private String gpt2Pre(String forcedPre) {
            String recognised = recognisePre();
            if (forcedPre != null) {
                if (!forcedPre.equals(recognised)) {
                    warnings.add("tokenizer.ggml.pre is " + forcedPre + " as asked"
                            + (recognised == null ? "; ternpack cannot check it against pre_tokenizer "
                                    + describe(tokenizer.preTokenizer())
                                    : ", although the pre_tokenizer looks like " + recognised));
                }
                return forcedPre;
            }
            if (recognised == null) {
                throw refuse("pre_tokenizer " + describe(tokenizer.preTokenizer()) + " is not one ternpack can name"
                        + " for llama.cpp (it knows ByteLevel with the GPT-2 regex -> gpt-2, and Split with the"
                        + " Llama 3 regex then ByteLevel -> llama-bpe); name the llama.cpp pre-tokenizer explicitly if"
                        + " you know it");
            }
            return recognised;
        }

        /** gpt-2, llama-bpe, or null; adds warnings for settings llama.cpp does not follow. */
        private String recognisePre() {
            List<TokenizerStage> stages = stages(tokenizer.preTokenizer())
                    .filter(s -> !(s instanceof TokenizerStage.Sequence)).toList();
            String pre = null;
            ByteLevel byteLevel = null;
            if (stages.size() == 1 && stages.getFirst() instanceof ByteLevel b && b.useRegex()) {
                pre = PRE_GPT2;
                byteLevel = b;
            } else if (stages.size() == 2 && stages.get(0) instanceof Split s && stages.get(1) instanceof ByteLevel b
                    && !b.useRegex() && s.pattern().regex() && !s.invert() && "Isolated".equals(s.behavior())) {
                if (s.pattern().text().equals(GPT2_REGEX)) {
                    pre = PRE_GPT2;
                } else if (s.pattern().text().equals(LLAMA3_REGEX)) {
                    pre = PRE_LLAMA_BPE;
                }
                byteLevel = b;
            }
            if (pre == null) {
                return null;
            }
            if (byteLevel.addPrefixSpace()) {
                warnings.add("the ByteLevel pre-tokenizer adds a space before the text (add_prefix_space); llama.cpp"
                        + " does not, so the first word may be tokenized differently");
            }
            // llama.cpp's llama-bpe tokenizer takes a pre-token that is itself a token whole; gpt-2 always merges.
            if (pre.equals(PRE_LLAMA_BPE) && !tokenizer.ignoreMerges()) {
                warnings.add("llama.cpp's llama-bpe pre-tokenizer ignores merges for pre-tokens in the vocabulary,"
                        + " but this tokenizer.json has ignore_merges false");
            } else if (pre.equals(PRE_GPT2) && tokenizer.ignoreMerges()) {
                warnings.add("this tokenizer.json has ignore_merges true, which llama.cpp's gpt-2 pre-tokenizer does"
                        + " not do");
            }
            return pre;
        }

        // ---- llama (SentencePiece-style)

        private GgufVocabulary llama() {
            for (int b = 0; b < 256; b++) {
                String name = String.format("<0x%02X>", b);
                if (!tokenizer.vocab().containsKey(name)) {
                    throw refuse("byte_fallback is true but " + name + " is not in the vocabulary; llama.cpp's"
                            + " SentencePiece tokenizer needs all 256 byte tokens <0x00>..<0xFF>");
                }
            }
            boolean addSpacePrefix = spaceHandling();
            List<BpeMerge> merges = tokenizer.merges();
            Map<String, Integer> firstRank = new HashMap<>();
            Set<String> pairs = new HashSet<>();
            for (int rank = 0; rank < merges.size(); rank++) {
                BpeMerge m = merges.get(rank);
                firstRank.putIfAbsent(m.left() + m.right(), rank);
                pairs.add(m.left() + "\u0000" + m.right());
            }
            String unk = tokenizer.unkToken();
            List<String> tokens = new ArrayList<>(count);
            float[] scores = new float[count];
            int[] types = new int[count];
            float lowest = -(1f + merges.size());
            List<String> unreachable = new ArrayList<>();
            int unreachableCount = 0;
            for (int id = 0; id < count; id++) {
                AddedToken added = tokenizer.addedToken(id);
                String vocabToken = tokenizer.vocabToken(id);
                if (added != null && !(vocabToken != null && vocabToken.equals(unk))) {
                    if (added.special() || looksSpecial(added.content())) {
                        tokens.add(added.content());
                        types[id] = GgufTokenType.CONTROL.id();
                    } else {
                        tokens.add(added.content().replace(SPM_SPACE, " "));
                        types[id] = GgufTokenType.USER_DEFINED.id();
                    }
                    scores[id] = 0f;
                } else if (vocabToken != null) {
                    tokens.add(vocabToken);
                    Integer rank = firstRank.get(vocabToken);
                    if (vocabToken.equals(unk)) {
                        types[id] = GgufTokenType.UNKNOWN.id();
                    } else if (BYTE_TOKEN.matcher(vocabToken).matches()) {
                        types[id] = GgufTokenType.BYTE.id();
                    } else {
                        types[id] = GgufTokenType.NORMAL.id();
                        if (rank != null) {
                            scores[id] = -(1f + rank);
                        } else {
                            scores[id] = lowest;
                            if (vocabToken.codePointCount(0, vocabToken.length()) > 1) {
                                unreachableCount++;
                                if (unreachable.size() < SHOWN_EXAMPLES) {
                                    unreachable.add(quote(vocabToken));
                                }
                            }
                        }
                    }
                } else {
                    tokens.add("[PAD" + id + "]");
                    types[id] = GgufTokenType.UNUSED.id();
                    scores[id] = lowest;
                }
            }
            if (unreachableCount > 0) {
                warnings.add(unreachableCount + " multi-character tokens are produced by no merge (e.g. "
                        + String.join(", ", unreachable) + "); llama.cpp's SPM tokenizer can still form them");
            }
            unlistedSplits(pairs);
            interleavedRanks();
            checkTokenTexts(tokens);
            metadata.put(MODEL, GgufValue.string(GgufTokenizerModel.LLAMA.ggufName()));
            metadata.put(PRE, GgufValue.string(PRE_DEFAULT));
            metadata.put(TOKENS, GgufValue.strings(tokens));
            metadata.put(SCORES, GgufValue.f32s(scores));
            metadata.put(TOKEN_TYPE, GgufValue.i32s(types));
            specialTokens();
            metadata.put(ADD_SPACE_PREFIX, GgufValue.bool(addSpacePrefix));
            return new GgufVocabulary(GgufTokenizerModel.LLAMA, PRE_DEFAULT, metadata, warnings);
        }

        /** Whether U+2581 is prepended to the text; refuses a replacement other than U+2581. */
        private boolean spaceHandling() {
            boolean prepend = stages(tokenizer.normalizer())
                    .anyMatch(s -> s instanceof Prepend p && p.prepend().equals(SPM_SPACE));
            for (TokenizerStage s : stages(tokenizer.preTokenizer()).toList()) {
                if (s instanceof Metaspace m) {
                    if (!m.replacement().equals(SPM_SPACE)) {
                        throw refuse("the Metaspace replacement is " + quote(m.replacement())
                                + "; llama.cpp's SentencePiece tokenizer always uses U+2581");
                    }
                    prepend |= m.prepends();
                    if (m.split()) {
                        warnings.add("the Metaspace pre-tokenizer splits the text at each U+2581 (split true);"
                                + " llama.cpp's SentencePiece tokenizer does not split");
                    }
                    if (m.prepends()) {
                        // tokenizers' Metaspace skips the prefix when the text already starts with U+2581.
                        warnings.add("the Metaspace pre-tokenizer adds U+2581 only when the text does not start with"
                                + " a space" + (m.prependScheme().equals("first") ? " and only at the start of the"
                                + " text (prepend_scheme first)" : "") + "; llama.cpp adds it always"
                                + (m.prependScheme().equals("first") ? ", also after each special token" : ""));
                    }
                }
            }
            return prepend;
        }

        /**
         * Counts tokens that the SPM lookup can form from two tokens whose pair is not a listed merge (so Hugging
         * Face never merges that pair): a possible difference between the two tokenizers.
         */
        private void unlistedSplits(Set<String> pairs) {
            int found = 0;
            List<String> examples = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (BpeMerge merge : tokenizer.merges()) {
                String token = merge.left() + merge.right();
                if (!seen.add(token)) {
                    continue;
                }
                int length = token.codePointCount(0, token.length());
                for (int cut = 1; cut < length; cut++) {
                    int at = token.offsetByCodePoints(0, cut);
                    String left = token.substring(0, at);
                    String right = token.substring(at);
                    if (tokenizer.vocab().containsKey(left) && tokenizer.vocab().containsKey(right)
                            && !pairs.contains(left + "\u0000" + right)) {
                        found++;
                        if (examples.size() < SHOWN_EXAMPLES) {
                            examples.add(quote(left) + " + " + quote(right));
                        }
                        break;
                    }
                }
            }
            if (found > 0) {
                warnings.add(found + " tokens can be formed by llama.cpp's SPM tokenizer from a pair that is not a"
                        + " merge (e.g. " + String.join(", ", examples) + "); its tokenization may differ there");
            }
        }

        /**
         * Warns about tokens made by several merges with a merge for another token ranked between them: the SPM
         * lookup gives such a token one score, that of its first merge, so it may be formed earlier than the
         * BPE would form it. (A tokenizer.json converted from SentencePiece lists a token's merges together.)
         */
        private void interleavedRanks() {
            Map<String, int[]> ranks = new HashMap<>();
            List<BpeMerge> merges = tokenizer.merges();
            for (int rank = 0; rank < merges.size(); rank++) {
                // {first rank, last rank, number of merges}
                int[] r = ranks.computeIfAbsent(merges.get(rank).left() + merges.get(rank).right(),
                        k -> new int[] {-1, -1, 0});
                if (r[0] < 0) {
                    r[0] = rank;
                }
                r[1] = rank;
                r[2]++;
            }
            int found = 0;
            List<String> examples = new ArrayList<>();
            for (int rank = 0; rank < merges.size(); rank++) {
                String token = merges.get(rank).left() + merges.get(rank).right();
                int[] r = ranks.get(token);
                if (r[0] == rank && r[1] - r[0] + 1 > r[2]) {
                    found++;
                    if (examples.size() < SHOWN_EXAMPLES) {
                        examples.add(quote(token) + " (ranks " + r[0] + " to " + r[1] + ")");
                    }
                }
            }
            if (found > 0) {
                warnings.add(found + " tokens are made by several merges with other merges ranked between them (e.g. "
                        + String.join(", ", examples) + "); llama.cpp's SPM tokenizer gives each the score of its"
                        + " first merge, so its tokenization may differ there");
            }
        }

        /**
         * llama.cpp looks tokens up by text and aborts while loading a vocabulary in which two ids have the same
         * text ({@code id_to_token.size() == token_to_id.size()} in llama-vocab.cpp); it renames an empty token
         * {@code [EMPTY_<id>]}.
         */
        private void checkTokenTexts(List<String> tokens) {
            Map<String, Integer> firstId = new HashMap<>(tokens.size() * 2);
            int empty = 0;
            for (int id = 0; id < tokens.size(); id++) {
                String text = tokens.get(id);
                if (text.isEmpty()) {
                    empty++;
                    continue;
                }
                Integer other = firstId.putIfAbsent(text, id);
                if (other != null) {
                    throw refuse("ids " + other + " and " + id + " would both be written as the token " + quote(text)
                            + "; llama.cpp cannot load a vocabulary with two equal tokens");
                }
            }
            if (empty > 0) {
                warnings.add(empty + " tokens are empty strings; llama.cpp loads each as [EMPTY_<id>]");
            }
        }

        // ---- special tokens (both kinds)

        private void specialTokens() {
            Integer bos = specialId("bos", tokenizerConfig == null ? null : tokenizerConfig.bosToken(),
                    modelConfig == null ? null : modelConfig.bosTokenId());
            if (bos == null) {
                bos = templateEnd(true);
            }
            Integer eos = specialId("eos", tokenizerConfig == null ? null : tokenizerConfig.eosToken(),
                    modelConfig == null ? null : modelConfig.eosTokenId());
            if (eos == null) {
                eos = templateEnd(false);
            }
            if (modelConfig != null && modelConfig.eosTokenIds().size() > 1 && (tokenizerConfig == null
                    || tokenizerConfig.eosToken() == null)) {
                warnings.add("config.json lists eos_token_id " + modelConfig.eosTokenIds()
                        + "; GGUF holds one, the first is written");
            }
            String unkName = tokenizerConfig != null && tokenizerConfig.unkToken() != null ? tokenizerConfig.unkToken()
                    : tokenizer.unkToken();
            Integer unk = specialId("unknown", unkName, null);
            Integer pad = specialId("padding", tokenizerConfig == null ? null : tokenizerConfig.padToken(),
                    modelConfig == null ? null : modelConfig.padTokenId());
            putId(BOS_ID, bos);
            putId(EOS_ID, eos);
            putId(UNK_ID, unk);
            putId(PAD_ID, pad);
            boolean addBos = addSpecial("add_bos_token", tokenizerConfig == null ? null : tokenizerConfig.addBosToken(),
                    bos, true);
            boolean addEos = addSpecial("add_eos_token", tokenizerConfig == null ? null : tokenizerConfig.addEosToken(),
                    eos, false);
            metadata.put(ADD_BOS, GgufValue.bool(addBos));
            metadata.put(ADD_EOS, GgufValue.bool(addEos));
        }

        private void putId(String key, Integer id) {
            if (id != null) {
                metadata.put(key, GgufValue.u32(id));
            }
        }

        /** tokenizer_config.json's token (by content) first, else config.json's id; ids past the end are dropped. */
        private Integer specialId(String what, String content, Integer configId) {
            Integer id = null;
            if (content != null) {
                id = tokenizer.id(content);
                if (id == null) {
                    warnings.add("the " + what + " token " + quote(content) + " of tokenizer_config.json is not in"
                            + " tokenizer.json");
                }
            }
            if (id != null && configId != null && !id.equals(configId)) {
                warnings.add("the " + what + " token is id " + id + " in tokenizer_config.json but " + configId
                        + " in config.json; " + id + " is written");
            }
            if (id == null) {
                id = configId;
            }
            if (id != null && id >= count) {
                warnings.add("the " + what + " token id " + id + " is outside the vocabulary of " + count
                        + "; it is not written");
                return null;
            }
            return id;
        }

        /**
         * The id of the special token at the start (or end) of the post-processor's single-sequence template, or
         * null: the BOS (EOS) a checkpoint without tokenizer_config.json and config.json ids still declares.
         */
        private Integer templateEnd(boolean atStart) {
            TemplateProcessing template = (TemplateProcessing) stages(tokenizer.postProcessor())
                    .filter(s -> s instanceof TemplateProcessing).findFirst().orElse(null);
            if (template == null || template.single().isEmpty()) {
                return null;
            }
            TemplatePiece end = atStart ? template.single().getFirst() : template.single().getLast();
            List<Integer> ids = end.specialToken() ? template.specialTokenIds().get(end.id()) : null;
            return ids != null && ids.size() == 1 && ids.getFirst() < count ? ids.getFirst() : null;
        }

        /** tokenizer_config.json's flag, else the TemplateProcessing post-processor, else false. */
        private boolean addSpecial(String what, Boolean configured, Integer id, boolean atStart) {
            Boolean fromTemplate = null;
            TemplateProcessing template = (TemplateProcessing) stages(tokenizer.postProcessor())
                    .filter(s -> s instanceof TemplateProcessing).findFirst().orElse(null);
            if (template != null && id != null) {
                List<TemplatePiece> single = template.single();
                TemplatePiece end = single.isEmpty() ? null : atStart ? single.getFirst() : single.getLast();
                fromTemplate = end != null && end.specialToken()
                        && List.of(id).equals(template.specialTokenIds().get(end.id()));
            }
            if (configured != null) {
                if (fromTemplate != null && !fromTemplate.equals(configured)) {
                    warnings.add("tokenizer_config.json says " + what + " " + configured
                            + " but the post_processor template " + (fromTemplate ? "adds" : "does not add")
                            + " it; " + configured + " is written");
                }
                return configured;
            }
            return fromTemplate != null && fromTemplate;
        }
    }

    private static Stream<TokenizerStage> stages(TokenizerStage stage) {
        return stage == null ? Stream.empty() : stage.flatten();
    }

    private static String describe(TokenizerStage stage) {
        if (stage == null) {
            return "none";
        }
        if (stage instanceof TokenizerStage.Sequence s) {
            return "Sequence" + s.members().stream().map(GgufVocabulary::describe).toList();
        }
        return stage.type();
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("'");
        s.codePoints().limit(40).forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.append(s.codePointCount(0, s.length()) > 40 ? "...'" : "'").toString();
    }
}
