package dev.ternpack.verify.model;

/**
 * Hyper-parameters of a BitNet b1.58 decoder, however the model was stored.
 *
 * @param headDim size of one attention head (hidden / heads unless the config says otherwise)
 * @param tiedHead whether the output head is the token embedding
 */
public record ModelSpec(int vocab, int hidden, int ffn, int layers, int heads, int kvHeads, int headDim,
        FfnActivation activation, double ropeTheta, float rmsEps, boolean tiedHead) {

    public ModelSpec {
        if (vocab <= 0 || hidden <= 0 || ffn <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("sizes must be positive");
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(heads + " attention heads are not a multiple of " + kvHeads + " kv heads");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for rotary embeddings, got " + headDim);
        }
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }
}
