package dev.ternpack.pack;

import java.util.Optional;

/**
 * Result of ternarizing a latent tensor straight into a packed layout, without keeping the trits.
 *
 * @param scaleTensor the value of the separate scale tensor the caller writes (TQ tensor mode {@code .scale},
 *                    HF {@code weight_scale}), or empty when the layout keeps the scale in its own bytes
 */
public record PackedTernarization(AbsmeanScale scale, TritStats stats, Optional<Float> scaleTensor) {

    public PackedTernarization {
        if (scale == null || stats == null || scaleTensor == null) {
            throw new IllegalArgumentException("null component");
        }
    }
}
