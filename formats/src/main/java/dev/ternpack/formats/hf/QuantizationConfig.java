package dev.ternpack.formats.hf;

import com.google.gson.JsonObject;
import java.util.List;
import java.util.Objects;

/**
 * config.json's {@code quantization_config}. For {@code quant_method "bitnet"} the fields are those of
 * transformers' {@code BitNetQuantConfig}, with its defaults when absent: {@code linear_class "bitlinear"},
 * {@code quantization_mode "offline"}, {@code use_rms_norm false}, {@code rms_norm_eps 1e-6}. The linear class
 * decides what a stored {@code weight_scale} means (FORMATS.md §4.2, Appendix C.7): {@code bitlinear} stores
 * {@code 1/mean|W|} and divides, {@code autobitlinear} stores {@code mean|W|} and multiplies.
 *
 * <p>{@code modules_to_not_convert} is kept as written; empty when absent. transformers then keeps the output
 * embedding ({@code lm_head}) unconverted anyway, because its quantizer adds the output embedding to the list.
 *
 * @param quantMethod {@code quant_method} as written ({@code "bitnet"} for BitNet checkpoints)
 * @param linearClass null unless {@code quantMethod} is {@code bitnet}
 * @param mode null unless {@code quantMethod} is {@code bitnet}
 * @param raw the whole object, unknown fields included (a copy)
 */
public record QuantizationConfig(String quantMethod, LinearClass linearClass, QuantizationMode mode,
        List<String> modulesToNotConvert, boolean useRmsNorm, double rmsNormEps, JsonObject raw) {

    /** The {@code quant_method} of transformers' BitNet integration. */
    public static final String BITNET = "bitnet";

    /** {@code linear_class}: which module computes a BitNet projection. */
    public enum LinearClass {
        /** {@code BitLinear}: weight_scale holds {@code 1/mean|W|}; the output is divided by it. */
        BITLINEAR("bitlinear"),
        /** {@code AutoBitLinear}: weight_scale holds {@code mean|W|}; the output is multiplied by it. */
        AUTOBITLINEAR("autobitlinear");

        private final String configName;

        LinearClass(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }

        public static LinearClass fromConfigName(String name) {
            for (LinearClass c : values()) {
                if (c.configName.equals(name)) {
                    return c;
                }
            }
            return null;
        }
    }

    /** {@code quantization_mode}: whether the stored weights are already ternary. */
    public enum QuantizationMode {
        /** Latent full-precision weights, ternarized at every forward pass (the {@code -bf16} repositories). */
        ONLINE("online"),
        /** Packed ternary weights with a stored {@code weight_scale}. */
        OFFLINE("offline");

        private final String configName;

        QuantizationMode(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }

        public static QuantizationMode fromConfigName(String name) {
            for (QuantizationMode m : values()) {
                if (m.configName.equals(name)) {
                    return m;
                }
            }
            return null;
        }
    }

    public QuantizationConfig {
        Objects.requireNonNull(quantMethod, "quantMethod");
        modulesToNotConvert = List.copyOf(modulesToNotConvert);
        raw = raw.deepCopy();
        if (isBitnet() && (linearClass == null || mode == null)) {
            throw new IllegalArgumentException("a bitnet quantization_config needs a linear class and a mode");
        }
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rms_norm_eps must be positive, got " + rmsNormEps);
        }
    }

    public boolean isBitnet() {
        return BITNET.equals(quantMethod);
    }

    /** A copy of the object as written. */
    @Override
    public JsonObject raw() {
        return raw.deepCopy();
    }

    static QuantizationConfig parse(JsonFile json, JsonObject q, String where) {
        String method = json.string(json.required(q, "quant_method", where + ".quant_method", "a JSON string"),
                where + ".quant_method");
        List<String> modules = List.of();
        var modulesElement = JsonFile.optional(q, "modules_to_not_convert");
        if (modulesElement != null) {
            var array = json.array(modulesElement, where + ".modules_to_not_convert");
            var names = new java.util.ArrayList<String>(array.size());
            for (int i = 0; i < array.size(); i++) {
                names.add(json.string(array.get(i), where + ".modules_to_not_convert[" + i + "]"));
            }
            modules = names;
        }
        if (!BITNET.equals(method)) {
            return new QuantizationConfig(method, null, null, modules, false, 1e-6, q);
        }
        LinearClass linearClass = LinearClass.BITLINEAR;
        var lc = JsonFile.optional(q, "linear_class");
        if (lc != null) {
            String name = json.string(lc, where + ".linear_class");
            linearClass = LinearClass.fromConfigName(name);
            if (linearClass == null) {
                throw json.error(where + ".linear_class is " + JsonFile.quote(name)
                        + ", expected \"bitlinear\" or \"autobitlinear\" (transformers refuses any other)");
            }
        }
        QuantizationMode mode = QuantizationMode.OFFLINE;
        var qm = JsonFile.optional(q, "quantization_mode");
        if (qm != null) {
            String name = json.string(qm, where + ".quantization_mode");
            mode = QuantizationMode.fromConfigName(name);
            if (mode == null) {
                throw json.error(where + ".quantization_mode is " + JsonFile.quote(name)
                        + ", expected \"online\" or \"offline\" (transformers refuses any other)");
            }
        }
        boolean useRmsNorm = false;
        var urn = JsonFile.optional(q, "use_rms_norm");
        if (urn != null) {
            useRmsNorm = json.bool(urn, where + ".use_rms_norm");
        }
        double eps = 1e-6;
        var e = JsonFile.optional(q, "rms_norm_eps");
        if (e != null) {
            eps = json.number(e, where + ".rms_norm_eps");
            if (!(eps > 0)) {
                throw json.error(where + ".rms_norm_eps is " + eps + ", expected a positive number");
            }
        }
        return new QuantizationConfig(method, linearClass, mode, modules, useRmsNorm, eps, q);
    }
}
