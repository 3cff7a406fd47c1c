package dev.ternpack.formats.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.FloatDecoding;
import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The three checkpoints in testdata/models, checked against facts that do not come from our reader: the
 * fixtures README (tensor order), each model's config.json (shapes), reference.json (per-projection shape,
 * and gamma and trit hash computed by the independent PyTorch reference from the stored weights), the silu
 * index (shard of each tensor, total_size), and values decoded by Python's struct module.
 */
class FixtureCheckpointsTest {
    private static final Path MODELS = Path.of(System.getProperty("ternpack.root"), "testdata", "models");

    private static JsonObject json(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    /** Names in the order the fixtures README gives: embed, per layer 11 tensors, final norm. */
    private static List<String> readmeOrder(int layers) {
        List<String> names = new ArrayList<>(List.of("model.embed_tokens.weight"));
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            for (String s : List.of("input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                    "self_attn.o_proj", "self_attn.attn_sub_norm", "post_attention_layernorm", "mlp.gate_proj",
                    "mlp.up_proj", "mlp.down_proj", "mlp.ffn_sub_norm")) {
                names.add(p + s + ".weight");
            }
        }
        names.add("model.norm.weight");
        return names;
    }

    /** The [out, in] shape of every tensor, from config.json (BitNet layout; norms are vectors). */
    private static Map<String, long[]> configShapes(JsonObject config) {
        long h = config.get("hidden_size").getAsLong();
        long i = config.get("intermediate_size").getAsLong();
        long v = config.get("vocab_size").getAsLong();
        long headDim = config.get("head_dim").getAsLong();
        long kv = config.get("num_key_value_heads").getAsLong() * headDim;
        long q = config.get("num_attention_heads").getAsLong() * headDim;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {v, h});
        for (int l = 0; l < config.get("num_hidden_layers").getAsInt(); l++) {
            String p = "model.layers." + l + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {h});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {q, h});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {h, q});
            shapes.put(p + "self_attn.attn_sub_norm.weight", new long[] {h});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {h});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {i, h});
            shapes.put(p + "mlp.up_proj.weight", new long[] {i, h});
            shapes.put(p + "mlp.down_proj.weight", new long[] {h, i});
            shapes.put(p + "mlp.ffn_sub_norm.weight", new long[] {i});
        }
        shapes.put("model.norm.weight", new long[] {h});
        return shapes;
    }

    private static void checkLayout(TensorSource source, Path modelDir, DType dtype) throws IOException {
        JsonObject config = json(modelDir.resolve("config.json"));
        Map<String, long[]> shapes = configShapes(config);
        List<String> expected = readmeOrder(config.get("num_hidden_layers").getAsInt());
        assertEquals(46, expected.size());
        assertEquals(expected, source.names());
        for (String name : expected) {
            Tensor t = source.tensor(name);
            assertEquals(dtype, t.dtype(), name);
            assertArrayEquals(shapes.get(name), t.shape(), name);
            assertEquals(t.numel() * dtype.byteSize(), t.byteSize(), name);
        }
        // README: the header is {"__metadata__":{"format":"pt"}, ...}
        assertEquals(Map.of("format", "pt"), source.metadata());
    }

    /**
     * For every projection in reference.json: its shape, and gamma = float32(mean of |W| in float64) and the
     * SHA-256 of the int8 trits clamp(rint(W / gamma), -1, 1) in row-major order, both computed by the PyTorch
     * reference from the stored bytes. A wrong slice, offset or decoding changes both.
     */
    private static void checkProjectionsAgainstReference(TensorSource source, Path modelDir)
            throws IOException, NoSuchAlgorithmException {
        JsonObject projections = json(modelDir.resolve("reference.json")).getAsJsonObject("projections");
        assertEquals(28, projections.size());
        for (Map.Entry<String, JsonElement> p : projections.entrySet()) {
            JsonObject ref = p.getValue().getAsJsonObject();
            Tensor t = source.tensor(p.getKey());
            long[] refShape = new long[] {ref.getAsJsonArray("shape").get(0).getAsLong(),
                    ref.getAsJsonArray("shape").get(1).getAsLong()};
            assertArrayEquals(refShape, t.shape(), p.getKey());
            assertEquals(ref.get("stored_dtype").getAsString(), t.dtype().safetensorsName(), p.getKey());

            float[] w = FloatDecoding.decodeAll(t);
            double sum = 0;
            for (float x : w) {
                sum += Math.abs((double) x);
            }
            float gamma = (float) (sum / w.length);
            int expectedBits = Integer.parseUnsignedInt(ref.get("gamma_f32_bits").getAsString().substring(2), 16);
            assertEquals(expectedBits, Float.floatToRawIntBits(gamma), p.getKey() + " gamma");

            byte[] trits = new byte[w.length];
            for (int k = 0; k < w.length; k++) {
                trits[k] = (byte) Math.max(-1, Math.min(1, Math.rint((double) w[k] / (double) gamma)));
            }
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(trits));
            assertEquals(ref.get("trits_sha256_int8_rowmajor").getAsString(), sha, p.getKey() + " trits");
        }
    }

    @Test
    void relu2SingleBf16File() throws Exception {
        Path model = MODELS.resolve("tiny-bitnet-relu2");
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(model)) {
            assertEquals(1, ckpt.shards().size());
            assertEquals(model.resolve("model.safetensors"), ckpt.shards().get(0).location());
            checkLayout(ckpt, model, DType.BF16);
            // README: "then raw little-endian tensor data in header order, no gaps"
            assertEquals(0, ckpt.shards().get(0).header().unclaimedBytes());
            // BF16 bits decoded by Python struct '<H': embed[0] = 0x3E1A, embed[255999] = 0x3DE1, norm[0] = 0x3F97.
            Tensor embed = ckpt.tensor("model.embed_tokens.weight");
            assertEquals(FloatDecoding.bf16ToFloat((short) 0x3E1A), FloatDecoding.get(embed.data(), DType.BF16, 0));
            assertEquals(FloatDecoding.bf16ToFloat((short) 0x3DE1),
                    FloatDecoding.get(embed.data(), DType.BF16, 255_999));
            assertEquals(FloatDecoding.bf16ToFloat((short) 0x3F97),
                    FloatDecoding.get(ckpt.tensor("model.norm.weight").data(), DType.BF16, 0));
            checkProjectionsAgainstReference(ckpt, model);
        }
    }

    @Test
    void siluTwoF32ShardsWithIndex() throws Exception {
        Path model = MODELS.resolve("tiny-bitnet-silu");
        JsonObject index = json(model.resolve("model.safetensors.index.json"));
        JsonObject weightMap = index.getAsJsonObject("weight_map");
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(model)) {
            assertEquals(List.of(model.resolve("model-00001-of-00002.safetensors"),
                    model.resolve("model-00002-of-00002.safetensors")),
                    ckpt.shards().stream().map(SafetensorsFile::location).toList());
            checkLayout(ckpt, model, DType.F32);
            assertEquals(List.of(), ckpt.unlistedTensors());
            long total = 0;
            for (String name : ckpt.names()) {
                Tensor t = ckpt.tensor(name);
                assertEquals(weightMap.get(name).getAsString(), t.file().getFileName().toString(), name + " shard");
                total += t.byteSize();
            }
            assertEquals(index.getAsJsonObject("metadata").get("total_size").getAsLong(), total, "total_size");
            checkProjectionsAgainstReference(ckpt, model);
        }
    }

    @Test
    void controlF16SingleFile() throws Exception {
        Path model = MODELS.resolve("tiny-fp-control-f16");
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(model.resolve("model.safetensors"))) {
            checkLayout(ckpt, model, DType.F16);
            // Values decoded by Python's struct '<e' (IEEE half) from the file's bytes; all exact in float32.
            Tensor embed = ckpt.tensor("model.embed_tokens.weight");
            assertEquals(0.033538818359375f, FloatDecoding.get(embed.data(), DType.F16, 0));
            assertEquals(-0.045196533203125f, FloatDecoding.get(embed.data(), DType.F16, 1));
            assertEquals(-0.0253753662109375f, FloatDecoding.get(embed.data(), DType.F16, 2));
            assertEquals(0.043121337890625f, FloatDecoding.get(embed.data(), DType.F16, 255_999));
            Tensor norm = ckpt.tensor("model.norm.weight");
            assertEquals(1.1279296875f, FloatDecoding.get(norm.data(), DType.F16, 0));
            assertEquals(1.1650390625f, FloatDecoding.get(norm.data(), DType.F16, 255));
            Tensor down = ckpt.tensor("model.layers.3.mlp.down_proj.weight");
            assertEquals(-0.003509521484375f, FloatDecoding.get(down.data(), DType.F16, 0));
            assertEquals(-0.02154541015625f, FloatDecoding.get(down.data(), DType.F16, 131_071));
        }
    }

    @Test
    void shardsCanBeReadFromSeveralThreads() throws Exception {
        // The mapping lives in a shared arena: threads other than the opener read tensors.
        Path model = MODELS.resolve("tiny-bitnet-silu");
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(model)) {
            List<String> names = ckpt.names();
            double[] sums = new double[names.size()];
            List<Thread> threads = new ArrayList<>();
            for (int k = 0; k < names.size(); k++) {
                int idx = k;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (float x : FloatDecoding.decodeAll(ckpt.tensor(names.get(idx)))) {
                        sums[idx] += x;
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            for (int k = 0; k < names.size(); k++) {
                double expected = 0;
                for (float x : FloatDecoding.decodeAll(ckpt.tensor(names.get(k)))) {
                    expected += x;
                }
                assertEquals(expected, sums[k], names.get(k));
            }
            assertTrue(names.size() > 1);
        }
    }
}
