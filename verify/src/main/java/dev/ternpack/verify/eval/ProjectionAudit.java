package dev.ternpack.verify.eval;

import dev.ternpack.verify.model.Projection;

/**
 * A candidate projection compared with the same projection of the reference (the ternarized latent weights).
 *
 * @param tensor the candidate's tensor name
 * @param storage how the candidate stores it (e.g. {@code tq2_0}, {@code f16 (ternary values)})
 * @param mismatches trits that differ from the reference, or -1 when the candidate is not ternary at all
 * @param firstMismatchRow row of the first differing trit, -1 when none
 * @param scaleRelError max over blocks of |candidate scale - reference scale| / reference scale
 * @param candidateCounts counts of -1, 0, +1 in the candidate
 * @param scaleRounding relative error the candidate's scale storage introduces by itself (see
 *     {@link dev.ternpack.verify.model.LoadedModel#scaleRounding()}); the gate allows at least this much
 */
public record ProjectionAudit(int layer, Projection projection, String tensor, String storage, long elements,
        long mismatches, int firstMismatchRow, double referenceScale, double candidateScale, double scaleRelError,
        long[] candidateCounts, double scaleRounding) {

    public ProjectionAudit(int layer, Projection projection, String tensor, String storage, long elements,
            long mismatches, int firstMismatchRow, double referenceScale, double candidateScale, double scaleRelError,
            long[] candidateCounts) {
        this(layer, projection, tensor, storage, elements, mismatches, firstMismatchRow, referenceScale,
                candidateScale, scaleRelError, candidateCounts, 0);
    }

    public double sparsity() {
        return candidateCounts == null ? Double.NaN : (double) candidateCounts[1] / elements;
    }
}
