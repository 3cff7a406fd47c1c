package dev.ternpack.formats.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.hf.QuantizationConfig.LinearClass;
import dev.ternpack.formats.hf.QuantizationConfig.QuantizationMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json of the fixtures and of each family, and one test per rule that refuses a config. */
class ModelConfigTest {
    @TempDir
    Path dir;

    /** The shape of microsoft/bitnet-b1.58-2B-4T's config.json (FORMATS.md §4.4 and §4.2). */
    private static final String BITNET_2B4T = """
            {"architectures": ["BitNetForCausalLM"], "model_type": "bitnet", "vocab_size": 128256,
             "hidden_size": 2560, "intermediate_size": 6912, "num_hidden_layers": 30, "num_attention_heads": 20,
             "num_key_value_heads": 5, "hidden_act": "relu2", "max_position_embeddings": 4096,
             "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
             "bos_token_id": 128000, "eos_token_id": 128001,
             "quantization_config": {"quant_method": "bitnet", "linear_class": "autobitlinear",
                                     "quantization_mode": "offline"}}""";

    /** The shape of 1bitLLM/bitnet_b1_58-large's config.json (FORMATS.md §5). */
    private static final String ONEBITLLM_LARGE = """
            {"architectures": ["BitnetForCausalLM"], "model_type": "llama", "vocab_size": 32002,
             "hidden_size": 1536, "intermediate_size": 4096, "num_hidden_layers": 24, "num_attention_heads": 16,
             "hidden_act": "silu", "max_position_embeddings": 2048, "rms_norm_eps": 1e-05, "pad_token_id": 32000,
             "bos_token_id": 1, "eos_token_id": 2, "weight_bits": 1, "input_bits": 8, "torch_dtype": "float16",
             "tie_word_embeddings": true}""";

    private Path write(String json) throws IOException {
        return Files.writeString(dir.resolve("config.json"), json);
    }

    private Path edited(String base, Consumer<JsonObject> edit) throws IOException {
        JsonObject o = JsonParser.parseString(base).getAsJsonObject();
        edit.accept(o);
        return write(o.toString());
    }

    private static void assertRefused(Path file, String... phrases) {
        var e = assertThrows(BadInputException.class, () -> ModelConfig.read(file));
        assertEquals(file, e.file());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        for (String phrase : phrases) {
            assertTrue(e.problem().contains(phrase), "expected '" + phrase + "' in: " + e.problem());
        }
    }

    @Test
    void readsTheRelu2Fixture() {
        Path file = TextTokenizerTest.testdata("models", "tiny-bitnet-relu2", "config.json");
        ModelConfig c = ModelConfig.read(file);
        assertEquals(ModelFamily.TRANSFORMERS_BITNET, c.family());
        assertEquals(List.of("BitNetForCausalLM"), c.architectures());
        assertEquals("bitnet", c.modelType());
        assertEquals(1000, c.vocabSize());
        assertEquals(256, c.hiddenSize());
        assertEquals(768, c.intermediateSize());
        assertEquals(4, c.numHiddenLayers());
        assertEquals(4, c.numAttentionHeads());
        assertEquals(2, c.numKeyValueHeads());
        assertEquals(64, c.headDim());
        assertEquals(HiddenAct.RELU2, c.hiddenAct());
        assertEquals(2048, c.maxPositionEmbeddings());
        assertEquals(1e-5, c.rmsNormEps());
        assertEquals(500_000.0, c.ropeTheta());
        assertNull(c.ropeScalingType());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(998, c.bosTokenId());
        assertEquals(List.of(999), c.eosTokenIds());
        assertNull(c.padTokenId());
        assertEquals(DType.BF16, c.torchDtype());
        assertNull(c.quantizationConfig());
        assertEquals(List.of(), c.defaulted());
        assertEquals("4.52.0", c.raw().get("transformers_version").getAsString());
    }

    @Test
    void readsTheSiluFixture() {
        ModelConfig c = ModelConfig.read(TextTokenizerTest.testdata("models", "tiny-bitnet-silu", "config.json"));
        assertEquals(ModelFamily.TRANSFORMERS_BITNET, c.family());
        assertEquals(HiddenAct.SILU, c.hiddenAct());
        assertEquals(4, c.numKeyValueHeads());
        assertEquals(512, c.intermediateSize());
        assertEquals(10_000.0, c.ropeTheta());
        assertEquals(DType.F32, c.torchDtype());
    }

