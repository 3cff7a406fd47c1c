package dev.ternpack.verify.model;

/** The gate activation of the feed-forward block. */
public enum FfnActivation {
    /** Squared ReLU ({@code relu2}), as in microsoft/bitnet-b1.58-2B-4T. Computed in float32 (fp16 overflows). */
    RELU2("relu2"),
    /** SiLU, as in the 1bitLLM reproductions and llama.cpp's {@code bitnet} graph. */
    SILU("silu");

    private final String configName;

    FfnActivation(String configName) {
        this.configName = configName;
    }

    /** The name config.json ({@code hidden_act}) and GGUF ({@code hidden_activation}) use. */
    public String configName() {
        return configName;
    }

    public static FfnActivation fromName(String name) {
        for (FfnActivation a : values()) {
            if (a.configName.equals(name)) {
                return a;
            }
        }
        return null;
    }

    public float apply(float z) {
        return switch (this) {
            case RELU2 -> z > 0f ? z * z : 0f;
            case SILU -> (float) (z / (1.0 + Math.exp(-z)));
        };
    }
}
