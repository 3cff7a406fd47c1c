package dev.ternpack.verify.kernel;

/** How a BitLinear layer treats its input activations. */
public enum ActivationMode {
    /**
     * BitNet b1.58 as trained: per token, {@code s = 127 / max(max|x|, 1e-5)}, {@code q = clamp(rint(x s),
     * -128, 127)}, then an integer dot product with the trits.
     */
    PER_TOKEN,
    /**
     * llama.cpp's TQ1_0/TQ2_0 CPU kernels: activations quantized to Q8_K, one scale per 256-value block
     * ({@code quantize_row_q8_K_ref}: d = max / -127 of the value with the largest magnitude).
     */
    RUNTIME,
    /** Float activations (the "weights only" reference mode, and the unquantized latent model). */
    NONE
}