    @Test
    void readsTheBitnet2b4tShapeWithItsQuantizationConfig() throws IOException {
        ModelConfig c = ModelConfig.read(write(BITNET_2B4T));
        assertEquals(ModelFamily.TRANSFORMERS_BITNET, c.family());
        assertEquals(128, c.headDim());
        QuantizationConfig q = c.quantizationConfig();
        assertTrue(q.isBitnet());
        assertEquals(LinearClass.AUTOBITLINEAR, q.linearClass());
        assertEquals(QuantizationMode.OFFLINE, q.mode());
        assertEquals(List.of(), q.modulesToNotConvert());
        assertFalse(q.useRmsNorm());
    }

    @Test
    void quantizationConfigDefaultsAreThoseOfBitNetQuantConfig() throws IOException {
        ModelConfig c = ModelConfig.read(edited(BITNET_2B4T, o -> {
            JsonObject q = new JsonObject();
            q.addProperty("quant_method", "bitnet");
            q.add("modules_to_not_convert", JsonParser.parseString("[\"lm_head\"]"));
            q.addProperty("future_field", 7);
            o.add("quantization_config", q);
        }));
        QuantizationConfig q = c.quantizationConfig();
        assertEquals(LinearClass.BITLINEAR, q.linearClass());
        assertEquals(QuantizationMode.OFFLINE, q.mode());
        assertEquals(1e-6, q.rmsNormEps());
        assertEquals(List.of("lm_head"), q.modulesToNotConvert());
        assertEquals(7, q.raw().get("future_field").getAsInt(), "unknown fields are kept");
    }

    @Test
    void readsThe1bitLlmShape() throws IOException {
        ModelConfig c = ModelConfig.read(write(ONEBITLLM_LARGE));
        assertEquals(ModelFamily.ONEBITLLM_BITNET, c.family());
        assertEquals(16, c.numKeyValueHeads(), "defaults to the attention heads");
        assertEquals(96, c.headDim(), "1536 / 16");
        assertEquals(10_000.0, c.ropeTheta(), "BitnetConfig default");
        assertEquals(32000, c.padTokenId());
        assertEquals(1, c.weightBits());
        assertEquals(8, c.inputBits());
        assertEquals(DType.F16, c.torchDtype());
        assertEquals(List.of("num_key_value_heads", "head_dim", "rope_theta"), c.defaulted());
    }

    @Test
    void acceptsEitherCasingOfTheBitNetArchitecture() throws IOException {
        // transformers' model_type "bitnet" with 1bitLLM's spelling, and the reverse.
        ModelConfig a = ModelConfig.read(edited(BITNET_2B4T,
                o -> o.add("architectures", JsonParser.parseString("[\"BitnetForCausalLM\"]"))));
        assertEquals(ModelFamily.TRANSFORMERS_BITNET, a.family());
        ModelConfig b = ModelConfig.read(edited(ONEBITLLM_LARGE,
                o -> o.add("architectures", JsonParser.parseString("[\"BitNetForCausalLM\"]"))));
        assertEquals(ModelFamily.ONEBITLLM_BITNET, b.family());
        // Only those two spellings exist upstream.
        assertRefused(edited(BITNET_2B4T,
                o -> o.add("architectures", JsonParser.parseString("[\"BITNETForCausalLM\"]"))),
                "model_type \"bitnet\" needs architectures [\"BitNetForCausalLM\"]");
    }

