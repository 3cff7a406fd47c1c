package dev.ternpack.formats.hf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.ternpack.formats.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A checkpoint's config.json: the decoder's hyper-parameters, which {@link ModelFamily} it belongs to, and the
 * BitNet {@code quantization_config} when there is one. The raw object is kept so a converter can write a
 * modified config.json next to a re-packed checkpoint.
 *
 * <p>Required: {@code vocab_size}, {@code hidden_size}, {@code intermediate_size}, {@code num_hidden_layers},
 * {@code num_attention_heads}, and {@code architectures} or {@code model_type}. Everything else falls back to
 * what the family's configuration class does (see {@link ModelFamily}); {@link #defaulted()} names each field
 * that was filled that way, so a report can say so:
 * <ul>
 *   <li>{@code num_key_value_heads}: {@code num_attention_heads}, as LlamaConfig and 1bitLLM's BitnetConfig do.
 *       transformers' BitNetConfig instead defaults to 5 (2B-4T's value), which fits no other shape; config.json
 *       files saved by transformers always carry the field, and the k/v projection shapes settle it;</li>
 *   <li>{@code head_dim}: hidden / heads;</li>
 *   <li>{@code rope_theta}: top-level, else {@code rope_parameters.rope_theta} (transformers 5 moved it
 *       there), else the family default (500000 for transformers BitNet, 10000 for 1bitLLM and LLaMA);</li>
 *   <li>{@code tie_word_embeddings}: false for every family (each configuration class passes false, overriding
 *       {@code PretrainedConfig}'s true); microsoft/bitnet-b1.58-2B-4T writes true;</li>
 *   <li>{@code torch_dtype}: also read from transformers 5's {@code dtype}; null when absent.</li>
 * </ul>
 * Token ids are not defaulted: the classes' defaults (128000/128001, 1/2) belong to particular vocabularies,
 * so an absent id stays null; {@code pad_token_id -1} (early LLaMA conversions) also means none.
 *
 * @param file the config.json read
 * @param architectures {@code architectures} as written (may be empty)
 * @param modelType {@code model_type}, or null when absent
 * @param headDim size of one attention head
 * @param ropeScalingType {@code rope_scaling.type}/{@code rope_type} or {@code rope_parameters.rope_type} when it
 *     is not {@code "default"}; null for plain RoPE
 * @param bosTokenId null when absent
 * @param eosTokenIds {@code eos_token_id}, an int or a list in config.json; empty when absent
 * @param padTokenId null when absent
 * @param torchDtype the dtype the checkpoint was saved in, or null when config.json does not say
 * @param weightBits 1bitLLM's {@code weight_bits}, or null
 * @param inputBits 1bitLLM's {@code input_bits}, or null
 * @param quantizationConfig null when config.json has none
 * @param defaulted config.json names of the fields that were absent and took the family default
 * @param raw the whole object as read (a copy)
 */
public record ModelConfig(Path file, ModelFamily family, List<String> architectures, String modelType,
        int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
        int numKeyValueHeads, int headDim, HiddenAct hiddenAct, int maxPositionEmbeddings, double rmsNormEps,
        double ropeTheta, String ropeScalingType, boolean tieWordEmbeddings, Integer bosTokenId,
        List<Integer> eosTokenIds, Integer padTokenId, DType torchDtype, Integer weightBits, Integer inputBits,
        QuantizationConfig quantizationConfig, List<String> defaulted, JsonObject raw) {

    /** No real config.json comes near this; a larger file is not a config. */
    private static final long MAX_BYTES = 16L << 20;

    public ModelConfig {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(hiddenAct, "hiddenAct");
        architectures = List.copyOf(architectures);
        eosTokenIds = List.copyOf(eosTokenIds);
        defaulted = List.copyOf(defaulted);
        raw = raw.deepCopy();
        if (vocabSize <= 0 || hiddenSize <= 0 || intermediateSize <= 0 || numHiddenLayers <= 0
                || numAttentionHeads <= 0 || numKeyValueHeads <= 0 || headDim <= 0 || maxPositionEmbeddings <= 0) {
            throw new IllegalArgumentException("sizes must be positive");
        }
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException(numAttentionHeads + " attention heads are not a multiple of "
                    + numKeyValueHeads + " key/value heads");
        }
        if (!(rmsNormEps > 0) || !(ropeTheta > 0) || Double.isInfinite(rmsNormEps) || Double.isInfinite(ropeTheta)) {
            throw new IllegalArgumentException("rms_norm_eps and rope_theta must be positive and finite");
        }
    }

    /** A copy of config.json as read. */
    @Override
    public JsonObject raw() {
        return raw.deepCopy();
    }

    /** The first of {@link #eosTokenIds()}, or null. */
    public Integer eosTokenId() {
        return eosTokenIds.isEmpty() ? null : eosTokenIds.getFirst();
    }

    /** Reads and checks a config.json. */
    public static ModelConfig read(Path configJson) {
        JsonFile json = new JsonFile(configJson);
        JsonObject o = json.readObject(MAX_BYTES);
        List<String> defaulted = new ArrayList<>();

        List<String> architectures = new ArrayList<>();
        JsonElement archElement = JsonFile.optional(o, "architectures");
        if (archElement != null) {
            var array = json.array(archElement, "architectures");
            for (int i = 0; i < array.size(); i++) {
                architectures.add(json.string(array.get(i), "architectures[" + i + "]"));
            }
        }
        JsonElement typeElement = JsonFile.optional(o, "model_type");
        String modelType = typeElement == null ? null : json.string(typeElement, "model_type");
        if (architectures.isEmpty() && modelType == null) {
            throw json.error("has neither architectures nor model_type, so the model family is unknown; expected e.g."
                    + " \"architectures\": [\"BitNetForCausalLM\"], \"model_type\": \"bitnet\"");
        }

        Integer weightBits = optionalInt(json, o, "weight_bits");
        Integer inputBits = optionalInt(json, o, "input_bits");
        QuantizationConfig quantization = null;
        JsonElement q = JsonFile.optional(o, "quantization_config");
        if (q != null) {
            quantization = QuantizationConfig.parse(json, json.object(q, "quantization_config"),
                    "quantization_config");
        }
        ModelFamily family = family(json, architectures, modelType, weightBits != null || inputBits != null,
                quantization);

        int vocab = positive(json, o, "vocab_size");
        int hidden = positive(json, o, "hidden_size");
        int intermediate = positive(json, o, "intermediate_size");
        int layers = positive(json, o, "num_hidden_layers");
        int heads = positive(json, o, "num_attention_heads");
        int kvHeads = heads;
        if (JsonFile.optional(o, "num_key_value_heads") != null) {
            kvHeads = positive(json, o, "num_key_value_heads");
        } else {
            defaulted.add("num_key_value_heads");
        }
        if (heads % kvHeads != 0) {
            throw json.error("num_attention_heads (" + heads + ") is not a multiple of num_key_value_heads ("
                    + kvHeads + "): grouped-query attention needs whole groups of query heads");
        }
        int headDim;
        if (JsonFile.optional(o, "head_dim") != null) {
            headDim = positive(json, o, "head_dim");
        } else {
            if (hidden % heads != 0) {
                throw json.error("hidden_size (" + hidden + ") is not divisible by num_attention_heads (" + heads
                        + ") and there is no head_dim to say how large a head is");
            }
            headDim = hidden / heads;
            defaulted.add("head_dim");
        }

        HiddenAct act = family.defaultHiddenAct();
        JsonElement actElement = JsonFile.optional(o, "hidden_act");
        if (actElement != null) {
            String name = json.string(actElement, "hidden_act");
            act = HiddenAct.fromConfigName(name);
            if (act == null) {
                throw json.error("hidden_act is " + JsonFile.quote(name) + ", not an activation ternpack knows ("
                        + String.join(", ", HiddenAct.knownNames()) + ")");
            }
        } else {
            defaulted.add("hidden_act");
        }

        int maxPositions = family.defaultMaxPositionEmbeddings();
        if (JsonFile.optional(o, "max_position_embeddings") != null) {
            maxPositions = positive(json, o, "max_position_embeddings");
        } else {
            defaulted.add("max_position_embeddings");
        }

        double eps = family.defaultRmsNormEps();
        JsonElement epsElement = JsonFile.optional(o, "rms_norm_eps");
        if (epsElement != null) {
            eps = json.number(epsElement, "rms_norm_eps");
            if (!(eps > 0)) {
                throw json.error("rms_norm_eps is " + eps + ", expected a positive number (RMSNorm divides by"
                        + " sqrt(mean(x^2) + eps))");
            }
        } else {
            defaulted.add("rms_norm_eps");
        }

        JsonObject ropeParameters = null;
        JsonElement rp = JsonFile.optional(o, "rope_parameters");
        if (rp != null) {
            ropeParameters = json.object(rp, "rope_parameters");
        }
        double theta;
        JsonElement thetaElement = JsonFile.optional(o, "rope_theta");
        String thetaField = "rope_theta";
        if (thetaElement == null && ropeParameters != null) {
            thetaElement = JsonFile.optional(ropeParameters, "rope_theta");
            thetaField = "rope_parameters.rope_theta";
        }
        if (thetaElement != null) {
            theta = json.number(thetaElement, thetaField);
            if (!(theta > 0)) {
                throw json.error(thetaField + " is " + theta + ", expected a positive RoPE base");
            }
        } else {
            theta = family.defaultRopeTheta();
            defaulted.add("rope_theta");
        }
        String ropeScaling = ropeScalingType(json, o, ropeParameters);

        boolean tied = family.defaultTieWordEmbeddings();
        JsonElement tieElement = JsonFile.optional(o, "tie_word_embeddings");
        if (tieElement != null) {
            tied = json.bool(tieElement, "tie_word_embeddings");
        } else {
            defaulted.add("tie_word_embeddings");
        }

        Integer bos = tokenId(json, JsonFile.optional(o, "bos_token_id"), "bos_token_id");
        JsonElement padElement = JsonFile.optional(o, "pad_token_id");
        // Early LLaMA conversions wrote pad_token_id -1 for "no padding token".
        Integer pad = padElement != null && padElement.isJsonPrimitive() && padElement.getAsJsonPrimitive().isNumber()
                && json.integer(padElement, "pad_token_id") == -1 ? null : tokenId(json, padElement, "pad_token_id");
        List<Integer> eos = new ArrayList<>();
        JsonElement eosElement = JsonFile.optional(o, "eos_token_id");
        if (eosElement != null && eosElement.isJsonArray()) {
            var array = eosElement.getAsJsonArray();
            for (int i = 0; i < array.size(); i++) {
                Integer id = tokenId(json, array.get(i), "eos_token_id[" + i + "]");
                if (id == null) {
                    throw json.error("eos_token_id[" + i + "] is null, expected a token id");
                }
                eos.add(id);
            }
        } else if (eosElement != null) {
            eos.add(tokenId(json, eosElement, "eos_token_id"));
        }
        for (String idField : List.of("bos_token_id", "pad_token_id")) {
            Integer id = idField.equals("bos_token_id") ? bos : pad;
            if (id != null && id >= vocab) {
                throw json.error(idField + " is " + id + ", outside the vocabulary of " + vocab + " (vocab_size)");
            }
        }
        for (int id : eos) {
            if (id >= vocab) {
                throw json.error("eos_token_id " + id + " is outside the vocabulary of " + vocab + " (vocab_size)");
            }
        }

        DType dtype = null;
        JsonElement dtypeElement = JsonFile.optional(o, "torch_dtype");
        String dtypeField = "torch_dtype";
        if (dtypeElement == null) {
            dtypeElement = JsonFile.optional(o, "dtype");
            dtypeField = "dtype";
        }
        if (dtypeElement != null) {
            String name = json.string(dtypeElement, dtypeField);
            dtype = switch (name) {
                case "bfloat16" -> DType.BF16;
                case "float16" -> DType.F16;
                case "float32" -> DType.F32;
                case "float64" -> DType.F64;
                default -> throw json.error(dtypeField + " is " + JsonFile.quote(name)
                        + ", expected bfloat16, float16, float32 or float64");
            };
        }

        return new ModelConfig(configJson, family, architectures, modelType, vocab, hidden, intermediate, layers,
                heads, kvHeads, headDim, act, maxPositions, eps, theta, ropeScaling, tied, bos, eos, pad, dtype,
                weightBits, inputBits, quantization, defaulted, o);
    }

    private static ModelFamily family(JsonFile json, List<String> architectures, String modelType,
            boolean hasBitWidths, QuantizationConfig quantization) {
        // transformers' spelling and 1bitLLM's (which llama.cpp registers); no other casing exists upstream.
        boolean bitnetArchitecture = architectures.stream()
                .anyMatch(a -> a.equals("BitNetForCausalLM") || a.equals("BitnetForCausalLM"));
        boolean llamaArchitecture = architectures.contains("LlamaForCausalLM");
        String shown = "architectures " + architectures + ", model_type "
                + (modelType == null ? "absent" : JsonFile.quote(modelType));
        if ("bitnet".equals(modelType)) {
            if (!architectures.isEmpty() && !bitnetArchitecture) {
                throw json.error(shown + ": model_type \"bitnet\" needs architectures [\"BitNetForCausalLM\"]");
            }
            return ModelFamily.TRANSFORMERS_BITNET;
        }
        if (bitnetArchitecture) {
            if (modelType == null || modelType.equals("llama") || hasBitWidths) {
                return ModelFamily.ONEBITLLM_BITNET;
            }
            throw json.error(shown + ": a BitNet architecture needs model_type \"bitnet\" (transformers) or \"llama\""
                    + " (1bitLLM)");
        }
        if (llamaArchitecture || (architectures.isEmpty() && "llama".equals(modelType))) {
            if (quantization != null && quantization.isBitnet()) {
                return ModelFamily.LLAMA_BITNET_QUANTIZED;
            }
            if (quantization != null) {
                throw json.error("quantization_config.quant_method is " + JsonFile.quote(quantization.quantMethod())
                        + ": ternpack reads full-precision or bitnet checkpoints only");
            }
            return ModelFamily.LLAMA;
        }
        throw json.error(shown + " is not a model ternpack reads; it reads BitNetForCausalLM (transformers,"
                + " model_type \"bitnet\"), BitnetForCausalLM (1bitLLM, model_type \"llama\") and LlamaForCausalLM");
    }

    private static String ropeScalingType(JsonFile json, JsonObject o, JsonObject ropeParameters) {
        JsonElement scaling = JsonFile.optional(o, "rope_scaling");
        String where = "rope_scaling";
        JsonObject holder = null;
        if (scaling != null) {
            holder = json.object(scaling, where);
        } else if (ropeParameters != null) {
            holder = ropeParameters;
            where = "rope_parameters";
        }
        if (holder == null) {
            return null;
        }
        JsonElement type = JsonFile.optional(holder, "rope_type");
        String field = where + ".rope_type";
        if (type == null) {
            type = JsonFile.optional(holder, "type");
            field = where + ".type";
        }
        if (type == null) {
            return null;
        }
        String name = json.string(type, field);
        return name.equals("default") ? null : name;
    }

    private static int positive(JsonFile json, JsonObject o, String key) {
        int v = json.integer(json.required(o, key, key, "a positive integer"), key);
        if (v <= 0) {
            throw json.error(key + " is " + v + ", expected a positive integer");
        }
        return v;
    }

    private static Integer optionalInt(JsonFile json, JsonObject o, String key) {
        JsonElement e = JsonFile.optional(o, key);
        return e == null ? null : json.integer(e, key);
    }

    private static Integer tokenId(JsonFile json, JsonElement e, String where) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        int id = json.integer(e, where);
        if (id < 0) {
            throw json.error(where + " is " + id + ", expected a token id (0 or more)");
        }
        return id;
    }
}
