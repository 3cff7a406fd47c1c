package dev.ternpack.verify.model;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.TensorSource;

/**
 * Hugging Face tensor names of BitNet checkpoints as the verifier reads them. transformers'
 * {@code BitNetForCausalLM} and 1bitLLM's {@code BitnetForCausalLM} differ only in the two sub-norms; which
 * one a checkpoint uses is read off the tensors themselves.
 */
final class HfNames {
    static final String EMBED = "model.embed_tokens.weight";
    static final String FINAL_NORM = "model.norm.weight";
    static final String HEAD = "lm_head.weight";

    private final String attnSubNorm;
    private final String ffnSubNorm;

    private HfNames(String attnSubNorm, String ffnSubNorm) {
        this.attnSubNorm = attnSubNorm;
        this.ffnSubNorm = ffnSubNorm;
    }

    static HfNames detect(TensorSource source) {
        if (source.contains(layer(0, "self_attn.attn_sub_norm"))) {
            return new HfNames("self_attn.attn_sub_norm", "mlp.ffn_sub_norm");
        }
        if (source.contains(layer(0, "self_attn.inner_attn_ln"))) {
            return new HfNames("self_attn.inner_attn_ln", "mlp.ffn_layernorm");
        }
        throw new BadInputException(source.location(), "no attention sub-norm for layer 0 (neither "
                + layer(0, "self_attn.attn_sub_norm") + " nor " + layer(0, "self_attn.inner_attn_ln")
                + "): not a BitNet b1.58 checkpoint");
    }

    private static String layer(int i, String part) {
        return "model.layers." + i + "." + part + ".weight";
    }

    String attnNorm(int i) {
        return layer(i, "input_layernorm");
    }

    String ffnNorm(int i) {
        return layer(i, "post_attention_layernorm");
    }

    String attnSubNorm(int i) {
        return layer(i, attnSubNorm);
    }

    String ffnSubNorm(int i) {
        return layer(i, ffnSubNorm);
    }

    String projection(int i, Projection p) {
        return layer(i, p.hfName());
    }

    /** The sibling scale of a packed projection ({@code ...q_proj.weight_scale}). */
    String projectionScale(int i, Projection p) {
        return "model.layers." + i + "." + p.hfName() + ".weight_scale";
    }
}
