/**
 * Ternary weights: the absmean quantizer that turns a latent BitNet b1.58 tensor into trits and one scale
 * ({@link dev.ternpack.pack.AbsmeanQuantizer}), and the packed layouts llama.cpp, bitnet.cpp and Hugging Face
 * read ({@link dev.ternpack.pack.TernaryLayout}: TQ2_0, TQ1_0, I2_S, HF 2-bit), each byte-exact against
 * FORMATS.md. Every kernel has an obviously-right reference and a fast path that must equal it
 * ({@link dev.ternpack.pack.Implementation}). Nothing here prints or exits; bad input throws
 * {@link dev.ternpack.formats.BadInputException}.
 */
package dev.ternpack.pack;
