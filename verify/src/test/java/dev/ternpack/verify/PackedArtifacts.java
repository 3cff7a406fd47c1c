package dev.ternpack.verify;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.FloatDecoding;
import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.gguf.GgmlType;
import dev.ternpack.formats.gguf.GgufValue;
import dev.ternpack.formats.gguf.GgufWriter;
import dev.ternpack.formats.hf.ModelConfig;
import dev.ternpack.formats.safetensors.PlannedTensor;
import dev.ternpack.formats.safetensors.SafetensorsCheckpoint;
import dev.ternpack.formats.safetensors.SafetensorsWriter;
import dev.ternpack.pack.AbsmeanQuantizer;
import dev.ternpack.pack.Hf2BitLayout;
import dev.ternpack.pack.I2sLayout;
import dev.ternpack.pack.LinearClass;
import dev.ternpack.pack.TernaryLayout;
import dev.ternpack.pack.TernaryTensor;
import dev.ternpack.pack.Tq1Layout;
import dev.ternpack.pack.Tq2Layout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Builds packed models from a latent fixture for tests, with pack's layouts and formats' writers only (never
 * with convert): GGUF TQ2_0/TQ1_0 (scale folded or in a .scale tensor), GGUF I2_S, GGUF with F32 ternary-valued
 * projections, and HF packed 2-bit directories. A {@link Corruption} damages one projection on the way.
 */
