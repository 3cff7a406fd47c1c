package dev.ternpack.verify.model;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.hf.HiddenAct;
import dev.ternpack.formats.hf.ModelConfig;

/** Builds a {@link ModelSpec} from the places hyper-parameters are stored. */
public final class ModelSpecs {
    private ModelSpecs() {
    }

    /**
     * The spec a config.json describes, for both BitNet families (transformers' {@code BitNetForCausalLM} and
     * 1bitLLM's {@code BitnetForCausalLM}); defaults were already filled by {@link ModelConfig#read}.
     */
    public static ModelSpec fromConfig(ModelConfig c) {
        FfnActivation act = activation(c);
        if (c.ropeScalingType() != null) {
            throw new BadInputException(c.file(), "rope scaling \"" + c.ropeScalingType()
                    + "\" is not supported by the verifier (only plain RoPE)");
        }
        try {
            return new ModelSpec(c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                    c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), act, c.ropeTheta(),
                    (float) c.rmsNormEps(), c.tieWordEmbeddings());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(c.file(), e.getMessage());
        }
    }

    private static FfnActivation activation(ModelConfig c) {
        if (c.hiddenAct() == HiddenAct.RELU2) {
            return FfnActivation.RELU2;
        }
        if (c.hiddenAct() == HiddenAct.SILU) {
            return FfnActivation.SILU;
        }
        throw new BadInputException(c.file(), "hidden_act \"" + c.hiddenAct().configName()
                + "\" is not a BitNet activation (relu2 or silu)");
    }
}
