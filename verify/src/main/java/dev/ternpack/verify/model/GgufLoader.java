package dev.ternpack.verify.model;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.FloatDecoding;
import dev.ternpack.formats.gguf.GgmlType;
import dev.ternpack.formats.gguf.GgufFile;
import dev.ternpack.formats.gguf.GgufTensorInfo;
import dev.ternpack.formats.gguf.GgufValue;
import dev.ternpack.pack.I2sLayout;
import dev.ternpack.pack.Implementation;
import dev.ternpack.pack.PackedTensor;
import dev.ternpack.pack.ScaleMode;
import dev.ternpack.pack.TernaryLayout;
import dev.ternpack.pack.Tq1Layout;
import dev.ternpack.pack.Tq2Layout;
import dev.ternpack.verify.kernel.DenseMatrix;
import dev.ternpack.verify.kernel.Parallel;
import dev.ternpack.verify.kernel.TernaryMatrix;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * Loads a BitNet GGUF: upstream llama.cpp's {@code bitnet} architecture (TQ1_0/TQ2_0, scale folded into the
 * blocks or in a separate F32 {@code .scale} tensor) and bitnet.cpp's {@code bitnet-25}/{@code bitnet-b1.58}
 * (I2_S), with F32/F16/BF16/Q8_0 projections accepted too (ternary-valued ones are read as ternary, others kept
 * dense). Hyper-parameters come from the {@code <arch>.*} keys llama.cpp reads (FORMATS.md §2.6, Appendix B).
 */
final class GgufLoader {
    private GgufLoader() {
    }

    static LoadedModel load(GgufFile g, Parallel parallel) {
        Path file = g.path();
        String arch = g.requireString("general.architecture");
        List<String> notes = new ArrayList<>();
        FfnActivation act = activation(g, arch, notes);
        GgufTensorInfo embd = g.tensor("token_embd.weight");
        if (embd.nDims() != 2) {
            throw new BadInputException(file, "token_embd.weight has " + embd.nDims() + " dimensions, expected 2");
        }
        int hidden = intKey(g, arch + ".embedding_length");
        int layers = intKey(g, arch + ".block_count");
        int ffn = intKey(g, arch + ".feed_forward_length");
        int heads = intKey(g, arch + ".attention.head_count");
        int kvHeads = optInt(g, arch + ".attention.head_count_kv").orElse(heads);
        int vocab = optInt(g, arch + ".vocab_size").orElse((int) embd.ne()[1]);
        if (hidden % heads != 0) {
            throw new BadInputException(file, "embedding_length " + hidden + " is not a multiple of head_count " + heads);
        }
        int headDim = optInt(g, arch + ".attention.key_length").orElse(hidden / heads);
        float eps = (float) g.require(arch + ".attention.layer_norm_rms_epsilon").asDouble();
        double theta = g.get(arch + ".rope.freq_base").map(GgufValue::asDouble).orElse(10_000.0);
        if (!g.findTensor("rope_freqs.weight").isEmpty() || g.get(arch + ".rope.scaling.type")
                .map(v -> !v.asString().equals("none") && !(v.asString().equals("linear")
                        && g.get(arch + ".rope.scaling.factor").map(GgufValue::asDouble).orElse(1.0) == 1.0))
                .orElse(false)) {
            throw new BadInputException(file, "rope scaling is not supported by the verifier (only plain RoPE)");
        }
        boolean tied = g.findTensor("output.weight").isEmpty();
        ModelSpec spec;
        try {
            spec = new ModelSpec(vocab, hidden, ffn, layers, heads, kvHeads, headDim, act, theta, eps, tied);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file, "hyper-parameters: " + e.getMessage());
        }
        DenseMatrix embedding = dense(g, embd, vocab, hidden);
        DenseMatrix head = tied ? embedding : dense(g, g.tensor("output.weight"), vocab, hidden);
        float[] finalNorm = vector(g, "output_norm.weight", hidden);

