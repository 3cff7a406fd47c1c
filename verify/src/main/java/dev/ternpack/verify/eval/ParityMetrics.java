package dev.ternpack.verify.eval;

/**
 * How closely a candidate model's predictions follow the reference's on the same tokens.
 *
 * @param meanKl mean over positions of KL(reference || candidate), nats
 * @param maxKl the largest per-position KL
 * @param top1 fraction of positions where both models rank the same token first
 * @param maxLogitDelta the largest |logit difference| over all positions and vocabulary entries
 */
public record ParityMetrics(PerplexityResult reference, PerplexityResult candidate, double meanKl, double maxKl,
        double top1, double maxLogitDelta) {

    /** (ppl_candidate - ppl_reference) / ppl_reference. */
    public double relativePerplexityDelta() {
        return candidate.perplexity() / reference.perplexity() - 1.0;
    }
}
