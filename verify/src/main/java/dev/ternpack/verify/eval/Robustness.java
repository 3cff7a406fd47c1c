package dev.ternpack.verify.eval;

/**
 * Whether the latent model survives ternarization at all: perplexity of the latent weights ternarized (as in
 * BitNet training) against the same weights unquantized. A model trained as BitNet b1.58 does as well or
 * better ternarized; a model trained in full precision loses a lot.
 */
public record Robustness(double pplTernarized, double pplUnquantized) {

    /** ppl(ternarized) / ppl(unquantized) - 1. */
    public double penalty() {
        return pplTernarized / pplUnquantized - 1.0;
    }
}
