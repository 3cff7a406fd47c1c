package dev.ternpack.verify;

import dev.ternpack.verify.eval.Thresholds;
import dev.ternpack.verify.kernel.ActivationMode;
import java.nio.file.Path;

/**
 * What one verification uses. Exactly one of {@code text} and {@code tokens} is given.
 *
 * @param model the model under test (checkpoint directory or GGUF file); may be null when a {@link Verifier} is
 *     only used through {@link Verifier#verify} with explicit candidates
 * @param reference a latent checkpoint directory to compare with, or null for perplexity only
 * @param text a UTF-8 text file to tokenize, or null
 * @param tokens a file of whitespace-separated token ids, or null
 * @param tokenizer a tokenizer.json to use instead of the one next to the model or the reference, or null
 * @param ctx window length in tokens (each window scores positions 1..ctx-1)
 * @param maxTokens use at most this many tokens; 0 for all
 * @param activations how BitLinear inputs are treated, for the candidate and the reference alike
 * @param threads worker threads of the forward pass
 * @param toolVersion written into the reports
 */
public record VerifyOptions(Path model, Path reference, Path text, Path tokens, Path tokenizer, int ctx,
        int maxTokens, ActivationMode activations, Thresholds thresholds, int threads, String toolVersion) {

    public VerifyOptions {
        if ((text == null) == (tokens == null)) {
            throw new IllegalArgumentException("exactly one of text and tokens must be given");
        }
        if (ctx < 2) {
            throw new IllegalArgumentException("ctx must be at least 2, got " + ctx);
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must be >= 0, got " + maxTokens);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (activations == null || thresholds == null) {
            throw new IllegalArgumentException("activations and thresholds are required");
        }
    }

    /** Defaults for everything but the inputs: ctx 128, all tokens, per-token activations, default gate. */
    public static VerifyOptions of(Path model, Path reference, Path text, Path tokens) {
        return new VerifyOptions(model, reference, text, tokens, null, 128, 0, ActivationMode.PER_TOKEN,
                Thresholds.DEFAULTS, Math.max(1, Runtime.getRuntime().availableProcessors()), "dev");
    }

    public VerifyOptions withModel(Path m) {
        return new VerifyOptions(m, reference, text, tokens, tokenizer, ctx, maxTokens, activations, thresholds,
                threads, toolVersion);
    }

    public VerifyOptions withMaxTokens(int n) {
        return new VerifyOptions(model, reference, text, tokens, tokenizer, ctx, n, activations, thresholds,
                threads, toolVersion);
    }

    public VerifyOptions withThreads(int n) {
        return new VerifyOptions(model, reference, text, tokens, tokenizer, ctx, maxTokens, activations, thresholds,
                n, toolVersion);
    }
}
