package dev.ternpack.verify.model;

import dev.ternpack.pack.AbsmeanQuantizer;
import dev.ternpack.pack.Ternarization;

/** The production ternarizer: pack's absmean quantizer, bit-exact with BitNet b1.58 training in PyTorch. */
public final class Ternarizers {
    /** {@link AbsmeanQuantizer#ternarize}: the same trits and gamma convert writes into packed files. */
    public static final Ternarizer ABSMEAN = t -> {
        Ternarization r = AbsmeanQuantizer.ternarize(t);
        return new Ternarizer.Result(r.tensor().trits(), r.gamma());
    };

    private Ternarizers() {
    }
}
