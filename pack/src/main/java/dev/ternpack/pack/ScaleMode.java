package dev.ternpack.pack;

/**
 * How a TQ1_0/TQ2_0 tensor carries its per-tensor scale gamma. Both modes load in llama.cpp; they differ only
 * in the fp16 rounding of gamma (FORMATS.md Appendix B).
 */
public enum ScaleMode {
    /**
     * Fold gamma into every block: {@code d = fp16(gamma)} for a block holding a nonzero trit, {@code 0x0000}
     * for an all-zero block. This is what llama-quantize and convert_hf_to_gguf write (FORMATS.md §1.6).
     */
    FOLD,
    /**
     * Blocks hold the bare trits ({@code d = 1.0} for a block with a nonzero trit, {@code 0x0000} for an
     * all-zero block, which is exactly what ggml's own quantizer writes for the trit matrix), and the exact
     * f32 gamma goes in a separate {@code .scale} tensor of shape [1] that the caller writes.
     */
    TENSOR
}
