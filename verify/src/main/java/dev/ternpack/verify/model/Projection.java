package dev.ternpack.verify.model;

/** The seven BitLinear projections of a BitNet layer, with the names each storage convention uses. */
public enum Projection {
    Q("self_attn.q_proj", "attn_q"),
    K("self_attn.k_proj", "attn_k"),
    V("self_attn.v_proj", "attn_v"),
    O("self_attn.o_proj", "attn_output"),
    GATE("mlp.gate_proj", "ffn_gate"),
    UP("mlp.up_proj", "ffn_up"),
    DOWN("mlp.down_proj", "ffn_down");

    private final String hfName;
    private final String ggufName;

    Projection(String hfName, String ggufName) {
        this.hfName = hfName;
        this.ggufName = ggufName;
    }

    /** {@code model.layers.N.<this>.weight} in Hugging Face checkpoints (both BitNet families). */
    public String hfName() {
        return hfName;
    }

    /** {@code blk.N.<this>.weight} in GGUF files. */
    public String ggufName() {
        return ggufName;
    }
}
