package dev.ternpack.convert.gguf;

/** The vocabulary kinds ternpack writes, with their {@code tokenizer.ggml.model} names. */
public enum GgufTokenizerModel {
    /** Byte-level BPE (GPT-2, Llama 3, microsoft/bitnet-b1.58-2B-4T, the fixtures): llama.cpp's BPE tokenizer. */
    GPT2("gpt2"),
    /**
     * SentencePiece-style BPE with byte fallback (Llama 2, 1bitLLM): llama.cpp's SPM tokenizer, which merges by
     * {@code tokenizer.ggml.scores}.
     */
    LLAMA("llama");

    private final String ggufName;

    GgufTokenizerModel(String ggufName) {
        this.ggufName = ggufName;
    }

    public String ggufName() {
        return ggufName;
    }
}
