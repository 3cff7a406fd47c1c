package dev.ternpack.pack;

/**
 * The per-tensor scale of absmean ternarization.
 *
 * @param meanAbs  mean(|W|) over the whole tensor: accumulated in double, divided by the element count in
 *                 double, then rounded to float
 * @param inverse  s = 1 / max(meanAbs, 1e-5) in float: the factor a weight is multiplied by before rounding
 * @param gamma    the scale the trits carry, so that {@code trit * gamma} is the dequantized weight BitNet
 *                 computes ({@code W_q / s}): max(meanAbs, 1e-5), and exactly 0 when the tensor is all zero
 *                 (then every trit is 0 and any scale gives the same weights; 0 keeps it NaN-free)
 */
public record AbsmeanScale(float meanAbs, float inverse, float gamma) {

    public AbsmeanScale {
        if (!(meanAbs >= 0) || !Float.isFinite(meanAbs)) {
            throw new IllegalArgumentException("mean |W| must be finite and >= 0, got " + meanAbs);
        }
        if (inverse != 1f / Math.max(meanAbs, AbsmeanQuantizer.MIN_SCALE)) {
            throw new IllegalArgumentException("inverse " + inverse + " is not 1/max(" + meanAbs + ", 1e-5)");
        }
        if (gamma != (meanAbs == 0 ? 0f : Math.max(meanAbs, AbsmeanQuantizer.MIN_SCALE))) {
            throw new IllegalArgumentException("gamma " + gamma + " does not follow from mean |W| " + meanAbs);
        }
    }

    /** The scale for a mean |W|. */
    public static AbsmeanScale of(float meanAbs) {
        float clamped = Math.max(meanAbs, AbsmeanQuantizer.MIN_SCALE);
        return new AbsmeanScale(meanAbs, 1f / clamped, meanAbs == 0 ? 0f : clamped);
    }
}
