package dev.ternpack.verify.model;

import java.nio.file.Path;
import java.util.List;

/**
 * A model ready to run, with what the reports need to say about it.
 *
 * @param kind what was loaded: {@code latent}, {@code hf-2bit}, {@code gguf}
 * @param format a short description of the storage, e.g. {@code GGUF tq2_0 (scale folded into blocks)}
 * @param projectionNames the stored name of each projection, index {@code layer * 7 + projection.ordinal()}
 * @param projectionStorage how each projection is stored (e.g. {@code tq2_0}, {@code bf16 latent}), same index
 * @param tokenizer the tokenizer.json that belongs to the model, or null when it has none
 * @param notes facts worth showing (assumed activation, detected conventions), one line each
 * @param scaleRounding the largest relative error the storage of the projection scales itself introduces
 *     (2^-8 for an HF weight_scale in bf16), which the scale audit must allow; 0 when scales are exact f32
 */
public record LoadedModel(Path source, String kind, String format, TransformerWeights weights,
        List<String> projectionNames, List<String> projectionStorage, Path tokenizer, List<String> notes,
        double scaleRounding) {

    /** A model whose scales are stored exactly (or whose rounding the default threshold already covers). */
    public LoadedModel(Path source, String kind, String format, TransformerWeights weights,
            List<String> projectionNames, List<String> projectionStorage, Path tokenizer, List<String> notes) {
        this(source, kind, format, weights, projectionNames, projectionStorage, tokenizer, notes, 0);
    }

    public LoadedModel {
        projectionNames = List.copyOf(projectionNames);
        projectionStorage = List.copyOf(projectionStorage);
        notes = List.copyOf(notes);
    }

    public ModelSpec spec() {
        return weights.spec();
    }

    public String projectionName(int layer, Projection p) {
        return projectionNames.get(layer * Projection.values().length + p.ordinal());
    }

    public String projectionStorage(int layer, Projection p) {
        return projectionStorage.get(layer * Projection.values().length + p.ordinal());
    }
}
