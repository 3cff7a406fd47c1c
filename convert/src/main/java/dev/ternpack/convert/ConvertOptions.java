package dev.ternpack.convert;

import dev.ternpack.pack.ScaleMode;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Everything a conversion depends on. Only the options that change the output bytes go into the artifact's
 * provenance ({@link #provenance()}); {@code threads} and {@code force} never do, so the output is byte-identical
 * for any thread count.
 *
 * @param input checkpoint directory (config.json, safetensors, tokenizer files)
 * @param format output format
 * @param output the GGUF file, or for {@link OutputFormat#HF_2BIT} the directory to create
 * @param scaleMode TQ only: fold gamma into the block scales, or write F32 {@code .scale} tensors
 * @param embeddingType GGUF only: type of {@code token_embd} (and {@code output} when untied)
 * @param fallback GGUF only: type for projections the packed type cannot hold, or NONE to refuse them
 * @param allowPtq ternarize a model that was not trained ternary (post-training quantization)
 * @param threads worker threads (1 = on the calling thread)
 * @param force replace an existing output
 */
public record ConvertOptions(Path input, OutputFormat format, Path output, ScaleMode scaleMode,
        EmbeddingType embeddingType, Fallback fallback, boolean allowPtq, int threads, boolean force) {

    /** High-precision types for the token embedding in GGUF. */
    public enum EmbeddingType {
        F32, F16, BF16, Q8_0;

        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What to do with a projection whose row length the packed type cannot take. */
    public enum Fallback {
        NONE, F16, Q8_0;

        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public ConvertOptions {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(scaleMode, "scaleMode");
        Objects.requireNonNull(embeddingType, "embeddingType");
        Objects.requireNonNull(fallback, "fallback");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
    }

    /** Defaults: fold, F16 embedding, no fallback, no PTQ, all processors, no force. */
    public static ConvertOptions of(Path input, OutputFormat format, Path output) {
        return new ConvertOptions(input, format, output, ScaleMode.FOLD, EmbeddingType.F16, Fallback.NONE, false,
                Runtime.getRuntime().availableProcessors(), false);
    }

    public ConvertOptions withScaleMode(ScaleMode m) {
        return new ConvertOptions(input, format, output, m, embeddingType, fallback, allowPtq, threads, force);
    }

    public ConvertOptions withEmbeddingType(EmbeddingType e) {
        return new ConvertOptions(input, format, output, scaleMode, e, fallback, allowPtq, threads, force);
    }

    public ConvertOptions withFallback(Fallback f) {
        return new ConvertOptions(input, format, output, scaleMode, embeddingType, f, allowPtq, threads, force);
    }

    public ConvertOptions withAllowPtq(boolean a) {
        return new ConvertOptions(input, format, output, scaleMode, embeddingType, fallback, a, threads, force);
    }

    public ConvertOptions withThreads(int n) {
        return new ConvertOptions(input, format, output, scaleMode, embeddingType, fallback, allowPtq, n, force);
    }

    public ConvertOptions withForce(boolean f) {
        return new ConvertOptions(input, format, output, scaleMode, embeddingType, fallback, allowPtq, threads, f);
    }

    public ConvertOptions withFormat(OutputFormat f, Path out) {
        return new ConvertOptions(input, f, out, scaleMode, embeddingType, fallback, allowPtq, threads, force);
    }

    /** The options that shape the output, as recorded in it: no thread count, no paths. */
    public String provenance() {
        StringBuilder s = new StringBuilder("format=").append(format.cliName());
        if (format == OutputFormat.TQ2_0 || format == OutputFormat.TQ1_0) {
            s.append(" scale_mode=").append(scaleMode.name().toLowerCase(Locale.ROOT));
        }
        if (format.gguf()) {
            s.append(" embedding_type=").append(embeddingType.cliName());
            s.append(" fallback=").append(fallback.cliName());
        }
        s.append(" allow_ptq=").append(allowPtq);
        return s.toString();
    }
}
