package dev.ternpack.convert;

import com.google.gson.JsonObject;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.safetensors.PlannedTensor;
import dev.ternpack.formats.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A small F32 transformers-BitNet checkpoint with chosen shapes, for the refusal tests (tokenizer: relu2 fixture's). */
final class TinyCheckpoint {
    static final Path ROOT = Path.of(System.getProperty("ternpack.root"));

    private TinyCheckpoint() {
    }

    static Path fixture(String name) {
        return ROOT.resolve("testdata").resolve("models").resolve(name);
    }

    static Path write(Path dir, int hidden, int ffn, int layers, boolean untied, String architecture, String modelType)
            throws IOException {
        return write(dir, hidden, ffn, layers, untied, architecture, modelType, "self_attn.attn_sub_norm",
                "mlp.ffn_sub_norm");
    }

    /** As above with the sub-norm names of a family (1bitLLM: self_attn.inner_attn_ln, mlp.ffn_layernorm). */
    static Path write(Path dir, int hidden, int ffn, int layers, boolean untied, String architecture, String modelType,
            String attnSubNorm, String ffnSubNorm) throws IOException {
        Files.createDirectories(dir);
        int vocab = 1000;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {vocab, hidden});
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {hidden});
            for (String n : List.of("q", "k", "v", "o")) {
                shapes.put(p + "self_attn." + n + "_proj.weight", new long[] {hidden, hidden});
            }
            shapes.put(p + attnSubNorm + ".weight", new long[] {hidden});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {hidden});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {ffn, hidden});
            shapes.put(p + "mlp.up_proj.weight", new long[] {ffn, hidden});
            shapes.put(p + "mlp.down_proj.weight", new long[] {hidden, ffn});
            shapes.put(p + ffnSubNorm + ".weight", new long[] {ffn});
        }
        shapes.put("model.norm.weight", new long[] {hidden});
        if (untied) {
            shapes.put("lm_head.weight", new long[] {vocab, hidden});
        }
        List<PlannedTensor> plan = new ArrayList<>();
        shapes.forEach((n, s) -> plan.add(new PlannedTensor(n, DType.F32, s)));
        Random rnd = new Random(42);
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("model.safetensors"), plan,
                Map.of("format", "pt"))) {
            for (PlannedTensor t : plan) {
                int n = Math.toIntExact(t.numel());
                MemorySegment seg = MemorySegment.ofArray(new byte[n * 4]);
                boolean norm = t.shape().length == 1;
                for (int i = 0; i < n; i++) {
                    seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i,
                            norm ? 1f : (float) (rnd.nextGaussian() * 0.02));
                }
                w.writeTensor(t.name(), seg);
            }
            w.commit();
        }
        JsonObject c = new JsonObject();
        var arch = new com.google.gson.JsonArray();
        arch.add(architecture);
        c.add("architectures", arch);
        c.addProperty("model_type", modelType);
        c.addProperty("vocab_size", vocab);
        c.addProperty("hidden_size", hidden);
        c.addProperty("intermediate_size", ffn);
        c.addProperty("num_hidden_layers", layers);
        c.addProperty("num_attention_heads", 4);
        c.addProperty("num_key_value_heads", 4);
        c.addProperty("hidden_act", modelType.equals("llama") ? "silu" : "relu2");
        if (architecture.equals("BitnetForCausalLM")) {
            c.addProperty("weight_bits", 1);
            c.addProperty("input_bits", 8);
        }
        c.addProperty("rms_norm_eps", 1e-5);
        c.addProperty("rope_theta", 500000.0);
        c.addProperty("tie_word_embeddings", !untied);
        c.addProperty("bos_token_id", 998);
        c.addProperty("eos_token_id", 999);
        Files.writeString(dir.resolve("config.json"), c.toString());
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(fixture("tiny-bitnet-relu2").resolve(f), dir.resolve(f));
        }
        return dir;
    }
}
