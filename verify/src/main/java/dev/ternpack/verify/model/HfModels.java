package dev.ternpack.verify.model;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.TensorSource;
import dev.ternpack.verify.kernel.DenseMatrix;
import java.util.List;

/** The parts shared by the latent and the packed Hugging Face loaders: embedding, final norm and head. */
final class HfModels {
    private HfModels() {
    }

    static TransformerWeights assemble(TensorSource src, ModelSpec spec, List<LayerWeights> layers) {
        DenseMatrix embedding = StoredTensors.matrix(src, HfNames.EMBED, spec.vocab(), spec.hidden());
        DenseMatrix head;
        if (spec.tiedHead()) {
            head = embedding;
        } else if (src.contains(HfNames.HEAD)) {
            head = StoredTensors.matrix(src, HfNames.HEAD, spec.vocab(), spec.hidden());
        } else {
            throw new BadInputException(src.location(), "tie_word_embeddings is false but " + HfNames.HEAD
                    + " is missing");
        }
        float[] finalNorm = StoredTensors.vector(src, HfNames.FINAL_NORM, spec.hidden());
        return new TransformerWeights(spec, embedding, layers, finalNorm, head);
    }
}
