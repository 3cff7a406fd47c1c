package dev.ternpack.verify.eval;

/**
 * Limits of the parity gate.
 *
 * @param maxPplDelta largest allowed |relative perplexity delta| of candidate vs reference
 * @param minTop1 smallest allowed top-1 agreement. The default 0.98 leaves room for what a faithful file still
 *     changes: with per-token int8 activations, TQ's fp16 rounding of gamma alone flips near-ties, measured at
 *     99.1% agreement over 1024 tokens of the fixtures (99.6% over all 49,660); damaged tensors give far less
 * @param maxKl largest allowed mean KL(reference || candidate) per token, nats
 * @param maxScaleError largest allowed relative error of a tensor scale against gamma (fp16 rounding of a
 *     folded scale is up to 2^-11 = 4.9e-4)
 * @param maxTritMismatches largest allowed number of trits per tensor that differ from the latent weights
 * @param maxQuantPenalty largest allowed ppl(ternarized latent) / ppl(unquantized latent) - 1: above it the
 *     latent model was not trained to be ternarized
 */
public record Thresholds(double maxPplDelta, double minTop1, double maxKl, double maxScaleError,
        long maxTritMismatches, double maxQuantPenalty) {

    public static final Thresholds DEFAULTS = new Thresholds(0.005, 0.98, 0.005, 1e-3, 0, 0.10);

    public Thresholds {
        if (maxPplDelta < 0 || minTop1 < 0 || minTop1 > 1 || maxKl < 0 || maxScaleError < 0 || maxTritMismatches < 0
                || maxQuantPenalty < 0) {
            throw new IllegalArgumentException("thresholds must be non-negative and top-1 in [0, 1]");
        }
    }
}