    @Test
    void defaultsFollowTheFamilysConfigurationClass() throws IOException {
        ModelConfig bitnet = ModelConfig.read(edited(BITNET_2B4T, o -> {
            for (String k : List.of("hidden_act", "max_position_embeddings", "rms_norm_eps", "rope_theta",
                    "tie_word_embeddings", "num_key_value_heads")) {
                o.remove(k);
            }
        }));
        // transformers BitNetConfig: relu2, 2048, 1e-5, default_theta 500000, tie False.
        assertEquals(HiddenAct.RELU2, bitnet.hiddenAct());
        assertEquals(2048, bitnet.maxPositionEmbeddings());
        assertEquals(1e-5, bitnet.rmsNormEps());
        assertEquals(500_000.0, bitnet.ropeTheta());
        assertFalse(bitnet.tieWordEmbeddings());
        assertEquals(20, bitnet.numKeyValueHeads());
        ModelConfig llama = ModelConfig.read(edited(ONEBITLLM_LARGE, o -> {
            o.add("architectures", JsonParser.parseString("[\"LlamaForCausalLM\"]"));
            for (String k : List.of("hidden_act", "rms_norm_eps", "tie_word_embeddings", "weight_bits", "input_bits")) {
                o.remove(k);
            }
        }));
        // LlamaConfig: silu, 1e-6, rope_theta 10000, tie False.
        assertEquals(ModelFamily.LLAMA, llama.family());
        assertEquals(HiddenAct.SILU, llama.hiddenAct());
        assertEquals(1e-6, llama.rmsNormEps());
        assertEquals(10_000.0, llama.ropeTheta());
        assertFalse(llama.tieWordEmbeddings());
        assertFalse(llama.family().trainedTernary());
    }

    @Test
    void aLlamaWithABitnetQuantizationConfigIsItsOwnFamily() throws IOException {
        ModelConfig c = ModelConfig.read(edited(ONEBITLLM_LARGE, o -> {
            o.add("architectures", JsonParser.parseString("[\"LlamaForCausalLM\"]"));
            o.remove("weight_bits");
            o.remove("input_bits");
            o.add("quantization_config", JsonParser.parseString(
                    "{\"quant_method\": \"bitnet\", \"modules_to_not_convert\": null}"));
        }));
        assertEquals(ModelFamily.LLAMA_BITNET_QUANTIZED, c.family());
        assertTrue(c.family().trainedTernary());
        assertEquals(LinearClass.BITLINEAR, c.quantizationConfig().linearClass());
    }

    @Test
    void readsTransformers5RopeParametersAndDtype() throws IOException {
        ModelConfig c = ModelConfig.read(edited(BITNET_2B4T, o -> {
            o.remove("rope_theta");
            o.remove("torch_dtype");
            o.addProperty("dtype", "float32");
            o.add("rope_parameters", JsonParser.parseString("{\"rope_theta\": 250000.0, \"rope_type\": \"default\"}"));
        }));
        assertEquals(250_000.0, c.ropeTheta());
        assertNull(c.ropeScalingType());
        assertEquals(DType.F32, c.torchDtype());
        ModelConfig scaled = ModelConfig.read(edited(BITNET_2B4T, o -> o.add("rope_scaling",
                JsonParser.parseString("{\"rope_type\": \"llama3\", \"factor\": 8.0}"))));
        assertEquals("llama3", scaled.ropeScalingType());
    }

    @Test
    void eosMayBeAList() throws IOException {
        ModelConfig c = ModelConfig.read(edited(BITNET_2B4T,
                o -> o.add("eos_token_id", JsonParser.parseString("[128001, 128009]"))));
        assertEquals(List.of(128001, 128009), c.eosTokenIds());
        assertEquals(128001, c.eosTokenId());
    }

    // ---- one test per rule that refuses a config.json

    @Test
    void refusesTextThatIsNotJson() throws IOException {
        assertRefused(write("{\"vocab_size\": 1000,"), "is not valid JSON");
    }

    @Test
    void refusesJsonThatIsNotAnObject() throws IOException {
        assertRefused(write("[1, 2]"), "is a JSON array [1,2], expected a JSON object");
    }

    @Test
    void refusesAConfigWithoutArchitecturesOrModelType() throws IOException {
        assertRefused(edited(BITNET_2B4T, o -> {
            o.remove("architectures");
            o.remove("model_type");
        }), "neither architectures nor model_type");
    }

    @Test
    void refusesAnArchitectureTernpackDoesNotRead() throws IOException {
        assertRefused(edited(BITNET_2B4T, o -> {
            o.add("architectures", JsonParser.parseString("[\"MistralForCausalLM\"]"));
            o.addProperty("model_type", "mistral");
        }), "MistralForCausalLM", "is not a model ternpack reads", "BitnetForCausalLM (1bitLLM");
    }

