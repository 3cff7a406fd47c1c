package dev.ternpack.verify.model;

import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.TensorSource;
import dev.ternpack.verify.kernel.Parallel;
import dev.ternpack.verify.kernel.TernaryMatrix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Loads a trained checkpoint with latent (full-precision) weights. Projections are ternarized on the fly
 * exactly as in training ({@link Weights#TERNARIZED}), or kept as stored ({@link Weights#UNQUANTIZED}, the
 * baseline that shows whether a model survives ternarization at all). Embeddings and the head stay mapped;
 * nothing is copied to f32 but the norms.
 */
public final class LatentLoader {

    /** What to do with the projections. */
    public enum Weights { TERNARIZED, UNQUANTIZED }

    private LatentLoader() {
    }

    public static LoadedModel load(Path dir, TensorSource src, ModelSpec spec, Path tokenizer, Weights weights,
            Ternarizer ternarizer, Parallel parallel) {
        HfNames names = HfNames.detect(src);
        int projections = Projection.values().length;
        Linear[] linear = new Linear[spec.layers() * projections];
        List<String> projNames = new ArrayList<>();
        List<String> storage = new ArrayList<>();
        for (int i = 0; i < spec.layers(); i++) {
            for (Projection p : Projection.values()) {
                Tensor t = StoredTensors.requireShape(src, names.projection(i, p), rows(spec, p), cols(spec, p));
                StoredTensors.requireFloat(t);
                projNames.add(t.name());
                storage.add(t.dtype() + " latent");
            }
        }
        parallel.forRange(linear.length, 1, (from, to) -> {
            for (int j = from; j < to; j++) {
                Projection p = Projection.values()[j % projections];
                Tensor t = src.tensor(projNames.get(j));
                int r = rows(spec, p);
                int c = cols(spec, p);
                if (weights == Weights.UNQUANTIZED) {
                    linear[j] = new Linear.Dense(StoredTensors.matrix(src, t.name(), r, c));
                } else {
                    Ternarizer.Result q = ternarizer.ternarize(t);
                    linear[j] = new Linear.Ternary(TernaryMatrix.fromTrits(q.trits(), r, c, q.gamma()));
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
        String format = weights == Weights.TERNARIZED
                ? "latent checkpoint, ternarized on the fly (absmean per tensor)"
                : "latent checkpoint, unquantized";
        return new LoadedModel(dir, "latent", format, w, projNames, storage, tokenizer, List.of());
    }

    static int rows(ModelSpec spec, Projection p) {
        return switch (p) {
            case Q -> spec.qDim();
            case K, V -> spec.kvDim();
            case O, DOWN -> spec.hidden();
            case GATE, UP -> spec.ffn();
        };
    }

    static int cols(ModelSpec spec, Projection p) {
        return switch (p) {
            case O -> spec.qDim();
            case DOWN -> spec.ffn();
            default -> spec.hidden();
        };
    }
}
