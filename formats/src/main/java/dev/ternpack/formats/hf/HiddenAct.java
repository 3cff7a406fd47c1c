package dev.ternpack.formats.hf;

import java.util.List;

/**
 * The feed-forward activation named by config.json's {@code hidden_act}. The names are those of transformers'
 * {@code ACT2FN} table that a LLaMA-style decoder can carry; {@code swish} is transformers' other name for SiLU.
 */
public enum HiddenAct {
    /** Squared ReLU, {@code relu(x)^2} (microsoft/bitnet-b1.58-2B-4T). */
    RELU2("relu2"),
    /** {@code x * sigmoid(x)} (1bitLLM, LLaMA). */
    SILU("silu", "swish"),
    RELU("relu"),
    /** Exact (erf) GELU. */
    GELU("gelu"),
    /** GELU with the tanh approximation. */
    GELU_TANH("gelu_pytorch_tanh", "gelu_new");

    private final List<String> configNames;

    HiddenAct(String... configNames) {
        this.configNames = List.of(configNames);
    }

    /** The spelling config.json uses; the first of {@link #configNames()}. */
    public String configName() {
        return configNames.getFirst();
    }

    /** Every spelling transformers accepts for this activation. */
    public List<String> configNames() {
        return configNames;
    }

    /** The activation with this config.json name, or null when the name is not one of {@link #knownNames()}. */
    public static HiddenAct fromConfigName(String name) {
        for (HiddenAct a : values()) {
            if (a.configNames.contains(name)) {
                return a;
            }
        }
        return null;
    }

    /** All accepted names, for messages. */
    public static List<String> knownNames() {
        return java.util.Arrays.stream(values()).flatMap(a -> a.configNames.stream()).toList();
    }
}
