package dev.ternpack.convert.model;

import java.util.Map;

/**
 * The naming conventions of the checkpoints ternpack reads. Both BitNet families share the LLaMA names for
 * embeddings, norms and projections and differ only in the two sub-norms.
 */
public enum CheckpointFamily {
    /** transformers {@code BitNetForCausalLM} (microsoft/bitnet-b1.58-2B-4T): {@code attn_sub_norm}, {@code ffn_sub_norm}. */
    TRANSFORMERS_BITNET("transformers BitNetForCausalLM", "self_attn.attn_sub_norm", "mlp.ffn_sub_norm"),
    /** 1bitLLM {@code BitnetForCausalLM} (bitnet_b1_58-large/3B): {@code inner_attn_ln}, {@code ffn_layernorm}. */
    ONEBITLLM_BITNET("1bitLLM BitnetForCausalLM", "self_attn.inner_attn_ln", "mlp.ffn_layernorm"),
    /** A LLaMA model without sub-norms, trained in full precision; only for explicit post-training ternarization. */
    LLAMA("LlamaForCausalLM", null, null);

    private final String displayName;
    private final String attnSubNorm;
    private final String ffnSubNorm;

    CheckpointFamily(String displayName, String attnSubNorm, String ffnSubNorm) {
        this.displayName = displayName;
        this.attnSubNorm = attnSubNorm;
        this.ffnSubNorm = ffnSubNorm;
    }

    public String displayName() {
        return displayName;
    }

    /**
     * The naming of a checkpoint: by its tensor signature first (a sub-norm name settles it, whatever config.json
     * claims; FORMATS.md Appendix C.3), else by the config's family.
     */
    public static CheckpointFamily detect(dev.ternpack.formats.hf.ModelFamily family, java.util.Collection<String> names) {
        for (String n : names) {
            if (n.endsWith("." + ONEBITLLM_BITNET.attnSubNorm + ".weight")) {
                return ONEBITLLM_BITNET;
            }
            if (n.endsWith("." + TRANSFORMERS_BITNET.attnSubNorm + ".weight")) {
                return TRANSFORMERS_BITNET;
            }
        }
        return switch (family) {
            case TRANSFORMERS_BITNET -> TRANSFORMERS_BITNET;
            case ONEBITLLM_BITNET -> ONEBITLLM_BITNET;
            case LLAMA_BITNET_QUANTIZED, LLAMA -> LLAMA;
        };
    }

    public boolean hasSubNorms() {
        return attnSubNorm != null;
    }

    /** The per-layer part of each role's Hugging Face name ({@code model.layers.N.<part>.weight}). */
    public Map<TensorRole, String> layerNames() {
        var m = new java.util.EnumMap<TensorRole, String>(TensorRole.class);
        m.put(TensorRole.ATTN_NORM, "input_layernorm");
        m.put(TensorRole.ATTN_Q, "self_attn.q_proj");
        m.put(TensorRole.ATTN_K, "self_attn.k_proj");
        m.put(TensorRole.ATTN_V, "self_attn.v_proj");
        m.put(TensorRole.ATTN_OUT, "self_attn.o_proj");
        m.put(TensorRole.FFN_NORM, "post_attention_layernorm");
        m.put(TensorRole.FFN_GATE, "mlp.gate_proj");
        m.put(TensorRole.FFN_UP, "mlp.up_proj");
        m.put(TensorRole.FFN_DOWN, "mlp.down_proj");
        if (hasSubNorms()) {
            m.put(TensorRole.ATTN_SUB_NORM, attnSubNorm);
            m.put(TensorRole.FFN_SUB_NORM, ffnSubNorm);
        }
        return m;
    }

    /** Hugging Face tensor name of a role. */
    public String hfName(TensorRole role, int layer) {
        return switch (role) {
            case TOKEN_EMBD -> "model.embed_tokens.weight";
            case OUTPUT_NORM -> "model.norm.weight";
            case OUTPUT -> "lm_head.weight";
            default -> {
                String part = layerNames().get(role);
                if (part == null) {
                    throw new IllegalArgumentException(displayName + " has no " + role);
                }
                yield "model.layers." + layer + "." + part + ".weight";
            }
        };
    }
}
