package dev.ternpack.convert.gguf;

/**
 * The token types of {@code tokenizer.ggml.token_type} (llama.cpp's {@code llama_token_type}, gguf-py's
 * {@code TokenType}). The ids are the values written to the file.
 */
public enum GgufTokenType {
    NORMAL(1),
    /** The unknown token of a SentencePiece vocabulary. */
    UNKNOWN(2),
    /** A special token (BOS, EOS, chat markers): matched in text only when parsing specials, never merged. */
    CONTROL(3),
    /** An added token that is not special: matched in text as a whole before the model runs. */
    USER_DEFINED(4),
    /** An id without a token ({@code [PAD<id>]} fillers). */
    UNUSED(5),
    /** A byte-fallback token {@code <0xXX>} of a SentencePiece-style vocabulary. */
    BYTE(6);

    private final int id;

    GgufTokenType(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }
}
