package dev.ternpack.formats.hf;

import java.util.Objects;

/**
 * An entry of tokenizer.json's {@code added_tokens} (or of tokenizer_config.json's {@code added_tokens_decoder}):
 * a token matched in the raw text before the model runs. Absent flags take the tokenizers library's
 * {@code AddedToken} defaults: {@code normalized} true, the others false.
 *
 * @param special whether the token is a special (control) token, skipped when decoding with
 *     {@code skip_special_tokens}
 * @param normalized whether the token is matched against the normalized text rather than the raw text
 */
public record AddedToken(int id, String content, boolean special, boolean normalized, boolean lstrip,
        boolean rstrip, boolean singleWord) {

    public AddedToken {
        Objects.requireNonNull(content, "content");
        if (id < 0) {
            throw new IllegalArgumentException("token id " + id + " is negative");
        }
    }
}
