package dev.ternpack.pack;

import java.util.Locale;

/**
 * The transformers module class that reads an HF 2-bit tensor, which fixes what its {@code weight_scale} means
 * (FORMATS.md §4.2). The two are inverse of each other; getting it wrong scales every projection by gamma².
 */
public enum LinearClass {
    /**
     * {@code AutoBitLinear}, offline quantization (microsoft/bitnet-b1.58-2B-4T): the output is multiplied by
     * {@code weight_scale}, so it stores gamma = mean|W|.
     */
    AUTOBITLINEAR("autobitlinear"),
    /**
     * {@code BitLinear}, transformers' default: the output is divided by {@code weight_scale}, so it stores
     * 1/gamma.
     */
    BITLINEAR("bitlinear");

    private final String configName;

    LinearClass(String configName) {
        this.configName = configName;
    }

    /** The value of {@code quantization_config.linear_class} in config.json. */
    public String configName() {
        return configName;
    }

    /**
     * The {@code weight_scale} value for a tensor scale gamma: gamma itself, or {@code 1f / gamma} (float
     * division, correctly rounded). An all-zero tensor (gamma 0) gets +Infinity under {@link #BITLINEAR}: its
     * output is 0 whatever the scale, and {@code 1 / Infinity} gives gamma 0 back exactly.
     */
    public float weightScale(float gamma) {
        return this == AUTOBITLINEAR ? gamma : 1f / gamma;
    }

    /**
     * The tensor scale gamma a stored {@code weight_scale} stands for. Under {@link #BITLINEAR},
     * {@code 1f / (1f / gamma)} can differ from gamma by one ulp of float; under {@link #AUTOBITLINEAR} the
     * round trip is exact.
     */
    public float gamma(float weightScale) {
        return this == AUTOBITLINEAR ? weightScale : 1f / weightScale;
    }

    /** The class for a {@code linear_class} config value, or null when ternpack does not know it. */
    public static LinearClass fromConfigName(String name) {
        for (LinearClass c : values()) {
            if (c.configName.equals(name.toLowerCase(Locale.ROOT))) {
                return c;
            }
        }
        return null;
    }
}