    @Test
    void refusesAMissingRequiredField() throws IOException {
        assertRefused(edited(BITNET_2B4T, o -> o.remove("intermediate_size")),
                "intermediate_size is missing, expected a positive integer");
    }

    @Test
    void refusesARequiredFieldOfTheWrongType() throws IOException {
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("hidden_size", "2560")),
                "hidden_size is a JSON string \"2560\", expected an integer");
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("num_hidden_layers", 2.5)),
                "num_hidden_layers is 2.5, expected an integer");
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("tie_word_embeddings", "yes")),
                "tie_word_embeddings is a JSON string \"yes\", expected true or false");
    }

    @Test
    void refusesHiddenSizeNotDivisibleByHeadsWithoutHeadDim() throws IOException {
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("num_attention_heads", 30)),
                "hidden_size (2560) is not divisible by num_attention_heads (30)");
        // With an explicit head_dim the division is not needed (heads * head_dim may differ from hidden).
        ModelConfig c = ModelConfig.read(edited(BITNET_2B4T, o -> {
            o.addProperty("num_attention_heads", 30);
            o.addProperty("num_key_value_heads", 6);
            o.addProperty("head_dim", 64);
        }));
        assertEquals(64, c.headDim());
    }

    @Test
    void refusesHeadsThatAreNotAMultipleOfKeyValueHeads() throws IOException {
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("num_key_value_heads", 3)),
                "num_attention_heads (20) is not a multiple of num_key_value_heads (3)");
    }

    @Test
    void refusesNonPositiveSizes() throws IOException {
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("vocab_size", 0)), "vocab_size is 0, expected a positive");
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("num_key_value_heads", -5)),
                "num_key_value_heads is -5");
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("head_dim", 0)), "head_dim is 0");
    }

    @Test
    void refusesAnUnknownActivationListingTheKnownOnes() throws IOException {
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("hidden_act", "squared_relu")),
                "hidden_act is 'squared_relu', not an activation ternpack knows (relu2, silu, swish, relu, gelu,"
                        + " gelu_pytorch_tanh, gelu_new)");
    }

    @Test
    void refusesANonPositiveRopeTheta() throws IOException {
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("rope_theta", 0)), "rope_theta is 0.0, expected a positive");
        assertRefused(edited(BITNET_2B4T, o -> {
            o.remove("rope_theta");
            o.add("rope_parameters", JsonParser.parseString("{\"rope_theta\": -1}"));
        }), "rope_parameters.rope_theta is -1.0");
    }

    @Test
    void refusesANonPositiveEpsilon() throws IOException {
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("rms_norm_eps", 0.0)), "rms_norm_eps is 0.0");
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("rms_norm_eps", -1e-5)), "rms_norm_eps is -1.0E-5");
    }

    @Test
    void refusesAnUnknownLinearClassOrMode() throws IOException {
        assertRefused(edited(BITNET_2B4T,
                o -> o.getAsJsonObject("quantization_config").addProperty("linear_class", "ternarylinear")),
                "quantization_config.linear_class is 'ternarylinear', expected \"bitlinear\" or \"autobitlinear\"");
        assertRefused(edited(BITNET_2B4T,
                o -> o.getAsJsonObject("quantization_config").addProperty("quantization_mode", "static")),
                "quantization_config.quantization_mode is 'static'");
        assertRefused(edited(BITNET_2B4T, o -> o.getAsJsonObject("quantization_config").remove("quant_method")),
                "quantization_config.quant_method is missing");
    }

    @Test
    void refusesTokenIdsOutsideTheVocabulary() throws IOException {
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("bos_token_id", 128256)),
                "bos_token_id is 128256, outside the vocabulary of 128256");
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("eos_token_id", -2)), "eos_token_id is -2");
    }

    @Test
    void refusesAnUnknownDtype() throws IOException {
        assertRefused(edited(BITNET_2B4T, o -> o.addProperty("torch_dtype", "int4")),
                "torch_dtype is 'int4', expected bfloat16, float16, float32 or float64");
    }

    @Test
    void refusesAMissingFile() {
        Path missing = dir.resolve("config.json");
        assertRefused(missing, "no such file");
    }
}