        int projections = Projection.values().length;
        Linear[] linear = new Linear[layers * projections];
        String[] names = new String[linear.length];
        String[] storage = new String[linear.length];
        // Trit buffers reused per shape: the trits are turned into the compute form at once, and a fresh 17 MB array
        // per projection made the heap grow by gigabytes during loading.
        TritBuffers buffers = new TritBuffers();
        parallel.forRange(linear.length, 1, (from, to) -> {
            try (TritBuffers.Lease lease = buffers.take()) {
                for (int j = from; j < to; j++) {
                    int layer = j / projections;
                    Projection p = Projection.values()[j % projections];
                    names[j] = "blk." + layer + "." + p.ggufName() + ".weight";
                    projection(g, spec, layer, p, j, linear, storage, lease);
                }
            }
        });
        List<LayerWeights> layerWeights = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            Map<Projection, Linear> m = new EnumMap<>(Projection.class);
            for (Projection p : Projection.values()) {
                m.put(p, linear[i * projections + p.ordinal()]);
            }
            String b = "blk." + i + ".";
            layerWeights.add(new LayerWeights(vector(g, b + "attn_norm.weight", hidden),
                    vector(g, b + "attn_sub_norm.weight", spec.qDim()), vector(g, b + "ffn_norm.weight", hidden),
                    vector(g, b + "ffn_sub_norm.weight", ffn), m));
        }
        TransformerWeights w = new TransformerWeights(spec, embedding, layerWeights, finalNorm, head);
        List<String> kinds = Arrays.stream(storage).distinct().toList();
        return new LoadedModel(file, "gguf", "GGUF " + arch + ", projections " + String.join(", ", kinds), w,
                Arrays.asList(names), Arrays.asList(storage), ModelLoader.tokenizerNextTo(file), notes);
    }

    private static FfnActivation activation(GgufFile g, String arch, List<String> notes) {
        Optional<String> key = g.getString(arch + ".hidden_activation");
        FfnActivation fromKey = key.map(FfnActivation::fromName).orElse(null);
        if (key.isPresent() && fromKey == null) {
            throw new BadInputException(g.path(), arch + ".hidden_activation \"" + key.get()
                    + "\" is not a BitNet activation (relu2 or silu)");
        }
        return switch (arch) {
            case "bitnet" -> {
                if (fromKey == null) {
                    notes.add("arch bitnet without bitnet.hidden_activation: SiLU, as llama.cpp's bitnet graph");
                }
                yield fromKey == null ? FfnActivation.SILU : fromKey;
            }
            case "bitnet-b1.58", "bitnet-1.58", "bitnet-25" -> fromKey == null ? FfnActivation.RELU2 : fromKey;
            default -> throw new BadInputException(g.path(), "general.architecture \"" + arch
                    + "\" is not a BitNet architecture (bitnet, bitnet-b1.58, bitnet-25)");
        };
    }

    private static void projection(GgufFile g, ModelSpec spec, int layer, Projection p, int j, Linear[] out,
            String[] storage, IntFunction<byte[]> buffers) {
        int rows = LatentLoader.rows(spec, p);
        int cols = LatentLoader.cols(spec, p);
        String name = "blk." + layer + "." + p.ggufName() + ".weight";
        GgufTensorInfo t = g.tensor(name);
        long[] ne = t.ne();
        if (ne.length != 2 || ne[0] != cols || ne[1] != rows) {
            throw new BadInputException(g.path(), "tensor " + name + " has ne " + Arrays.toString(ne)
                    + ", the hyper-parameters imply [" + cols + ", " + rows + "]");
        }
        Optional<Float> extra = scaleTensor(g, "blk." + layer + "." + p.ggufName() + ".scale");
        float s = extra.orElse(1f);
        String type = t.type().name().toLowerCase(Locale.ROOT);
        switch (t.type()) {
            case TQ1_0, TQ2_0, I2_S -> {
                TernaryLayout layout = switch (t.type()) {
                    case TQ1_0 -> new Tq1Layout(extra.isPresent() ? ScaleMode.TENSOR : ScaleMode.FOLD);
                    case TQ2_0 -> new Tq2Layout(extra.isPresent() ? ScaleMode.TENSOR : ScaleMode.FOLD);
                    default -> I2sLayout.INSTANCE;
                };
                MemorySegment data = g.data(t);
                boolean tq = t.type() != GgmlType.I2_S;
                PackedTensor packed = tq && extra.isPresent()
                        ? PackedTensor.of(name, g.path(), rows, cols, data, s)
                        : PackedTensor.of(name, g.path(), rows, cols, data);
                // TQ tensor-scale mode: the unpacked scale already is the .scale value.
                float factor = tq ? 1f : s;
                out[j] = new Linear.Ternary(Matrices.of(layout.unpack(packed, Implementation.preferred(),
                        buffers), factor));
                storage[j] = type + (extra.isPresent() ? " + scale tensor" : tq ? " (scale in blocks)" : "");
            }
            case F32, F16, BF16, Q8_0 -> {
                DenseMatrix m = dense(g, t, rows, cols);
                TernaryMatrix tm = Matrices.ternaryValued(m, s);
                if (tm != null) {
                    out[j] = new Linear.Ternary(tm);
                    storage[j] = type + " (ternary values)";
                } else if (extra.isPresent()) {
                    throw new BadInputException(g.path(), "tensor " + name + " is " + type + " with non-ternary"
                            + " values beside a .scale tensor; the verifier cannot tell what it computes");
                } else {
                    out[j] = new Linear.Dense(m);
                    storage[j] = type + " (dense, not ternary)";
                }
            }
            default -> throw new BadInputException(g.path(), "tensor " + name + " has type " + t.type().displayName()
                    + ", which the verifier does not read (TQ1_0, TQ2_0, I2_S, F32, F16, BF16, Q8_0)");
        }
    }

    private static Optional<Float> scaleTensor(GgufFile g, String name) {
        Optional<GgufTensorInfo> t = g.findTensor(name);
        if (t.isEmpty()) {
            return Optional.empty();
        }
        GgufTensorInfo info = t.get();
        if (info.numel() != 1 || info.type() != GgmlType.F32) {
            throw new BadInputException(g.path(), "tensor " + name + " is " + info.type().displayName() + " "
                    + Arrays.toString(info.ne()) + ", a scale tensor must be one F32 value");
        }
        float v = FloatDecoding.get(g.data(info), DType.F32, 0);
        if (!Float.isFinite(v)) {
            throw new BadInputException(g.path(), "scale tensor " + name + " holds " + v);
        }
        return Optional.of(v);
    }

    static DenseMatrix dense(GgufFile g, GgufTensorInfo t, int rows, int cols) {
        long[] ne = t.ne();
        if (ne.length != 2 || ne[0] != cols || ne[1] != rows) {
            throw new BadInputException(g.path(), "tensor " + t.name() + " has ne " + Arrays.toString(ne)
                    + ", expected [" + cols + ", " + rows + "]");
        }
        DenseMatrix.Encoding enc = switch (t.type()) {
            case F32 -> DenseMatrix.Encoding.F32;
            case F16 -> DenseMatrix.Encoding.F16;
            case BF16 -> DenseMatrix.Encoding.BF16;
            case Q8_0 -> DenseMatrix.Encoding.Q8_0;
            default -> throw new BadInputException(g.path(), "tensor " + t.name() + " has type "
                    + t.type().displayName() + "; the verifier reads it only as F32, F16, BF16 or Q8_0");
        };
        return DenseMatrix.of(g.data(t), enc, rows, cols);
    }

    private static float[] vector(GgufFile g, String name, int length) {
        GgufTensorInfo t = g.tensor(name);
        if (t.numel() != length || t.nDims() != 1) {
            throw new BadInputException(g.path(), "tensor " + name + " has ne " + Arrays.toString(t.ne())
                    + ", expected [" + length + "]");
        }
        DType dtype = switch (t.type()) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            default -> throw new BadInputException(g.path(), "norm " + name + " has type " + t.type().displayName()
                    + ", expected F32, F16 or BF16");
        };
        float[] out = new float[length];
        FloatDecoding.decode(g.data(t), dtype, 0, out, 0, length);
        return out;
    }

    private static int intKey(GgufFile g, String key) {
        return toInt(g, key, g.require(key).asLong());
    }

    private static Optional<Integer> optInt(GgufFile g, String key) {
        return g.get(key).map(v -> toInt(g, key, v.asLong()));
    }

    private static int toInt(GgufFile g, String key, long v) {
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new BadInputException(g.path(), "metadata " + key + " = " + v + " is out of range");
        }
        return (int) v;
    }
}
