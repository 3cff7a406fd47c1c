package dev.ternpack.formats.hf;

/**
 * The kinds of Hugging Face checkpoint ternpack reads, told apart by config.json. Each family carries the
 * defaults its configuration class applies when config.json leaves a field out.
 *
 * <p>The two BitNet architecture names differ by the case of one letter (FORMATS.md Appendix C.3):
 * transformers registers {@code BitNetForCausalLM} with {@code model_type "bitnet"}; 1bitLLM's remote code is
 * {@code BitnetForCausalLM} with {@code model_type "llama"} plus {@code weight_bits}/{@code input_bits}.
 * llama.cpp registers only {@code BitnetForCausalLM} (an alias for the other casing is recent), so both
 * spellings are accepted here and {@code model_type} decides which family a checkpoint is.
 */
public enum ModelFamily {
    /**
     * transformers {@code BitNetForCausalLM}, {@code model_type "bitnet"} (microsoft/bitnet-b1.58-2B-4T):
     * sub-norms {@code attn_sub_norm}/{@code ffn_sub_norm}. Defaults from transformers' {@code BitNetConfig}:
     * relu2, rms_norm_eps 1e-5, rope_theta 500000 ({@code default_theta}), max_position_embeddings 2048,
     * tie_word_embeddings false (2B-4T's config.json says true explicitly).
     */
    TRANSFORMERS_BITNET("BitNetForCausalLM", "bitnet", true, HiddenAct.RELU2, 1e-5, 500_000.0, 2048, false),
    /**
     * 1bitLLM {@code BitnetForCausalLM} (bitnet_b1_58-large/3B), {@code model_type "llama"} plus
     * {@code weight_bits}/{@code input_bits}: sub-norms {@code inner_attn_ln}/{@code ffn_layernorm}. Defaults
     * from its {@code BitnetConfig}: silu, rms_norm_eps 1e-6, rope_theta 10000, max_position_embeddings 2048,
     * tie_word_embeddings false.
     */
    ONEBITLLM_BITNET("BitnetForCausalLM", "llama", true, HiddenAct.SILU, 1e-6, 10_000.0, 2048, false),
    /**
     * {@code LlamaForCausalLM} whose {@code quantization_config.quant_method} is {@code "bitnet"}
     * (HF1BitLLM/Llama3-8B-1.58-*): LLaMA blocks without sub-norms, BitLinear projections through transformers'
     * BitNet integration. Defaults from {@code LlamaConfig}.
     */
    LLAMA_BITNET_QUANTIZED("LlamaForCausalLM", "llama", true, HiddenAct.SILU, 1e-6, 10_000.0, 2048, false),
    /**
     * A plain {@code LlamaForCausalLM} trained in full precision. Ternarizing it is post-training quantization
     * (FORMATS.md Appendix C.4), which ternpack refuses unless asked. Defaults from {@code LlamaConfig}: silu,
     * rms_norm_eps 1e-6, rope_theta 10000, max_position_embeddings 2048, tie_word_embeddings false.
     */
    LLAMA("LlamaForCausalLM", "llama", false, HiddenAct.SILU, 1e-6, 10_000.0, 2048, false);

    private final String architecture;
    private final String modelType;
    private final boolean trainedTernary;
    private final HiddenAct defaultHiddenAct;
    private final double defaultRmsNormEps;
    private final double defaultRopeTheta;
    private final int defaultMaxPositionEmbeddings;
    private final boolean defaultTieWordEmbeddings;

    ModelFamily(String architecture, String modelType, boolean trainedTernary, HiddenAct defaultHiddenAct,
            double defaultRmsNormEps, double defaultRopeTheta, int defaultMaxPositionEmbeddings,
            boolean defaultTieWordEmbeddings) {
        this.architecture = architecture;
        this.modelType = modelType;
        this.trainedTernary = trainedTernary;
        this.defaultHiddenAct = defaultHiddenAct;
        this.defaultRmsNormEps = defaultRmsNormEps;
        this.defaultRopeTheta = defaultRopeTheta;
        this.defaultMaxPositionEmbeddings = defaultMaxPositionEmbeddings;
        this.defaultTieWordEmbeddings = defaultTieWordEmbeddings;
    }

    /** The class name in {@code architectures}, as its own project spells it. */
    public String architecture() {
        return architecture;
    }

    /** The {@code model_type} its config.json carries. */
    public String modelType() {
        return modelType;
    }

    /** True when the checkpoint was trained through a ternary quantizer (not post-training quantization). */
    public boolean trainedTernary() {
        return trainedTernary;
    }

    public HiddenAct defaultHiddenAct() {
        return defaultHiddenAct;
    }

    public double defaultRmsNormEps() {
        return defaultRmsNormEps;
    }

    public double defaultRopeTheta() {
        return defaultRopeTheta;
    }

    public int defaultMaxPositionEmbeddings() {
        return defaultMaxPositionEmbeddings;
    }

    public boolean defaultTieWordEmbeddings() {
        return defaultTieWordEmbeddings;
    }

    /** A name for messages, e.g. {@code BitnetForCausalLM (1bitLLM, model_type "llama")}. */
    public String displayName() {
        return switch (this) {
            case TRANSFORMERS_BITNET -> "BitNetForCausalLM (transformers, model_type \"bitnet\")";
            case ONEBITLLM_BITNET -> "BitnetForCausalLM (1bitLLM, model_type \"llama\")";
            case LLAMA_BITNET_QUANTIZED -> "LlamaForCausalLM with a bitnet quantization_config";
            case LLAMA -> "LlamaForCausalLM";
        };
    }
}
