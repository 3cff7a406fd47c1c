package dev.ternpack.convert.synth;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.safetensors.PlannedTensor;
import dev.ternpack.formats.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Writes a synthetic BitNet checkpoint with real shapes and random BF16 latent weights, for measuring speed
 * and memory at scale (no trained model of that size ships with ternpack). Weights are approximately
 * N(0, 0.02) (a sum of four uniforms), deterministic per tensor name and seed; norms are 1.0. The tokenizer
 * is a synthetic byte-level BPE vocabulary of the configured size, so runtimes such as llama.cpp load the
 * converted model. Its perplexity is meaningless; its cost is the real one.
 */
public final class SyntheticCheckpoint {

    /** Shape of the model to synthesize. */
    public record Shape(int hidden, int ffn, int layers, int heads, int kvHeads, int vocab, String activation,
            double ropeTheta) {
        /** microsoft/bitnet-b1.58-2B-4T's shapes. */
        public static final Shape BITNET_2B_4T = new Shape(2560, 6912, 30, 20, 5, 128256, "relu2", 500000.0);

        public Shape withLayers(int n) {
            return new Shape(hidden, ffn, n, heads, kvHeads, vocab, activation, ropeTheta);
        }

        public long parameters() {
            long perLayer = 2L * hidden * hidden + 2L * hidden * (hidden / heads * kvHeads) + 3L * hidden * ffn
                    + 3L * hidden + ffn;
            return (long) vocab * hidden + layers * perLayer + hidden;
        }
    }

    private static final int CHUNK = 1 << 22;

    private SyntheticCheckpoint() {
    }

