package dev.ternpack.pack;

/** Result of ternarizing one latent tensor: the trits with their scale, how the scale was derived, the counts. */
public record Ternarization(TernaryTensor tensor, AbsmeanScale scale, TritStats stats) {

    public Ternarization {
        if (stats.total() != tensor.size()) {
            throw new IllegalArgumentException("stats count " + stats.total() + " weights, tensor has "
                    + tensor.size());
        }
        if (!(tensor.scale() instanceof TritScale.PerTensor p) || p.gamma() != scale.gamma()) {
            throw new IllegalArgumentException("tensor scale " + tensor.scale() + " is not gamma " + scale.gamma());
        }
    }

    public float gamma() {
        return scale.gamma();
    }
}
