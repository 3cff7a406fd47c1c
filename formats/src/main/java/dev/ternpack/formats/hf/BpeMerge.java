package dev.ternpack.formats.hf;

import java.util.Objects;

/**
 * One BPE merge rule: the adjacent pair {@code left right} becomes one token. A merge's rank is its position in
 * tokenizer.json's {@code model.merges}; lower ranks apply first.
 */
public record BpeMerge(String left, String right) {

    public BpeMerge {
        Objects.requireNonNull(left, "left");
        Objects.requireNonNull(right, "right");
    }

    /** The {@code "left right"} form of tokenizer.json before transformers 4.45 and of GGUF's merges. */
    public String joined() {
        return left + " " + right;
    }
}
