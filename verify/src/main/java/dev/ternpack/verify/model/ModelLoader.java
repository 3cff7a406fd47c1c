package dev.ternpack.verify.model;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.FloatDecoding;
import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.TensorSource;
import dev.ternpack.formats.gguf.GgufFile;
import dev.ternpack.formats.hf.ModelConfig;
import dev.ternpack.formats.hf.QuantizationConfig;
import dev.ternpack.formats.safetensors.SafetensorsCheckpoint;
import dev.ternpack.pack.Hf2BitLayout;
import dev.ternpack.pack.Implementation;
import dev.ternpack.pack.LinearClass;
import dev.ternpack.pack.PackedTensor;
import dev.ternpack.verify.kernel.Parallel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The one entry point that opens any model the verifier accepts, deciding by what is on disk: a Hugging Face
 * checkpoint directory with latent weights, the same with transformers' packed 2-bit weights
 * ({@code quant_method "bitnet"}, uint8 projections), or a GGUF file. Every problem with the files is a
 * {@link BadInputException} naming the file.
 */
public final class ModelLoader {
    private ModelLoader() {
    }

    /**
     * Opens {@code path}. {@code latentWeights} says what to do with latent projections (ignored for packed
     * models); the returned model stays valid until closed.
     */
    public static OpenedModel open(Path path, LatentLoader.Weights latentWeights, Parallel parallel) {
        if (!Files.exists(path)) {
            throw new BadInputException(path, "no such file or directory");
        }
        if (Files.isDirectory(path)) {
            return openCheckpoint(path, latentWeights, parallel);
        }
        if (isGguf(path)) {
            GgufFile g = GgufFile.open(path);
            try {
                return new OpenedModel(GgufLoader.load(g, parallel), g);
            } catch (RuntimeException e) {
                g.close();
                throw e;
            }
        }
        if (path.getFileName().toString().equals("config.json") && path.getParent() != null) {
            return openCheckpoint(path.getParent(), latentWeights, parallel);
        }
        throw new BadInputException(path, "not a model: expected a checkpoint directory (config.json and"
                + " safetensors) or a GGUF file");
    }