public final class PackedArtifacts {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String[] HF = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
        "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};
    private static final String[] GG = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};

    /** GGUF projection storage. */
    public enum GgufKind {
        TQ2_FOLD(GgmlType.TQ2_0, Tq2Layout.FOLD), TQ2_TENSOR(GgmlType.TQ2_0, Tq2Layout.TENSOR_SCALE),
        TQ1_FOLD(GgmlType.TQ1_0, Tq1Layout.FOLD), TQ1_TENSOR(GgmlType.TQ1_0, Tq1Layout.TENSOR_SCALE),
        I2_S(GgmlType.I2_S, I2sLayout.INSTANCE), F32_TERNARY(GgmlType.F32, null),
        /** The latent weights themselves, not ternarized (a file that was never quantized). */
        F32_LATENT(GgmlType.F32, null);

        final GgmlType type;
        final TernaryLayout layout;

        GgufKind(GgmlType type, TernaryLayout layout) {
            this.type = type;
            this.layout = layout;
        }
    }

    /** What to damage in one projection ({@code layer}, HF projection index 0..6). */
    public enum Damage {
        NONE, REVERSE_BYTES, INVERT_SCALE, SWAP_ROWS,
        /** Per-block fp16 scales (TQ fold only): every block fp16(gamma), the first block of row 1 doubled. */
        ONE_BLOCK_SCALE
    }

    public record Corruption(Damage damage, int layer, int projection) {
        public static final Corruption NONE = new Corruption(Damage.NONE, -1, -1);

        boolean hits(int l, int p) {
            return damage != Damage.NONE && l == layer && p == projection;
        }
    }

    private PackedArtifacts() {
    }

    /** The GGUF name of a projection, e.g. {@code blk.1.ffn_up.weight}. */
    public static String ggufName(int layer, int projection) {
        return "blk." + layer + "." + GG[projection] + ".weight";
    }

    /** The HF name of a projection, e.g. {@code model.layers.1.mlp.up_proj.weight}. */
    public static String hfName(int layer, int projection) {
        return "model.layers." + layer + "." + HF[projection] + ".weight";
    }

    private static TernaryTensor ternarize(Tensor t, Corruption c, int layer, int p) {
        TernaryTensor tt = AbsmeanQuantizer.ternarize(t).tensor();
        if (!c.hits(layer, p)) {
            return tt;
        }
        byte[] trits = tt.trits().clone();
        float gamma = tt.tensorScale();
        switch (c.damage()) {
            case INVERT_SCALE -> gamma = 1f / gamma;
            case SWAP_ROWS -> {
                for (int col = 0; col < tt.cols(); col++) {
                    byte a = trits[col];
                    trits[col] = trits[tt.cols() + col];
                    trits[tt.cols() + col] = a;
                }
            }
            case ONE_BLOCK_SCALE -> {
                short[] d = new short[trits.length / TernaryTensor.TQ_BLOCK];
                java.util.Arrays.fill(d, Float.floatToFloat16(gamma));
                d[tt.cols() / TernaryTensor.TQ_BLOCK] = Float.floatToFloat16(2 * gamma);
                return new TernaryTensor(tt.name(), tt.file(), tt.rows(), tt.cols(), trits,
                        new dev.ternpack.pack.TritScale.PerBlock(d));
            }
            default -> {
            }
        }
        return TernaryTensor.of(tt.name(), tt.file(), tt.rows(), tt.cols(), trits, gamma);
    }

    private static void damageBytes(MemorySegment packed, Corruption c, int layer, int p) {
        if (c.hits(layer, p) && c.damage() == Damage.REVERSE_BYTES) {
            byte[] head = packed.asSlice(0, 32).toArray(ValueLayout.JAVA_BYTE);
            for (int i = 0; i < 32; i++) {
                packed.set(ValueLayout.JAVA_BYTE, i, head[31 - i]);
            }
        }
    }

    /** Writes {@code out} (a .gguf file) from the latent checkpoint {@code latentDir}. */
    public static Path gguf(Path latentDir, Path out, GgufKind kind, Corruption corruption) {
        return gguf(latentDir, out, kind, corruption, Map.of(), Set.of());
    }

    /**
     * Like {@link #gguf(Path, Path, GgufKind, Corruption)}; {@code metadata} replaces the value of a key the
     * writer would put (an empty optional leaves the key out), and the tensors named in {@code omit} are left out.
     */
    public static Path gguf(Path latentDir, Path out, GgufKind kind, Corruption corruption,
            Map<String, Optional<GgufValue>> metadata, Set<String> omit) {
        ModelConfig cfg = ModelConfig.read(latentDir.resolve("config.json"));
        String arch = kind == GgufKind.I2_S ? "bitnet-b1.58" : "bitnet";
        try (SafetensorsCheckpoint src = SafetensorsCheckpoint.open(latentDir); Arena arena = Arena.ofConfined();
                GgufWriter gw = GgufWriter.create(out)) {
            java.util.function.BiConsumer<String, GgufValue> w = (k, v) -> {
                Optional<GgufValue> o = metadata.getOrDefault(k, Optional.of(v));
                o.ifPresent(x -> gw.put(k, x));
            };
            w.accept("general.architecture", GgufValue.string(arch));
            w.accept(arch + ".context_length", GgufValue.u32(cfg.maxPositionEmbeddings()));
            w.accept(arch + ".embedding_length", GgufValue.u32(cfg.hiddenSize()));
            w.accept(arch + ".block_count", GgufValue.u32(cfg.numHiddenLayers()));
            w.accept(arch + ".feed_forward_length", GgufValue.u32(cfg.intermediateSize()));
            w.accept(arch + ".attention.head_count", GgufValue.u32(cfg.numAttentionHeads()));
            w.accept(arch + ".attention.head_count_kv", GgufValue.u32(cfg.numKeyValueHeads()));
            w.accept(arch + ".attention.layer_norm_rms_epsilon", GgufValue.f32((float) cfg.rmsNormEps()));
            w.accept(arch + ".rope.freq_base", GgufValue.f32((float) cfg.ropeTheta()));
            w.accept(arch + ".vocab_size", GgufValue.u32(cfg.vocabSize()));
            // bitnet defaults to SiLU and bitnet-b1.58 to ReLU²; the key says which the model needs.
            w.accept(arch + ".hidden_activation", GgufValue.string(cfg.hiddenAct().configName()));
            Map<String, MemorySegment> data = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            Map<String, GgmlType> types = new LinkedHashMap<>();
            addF32(src, "model.embed_tokens.weight", "token_embd.weight", arena, data, shapes, types);
            addF32(src, "model.norm.weight", "output_norm.weight", arena, data, shapes, types);
            String sub = src.contains("model.layers.0.self_attn.attn_sub_norm.weight") ? "attn_sub_norm" : "inner_attn_ln";
            String ffnSub = sub.equals("attn_sub_norm") ? "ffn_sub_norm" : "ffn_layernorm";
            for (int l = 0; l < cfg.numHiddenLayers(); l++) {
                String hb = "model.layers." + l + ".";
                String gb = "blk." + l + ".";
                addF32(src, hb + "input_layernorm.weight", gb + "attn_norm.weight", arena, data, shapes, types);
                addF32(src, hb + "self_attn." + sub + ".weight", gb + "attn_sub_norm.weight", arena, data, shapes, types);
                addF32(src, hb + "post_attention_layernorm.weight", gb + "ffn_norm.weight", arena, data, shapes, types);
                addF32(src, hb + "mlp." + ffnSub + ".weight", gb + "ffn_sub_norm.weight", arena, data, shapes, types);
                for (int p = 0; p < HF.length; p++) {
                    Tensor t = src.tensor(hfName(l, p));
                    TernaryTensor tt = ternarize(t, corruption, l, p);
                    String name = ggufName(l, p);
                    long[] ne = {tt.cols(), tt.rows()};
                    MemorySegment seg;
                    Optional<Float> scale = Optional.empty();
                    if (kind.layout == null) {
                        float[] v = kind == GgufKind.F32_LATENT ? FloatDecoding.decodeAll(t) : tt.dequantize();
                        seg = arena.allocate(4L * v.length);
                        MemorySegment.copy(v, 0, seg, F32, 0, v.length);
                    } else {
                        seg = arena.allocate(kind.layout.packedSize(tt.rows(), tt.cols()));
                        scale = kind.layout.pack(tt, seg);
                    }
                    damageBytes(seg, corruption, l, p);
                    data.put(name, seg);
                    shapes.put(name, ne);
                    types.put(name, kind.type);
                    if (scale.isPresent()) {
                        MemorySegment s = arena.allocate(4);
                        s.set(F32, 0, scale.get());
                        String sn = gb + GG[p] + ".scale";
                        data.put(sn, s);
                        shapes.put(sn, new long[] {1});
                        types.put(sn, GgmlType.F32);
                    }
                }
            }
            if (!cfg.tieWordEmbeddings()) {
                addF32(src, "lm_head.weight", "output.weight", arena, data, shapes, types);
            }
            data.keySet().removeAll(omit);
            for (String n : data.keySet()) {
                gw.addTensor(n, types.get(n), shapes.get(n));
            }
            for (Map.Entry<String, MemorySegment> e : data.entrySet()) {
                gw.writeTensorData(e.getKey(), e.getValue());
            }
            gw.commit();
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void addF32(SafetensorsCheckpoint src, String hf, String gguf, Arena arena,
            Map<String, MemorySegment> data, Map<String, long[]> shapes, Map<String, GgmlType> types) {
        Tensor t = src.tensor(hf);
        float[] v = FloatDecoding.decodeAll(t);
        MemorySegment seg = arena.allocate(4L * v.length);
        MemorySegment.copy(v, 0, seg, F32, 0, v.length);
        long[] shape = t.shape();
        long[] ne = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            ne[i] = shape[shape.length - 1 - i];
        }
        data.put(gguf, seg);
        shapes.put(gguf, ne);
        types.put(gguf, GgmlType.F32);
    }

    /**
     * Writes an HF packed 2-bit checkpoint directory {@code outDir} (config.json with a bitnet
     * quantization_config, tokenizer.json, model.safetensors); weight_scale is written as F32 so it is exact.
     */
    public static Path hf2bit(Path latentDir, Path outDir, LinearClass linearClass, Corruption corruption) {
        return hf2bit(latentDir, outDir, linearClass, corruption, DType.F32);
    }

    /** Like {@link #hf2bit(Path, Path, LinearClass, Corruption)} with weight_scale stored in {@code scaleDtype}. */
    public static Path hf2bit(Path latentDir, Path outDir, LinearClass linearClass, Corruption corruption,
            DType scaleDtype) {
        try {
            Files.createDirectories(outDir);
            JsonObject cfg = Fixtures.json(latentDir.resolve("config.json"));
            JsonObject q = new JsonObject();
            q.addProperty("quant_method", "bitnet");
            q.addProperty("linear_class", linearClass.configName());
            q.addProperty("quantization_mode", "offline");
            cfg.add("quantization_config", q);
            Files.writeString(outDir.resolve("config.json"), new GsonBuilder().setPrettyPrinting().create().toJson(cfg));
            Files.copy(latentDir.resolve("tokenizer.json"), outDir.resolve("tokenizer.json"));
            Hf2BitLayout layout = new Hf2BitLayout(linearClass);
            try (SafetensorsCheckpoint src = SafetensorsCheckpoint.open(latentDir); Arena arena = Arena.ofConfined()) {
                List<PlannedTensor> plan = new ArrayList<>();
                Map<String, MemorySegment> data = new LinkedHashMap<>();
                for (String n : src.names()) {
                    Tensor t = src.tensor(n);
                    int l = -1;
                    int p = -1;
                    for (int i = 0; i < 64 && p < 0; i++) {
                        for (int j = 0; j < HF.length; j++) {
                            if (n.equals(hfName(i, j))) {
                                l = i;
                                p = j;
                            }
                        }
                    }
                    if (p < 0) {
                        plan.add(new PlannedTensor(n, t.dtype(), t.shape()));
                        data.put(n, t.data());
                        continue;
                    }
                    TernaryTensor tt = ternarize(t, corruption, l, p);
                    MemorySegment seg = arena.allocate(layout.packedSize(tt.rows(), tt.cols()));
                    layout.pack(tt, seg).orElseThrow();
                    damageBytes(seg, corruption, l, p);
                    plan.add(new PlannedTensor(n, DType.U8, new long[] {Hf2BitLayout.packedRows(tt.rows()), tt.cols()}));
                    data.put(n, seg);
                    String sn = n.replace(".weight", ".weight_scale");
                    MemorySegment s = MemorySegment.ofArray(layout.encodeWeightScale(tt.tensorScale(), scaleDtype).bytes());
                    plan.add(new PlannedTensor(sn, scaleDtype, new long[] {1}));
                    data.put(sn, s);
                }
                try (SafetensorsWriter w = SafetensorsWriter.create(outDir.resolve("model.safetensors"), plan, Map.of())) {
                    for (PlannedTensor pt : plan) {
                        w.writeTensor(pt.name(), data.get(pt.name()));
                    }
                    w.commit();
                }
            }
            return outDir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
