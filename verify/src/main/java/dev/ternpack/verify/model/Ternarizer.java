package dev.ternpack.verify.model;

import dev.ternpack.formats.Tensor;

/** Absmean ternarization of a latent weight tensor, as BitNet b1.58 training computes it. */
@FunctionalInterface
public interface Ternarizer {

    /** Row-major trits of a 2-D tensor and its scale gamma. */
    record Result(byte[] trits, float gamma) {
    }

    Result ternarize(Tensor weight);
}
