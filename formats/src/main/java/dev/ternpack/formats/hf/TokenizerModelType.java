package dev.ternpack.formats.hf;

/** The {@code model.type} of a tokenizer.json: the algorithm that splits a pre-token into vocabulary entries. */
public enum TokenizerModelType {
    /** Byte-pair encoding with ranked merges (GPT-2, Llama 2 and 3, the fixtures). */
    BPE("BPE"),
    /** SentencePiece unigram language model: vocab entries with log-probability scores. */
    UNIGRAM("Unigram"),
    /** Greedy longest-match with {@code ##} continuations (BERT). */
    WORD_PIECE("WordPiece"),
    /** Whole pre-tokens looked up as they are. */
    WORD_LEVEL("WordLevel"),
    /** A type this parser does not know; not an error until something needs the vocabulary. */
    UNKNOWN(null);

    private final String jsonName;

    TokenizerModelType(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The spelling of {@code model.type}, null for {@link #UNKNOWN}. */
    public String jsonName() {
        return jsonName;
    }

    static TokenizerModelType fromJsonName(String name) {
        for (TokenizerModelType t : values()) {
            if (t.jsonName != null && t.jsonName.equals(name)) {
                return t;
            }
        }
        return UNKNOWN;
    }
}