    /** Writes config.json, tokenizer.json, tokenizer_config.json and model.safetensors into {@code dir}. */
    public static void write(Path dir, Shape s, long seed, LongConsumer bytesWritten) throws IOException {
        Files.createDirectories(dir);
        List<PlannedTensor> plan = new ArrayList<>();
        int kv = s.hidden() / s.heads() * s.kvHeads();
        plan.add(new PlannedTensor("model.embed_tokens.weight", DType.BF16, new long[] {s.vocab(), s.hidden()}));
        for (int i = 0; i < s.layers(); i++) {
            String p = "model.layers." + i + ".";
            plan.add(new PlannedTensor(p + "input_layernorm.weight", DType.BF16, new long[] {s.hidden()}));
            plan.add(new PlannedTensor(p + "self_attn.q_proj.weight", DType.BF16, new long[] {s.hidden(), s.hidden()}));
            plan.add(new PlannedTensor(p + "self_attn.k_proj.weight", DType.BF16, new long[] {kv, s.hidden()}));
            plan.add(new PlannedTensor(p + "self_attn.v_proj.weight", DType.BF16, new long[] {kv, s.hidden()}));
            plan.add(new PlannedTensor(p + "self_attn.o_proj.weight", DType.BF16, new long[] {s.hidden(), s.hidden()}));
            plan.add(new PlannedTensor(p + "self_attn.attn_sub_norm.weight", DType.BF16, new long[] {s.hidden()}));
            plan.add(new PlannedTensor(p + "post_attention_layernorm.weight", DType.BF16, new long[] {s.hidden()}));
            plan.add(new PlannedTensor(p + "mlp.gate_proj.weight", DType.BF16, new long[] {s.ffn(), s.hidden()}));
            plan.add(new PlannedTensor(p + "mlp.up_proj.weight", DType.BF16, new long[] {s.ffn(), s.hidden()}));
            plan.add(new PlannedTensor(p + "mlp.down_proj.weight", DType.BF16, new long[] {s.hidden(), s.ffn()}));
            plan.add(new PlannedTensor(p + "mlp.ffn_sub_norm.weight", DType.BF16, new long[] {s.ffn()}));
        }
        plan.add(new PlannedTensor("model.norm.weight", DType.BF16, new long[] {s.hidden()}));
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("model.safetensors"), plan,
                Map.of("format", "pt", "ternpack.synthetic", "seed " + seed))) {
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (PlannedTensor t : plan) {
                var sink = w.beginTensor(t.name());
                boolean norm = t.shape().length == 1;
                long state = seed * 0x9E3779B97F4A7C15L ^ t.name().hashCode() * 0xC2B2AE3D27D4EB4FL;
                long left = t.numel();
                while (left > 0) {
                    int n = (int) Math.min(left, CHUNK / 2);
                    buf.clear();
                    for (int i = 0; i < n; i++) {
                        short v;
                        if (norm) {
                            v = 0x3F80; // bf16 1.0
                        } else {
                            state ^= state << 13;
                            state ^= state >>> 7;
                            state ^= state << 17;
                            // Irwin-Hall sum of four 16-bit uniforms: mean 2, variance 4/12.
                            double u = ((state & 0xFFFF) + ((state >>> 16) & 0xFFFF) + ((state >>> 32) & 0xFFFF)
                                    + (state >>> 48)) / 65536.0 - 2.0;
                            float x = (float) (u * 0.02 / Math.sqrt(4.0 / 12.0));
                            v = (short) (Float.floatToRawIntBits(x) >>> 16);
                        }
                        buf.putShort(v);
                    }
                    buf.flip();
                    sink.write(buf);
                    left -= n;
                    bytesWritten.accept(2L * n);
                }
                sink.finish();
            }
            w.commit();
        }
        Files.writeString(dir.resolve("config.json"), config(s));
        Files.writeString(dir.resolve("tokenizer.json"), tokenizer(s.vocab()));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {
                  "add_bos_token": true,
                  "add_eos_token": false,
                  "bos_token": "<|begin_of_text|>",
                  "eos_token": "<|end_of_text|>",
                  "tokenizer_class": "PreTrainedTokenizerFast"
                }
                """);
    }

    private static String config(Shape s) {
        JsonObject c = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add("BitNetForCausalLM");
        c.add("architectures", arch);
        c.addProperty("model_type", "bitnet");
        c.addProperty("vocab_size", s.vocab());
        c.addProperty("hidden_size", s.hidden());
        c.addProperty("intermediate_size", s.ffn());
        c.addProperty("num_hidden_layers", s.layers());
        c.addProperty("num_attention_heads", s.heads());
        c.addProperty("num_key_value_heads", s.kvHeads());
        c.addProperty("hidden_act", s.activation());
        c.addProperty("max_position_embeddings", 4096);
        c.addProperty("rms_norm_eps", 1e-5);
        c.addProperty("rope_theta", s.ropeTheta());
        c.addProperty("tie_word_embeddings", true);
        c.addProperty("bos_token_id", s.vocab() - 2);
        c.addProperty("eos_token_id", s.vocab() - 1);
        c.add("pad_token_id", JsonNull.INSTANCE);
        c.addProperty("torch_dtype", "bfloat16");
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(c) + "\n";
    }

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to 256 + k. */
    static String[] byteTokens() {
        String[] out = new String[256];
        int k = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out[b] = new String(Character.toChars(printable ? b : 256 + k++));
        }
        return out;
    }

    /**
     * A byte-level BPE vocabulary of exactly {@code vocab} ids: 256 byte tokens, merges of byte pairs and then
     * of (pair, byte) triples in a fixed order, and two special tokens at the end.
     */
    static String tokenizer(int vocab) {
        if (vocab < 258) {
            throw new IllegalArgumentException("vocabulary too small: " + vocab);
        }
        String[] bytes = byteTokens();
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (String b : bytes) {
            ids.put(b, ids.size());
        }
        List<String> merges = new ArrayList<>();
        int target = vocab - 2;
        // Order byte pairs with common ASCII first, so real text merges into longer tokens.
        int[] order = new int[256];
        int o = 0;
        for (int b = 'a'; b <= 'z'; b++) {
            order[o++] = b;
        }
        for (int b = 0; b < 256; b++) {
            if (b < 'a' || b > 'z') {
                order[o++] = b;
            }
        }
        List<String> pairs = new ArrayList<>();
        outer:
        for (int a : order) {
            for (int b : order) {
                if (ids.size() >= target) {
                    break outer;
                }
                String t = bytes[a] + bytes[b];
                ids.put(t, ids.size());
                merges.add(bytes[a] + " " + bytes[b]);
                pairs.add(t);
            }
        }
        outer2:
        for (String p : pairs) {
            for (int b : order) {
                if (ids.size() >= target) {
                    break outer2;
                }
                String t = p + bytes[b];
                if (ids.putIfAbsent(t, ids.size()) == null) {
                    merges.add(p + " " + bytes[b]);
                }
            }
        }
        if (ids.size() < target) {
            throw new IllegalArgumentException("vocabulary too large for the synthetic tokenizer: " + vocab);
        }
        JsonObject vocabJson = new JsonObject();
        ids.forEach(vocabJson::addProperty);
        JsonArray mergesJson = new JsonArray();
        merges.forEach(mergesJson::add);
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", JsonNull.INSTANCE);
        model.add("unk_token", JsonNull.INSTANCE);
        model.add("continuing_subword_prefix", JsonNull.INSTANCE);
        model.add("end_of_word_suffix", JsonNull.INSTANCE);
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.add("vocab", vocabJson);
        model.add("merges", mergesJson);
        JsonArray added = new JsonArray();
        added.add(special(vocab - 2, "<|begin_of_text|>"));
        added.add(special(vocab - 1, "<|end_of_text|>"));
        JsonObject byteLevel = new JsonObject();
        byteLevel.addProperty("type", "ByteLevel");
        byteLevel.addProperty("add_prefix_space", false);
        byteLevel.addProperty("trim_offsets", true);
        byteLevel.addProperty("use_regex", true);
        JsonObject t = new JsonObject();
        t.addProperty("version", "1.0");
        t.add("truncation", JsonNull.INSTANCE);
        t.add("padding", JsonNull.INSTANCE);
        t.add("added_tokens", added);
        t.add("normalizer", JsonNull.INSTANCE);
        t.add("pre_tokenizer", byteLevel);
        t.add("post_processor", byteLevel.deepCopy());
        t.add("decoder", byteLevel.deepCopy());
        t.add("model", model);
        return new GsonBuilder().serializeNulls().disableHtmlEscaping().create().toJson(t);
    }

    private static JsonObject special(int id, String content) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("content", content);
        o.addProperty("single_word", false);
        o.addProperty("lstrip", false);
        o.addProperty("rstrip", false);
        o.addProperty("normalized", false);
        o.addProperty("special", true);
        return o;
    }
}