    /** True when the file starts with the GGUF magic. */
    public static boolean isGguf(Path file) {
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(magic, 0, 4) == 4 && Arrays.equals(magic, new byte[] {'G', 'G', 'U', 'F'});
        } catch (IOException e) {
            throw new BadInputException(file, "cannot read the file: " + e.getMessage(), e);
        }
    }

    /** The tokenizer.json of the model at {@code path} (its directory, or the directory of a file), or null. */
    public static Path tokenizerNextTo(Path path) {
        Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        if (dir == null) {
            return null;
        }
        Path t = dir.resolve("tokenizer.json");
        return Files.isRegularFile(t) ? t : null;
    }

    private static OpenedModel openCheckpoint(Path dir, LatentLoader.Weights weights, Parallel parallel) {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new BadInputException(dir, "no config.json: not a Hugging Face checkpoint directory");
        }
        ModelConfig config = ModelConfig.read(configFile);
        ModelSpec spec = ModelSpecs.fromConfig(config);
        SafetensorsCheckpoint src = SafetensorsCheckpoint.open(dir);
        try {
            Path tokenizer = tokenizerNextTo(dir);
            HfNames names = HfNames.detect(src);
            Tensor q0 = StoredTensors.require(src, names.projection(0, Projection.Q));
            LoadedModel m;
            if (q0.dtype() == DType.U8) {
                m = loadHfPacked(dir, src, config, spec, names, tokenizer, parallel);
            } else {
                m = LatentLoader.load(dir, src, spec, tokenizer, weights, Ternarizers.ABSMEAN, parallel);
            }
            return new OpenedModel(m, src);
        } catch (RuntimeException e) {
            src.close();
            throw e;
        }
    }

    private static LoadedModel loadHfPacked(Path dir, TensorSource src, ModelConfig config, ModelSpec spec,
            HfNames names, Path tokenizer, Parallel parallel) {
        QuantizationConfig qc = config.quantizationConfig();
        if (qc == null || !qc.isBitnet()) {
            throw new BadInputException(config.file(), "the projections are packed uint8 but config.json has no"
                    + " quantization_config with quant_method \"bitnet\" saying what weight_scale means");
        }
        LinearClass linearClass = LinearClass.fromConfigName(qc.linearClass().configName());
        Hf2BitLayout layout = new Hf2BitLayout(linearClass);
        int projections = Projection.values().length;
        Linear[] linear = new Linear[spec.layers() * projections];
        List<String> projNames = new ArrayList<>();
        List<String> storage = new ArrayList<>();
        double rounding = 0;
        for (int i = 0; i < spec.layers(); i++) {
            for (Projection p : Projection.values()) {
                int rows = LatentLoader.rows(spec, p);
                int cols = LatentLoader.cols(spec, p);
                String name = names.projection(i, p);
                Tensor t = StoredTensors.require(src, name);
                if (t.dtype() != DType.U8) {
                    throw new BadInputException(t.file(), "tensor " + name + " has dtype " + t.dtype()
                            + " but the other projections are packed uint8");
                }
                long[] want = {Hf2BitLayout.packedRows(rows), cols};
                if (!Arrays.equals(t.shape(), want)) {
                    throw new BadInputException(t.file(), "packed tensor " + name + " has shape "
                            + Arrays.toString(t.shape()) + ", but a " + rows + "x" + cols + " projection (config.json)"
                            + " packs to " + Arrays.toString(want));
                }
                String scaleName = names.projectionScale(i, p);
                Tensor s = StoredTensors.require(src, scaleName);
                if (s.numel() != 1) {
                    throw new BadInputException(s.file(), "tensor " + scaleName + " has shape "
                            + Arrays.toString(s.shape()) + ", expected one value");
                }
                StoredTensors.requireFloat(s);
                rounding = Math.max(rounding, roundingOf(s.dtype()));
                projNames.add(name);
                storage.add("hf 2-bit (" + linearClass.configName() + "), weight_scale "
                        + s.dtype().name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        TritBuffers buffers = new TritBuffers(); // reused per shape, as in GgufLoader
        parallel.forRange(linear.length, 1, (from, to) -> {
            try (TritBuffers.Lease lease = buffers.take()) {
                for (int j = from; j < to; j++) {
                    int layer = j / projections;
                    Projection p = Projection.values()[j % projections];
                    Tensor t = src.tensor(projNames.get(j));
                    float weightScale = FloatDecoding.decodeAll(src.tensor(names.projectionScale(layer, p)))[0];
                    PackedTensor packed = PackedTensor.of(t.name(), t.file(), LatentLoader.rows(spec, p),
                            LatentLoader.cols(spec, p), t.data(), weightScale);
                    linear[j] = new Linear.Ternary(Matrices.of(layout.unpack(packed, Implementation.preferred(), lease),
                            1f));
                }
            }
        });
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < spec.layers(); i++) {
            Map<Projection, Linear> m = new EnumMap<>(Projection.class);
            for (Projection p : Projection.values()) {
                m.put(p, linear[i * projections + p.ordinal()]);
            }
            layers.add(new LayerWeights(
                    StoredTensors.vector(src, names.attnNorm(i), spec.hidden()),
                    StoredTensors.vector(src, names.attnSubNorm(i), spec.qDim()),
                    StoredTensors.vector(src, names.ffnNorm(i), spec.hidden()),
                    StoredTensors.vector(src, names.ffnSubNorm(i), spec.ffn()),
                    m));
        }
        TransformerWeights w = HfModels.assemble(src, spec, layers);
        return new LoadedModel(dir, "hf-2bit", "HF packed 2-bit, linear_class " + linearClass.configName()
                + (linearClass == LinearClass.BITLINEAR ? " (weight_scale = 1/gamma)" : " (weight_scale = gamma)"),
                w, projNames, storage, tokenizer, List.of(), rounding);
    }

    /**
     * Largest relative error of one rounding to {@code dtype} (its unit roundoff), plus room for the float
     * rounding a bitlinear 1/x adds: bf16 2^-8 (8 significant bits), f16 2^-11, f32 and f64 exact.
     */
    private static double roundingOf(DType dtype) {
        return switch (dtype) {
            case BF16 -> 0x1p-8 + 0x1p-16;
            case F16 -> 0x1p-11 + 0x1p-16;
            default -> 0;
        };
    }
}
