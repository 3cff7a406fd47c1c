package dev.ternpack.convert.model;

/**
 * What a tensor is in a BitNet decoder, independent of how a checkpoint names it. Each role knows its GGUF
 * base name (llama.cpp's {@code LLM_TENSOR_NAMES} for the {@code bitnet} architecture) and whether it is a
 * BitLinear projection, the only tensors that are ternarized.
 */
public enum TensorRole {
    TOKEN_EMBD("token_embd", false, false),
    OUTPUT_NORM("output_norm", false, false),
    OUTPUT("output", false, false),
    ATTN_NORM("attn_norm", true, false),
    ATTN_Q("attn_q", true, true),
    ATTN_K("attn_k", true, true),
    ATTN_V("attn_v", true, true),
    ATTN_OUT("attn_output", true, true),
    ATTN_SUB_NORM("attn_sub_norm", true, false),
    FFN_NORM("ffn_norm", true, false),
    FFN_GATE("ffn_gate", true, true),
    FFN_UP("ffn_up", true, true),
    FFN_DOWN("ffn_down", true, true),
    FFN_SUB_NORM("ffn_sub_norm", true, false);

    private final String ggufBase;
    private final boolean perLayer;
    private final boolean ternary;

    TensorRole(String ggufBase, boolean perLayer, boolean ternary) {
        this.ggufBase = ggufBase;
        this.perLayer = perLayer;
        this.ternary = ternary;
    }

    public boolean perLayer() {
        return perLayer;
    }

    /** True for the seven BitLinear projections. */
    public boolean ternary() {
        return ternary;
    }

    public boolean isNorm() {
        return name().endsWith("NORM");
    }

    /** GGUF tensor name, e.g. {@code blk.3.ffn_down.weight} or {@code token_embd.weight}. */
    public String ggufName(int layer) {
        return (perLayer ? "blk." + layer + "." : "") + ggufBase + ".weight";
    }

    /** GGUF name of the optional F32 per-tensor scale of a projection ({@code blk.N.attn_q.scale}). */
    public String ggufScaleName(int layer) {
        if (!ternary) {
            throw new IllegalStateException(this + " has no scale tensor");
        }
        return "blk." + layer + "." + ggufBase + ".scale";
    }
}
