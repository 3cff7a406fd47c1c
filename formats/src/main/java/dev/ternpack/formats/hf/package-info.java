/**
 * Hugging Face checkpoint metadata: {@link dev.ternpack.formats.hf.ModelConfig} (config.json and its
 * {@code quantization_config}), {@link dev.ternpack.formats.hf.TokenizerJson} and
 * {@link dev.ternpack.formats.hf.TokenizerConfig} (the tokenizer files, as data for a GGUF vocabulary), and
 * {@link dev.ternpack.formats.hf.TextTokenizer} (text to token ids through the tokenizers library).
 *
 * <p>Every reader refuses a malformed file with a one-line {@link dev.ternpack.formats.BadInputException} naming
 * the file and the field path. Defaults for absent fields are those of the upstream class that reads the file,
 * documented where they apply.
 */
package dev.ternpack.formats.hf;
