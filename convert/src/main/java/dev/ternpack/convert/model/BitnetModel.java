package dev.ternpack.convert.model;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.TensorSource;
import dev.ternpack.formats.hf.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A BitNet decoder checkpoint mapped onto {@link TensorRole}s: which input tensor plays which role in which layer,
 * checked against config.json before any weight is read. Both BitNet namings are accepted (transformers'
 * {@code attn_sub_norm}/{@code ffn_sub_norm} and 1bitLLM's {@code inner_attn_ln}/{@code ffn_layernorm}).
 *
 * @param config config.json
 * @param family the tensor naming found
 * @param tensors every model tensor in input order
 * @param untiedHead true when the checkpoint has its own {@code lm_head.weight}
 * @param ignored input tensors that are not weights (rotary {@code inv_freq} buffers)
 */
public record BitnetModel(ModelConfig config, CheckpointFamily family, List<Entry> tensors, boolean untiedHead,
        List<String> ignored) {

    /** One input tensor and its role; {@code layer} is -1 for global tensors. */
    public record Entry(String hfName, TensorRole role, int layer, DType dtype, long[] shape) {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** The GGUF (llama.cpp) name. */
        public String ggufName() {
            return role.ggufName(Math.max(layer, 0));
        }
    }

    public BitnetModel {
        tensors = List.copyOf(tensors);
        ignored = List.copyOf(ignored);
    }

    /** Maps and checks {@code source} against {@code config}; a {@link BadInputException} names what does not fit. */
    public static BitnetModel describe(ModelConfig config, TensorSource source) {
        List<String> names = source.names();
        CheckpointFamily family = CheckpointFamily.detect(config.family(), names);
        Map<String, Entry> expected = new LinkedHashMap<>();
        int hidden = config.hiddenSize();
        int q = config.numAttentionHeads() * config.headDim();
        int kv = config.numKeyValueHeads() * config.headDim();
        int ffn = config.intermediateSize();
        int vocab = config.vocabSize();
        Map<String, long[]> shapes = new HashMap<>();
        putExpected(expected, shapes, family, TensorRole.TOKEN_EMBD, -1, vocab, hidden);
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            putExpected(expected, shapes, family, TensorRole.ATTN_NORM, l, hidden);
            putExpected(expected, shapes, family, TensorRole.ATTN_Q, l, q, hidden);
            putExpected(expected, shapes, family, TensorRole.ATTN_K, l, kv, hidden);
            putExpected(expected, shapes, family, TensorRole.ATTN_V, l, kv, hidden);
            putExpected(expected, shapes, family, TensorRole.ATTN_OUT, l, hidden, q);
            if (family.hasSubNorms()) {
                putExpected(expected, shapes, family, TensorRole.ATTN_SUB_NORM, l, q);
            }
            putExpected(expected, shapes, family, TensorRole.FFN_NORM, l, hidden);
            putExpected(expected, shapes, family, TensorRole.FFN_GATE, l, ffn, hidden);
            putExpected(expected, shapes, family, TensorRole.FFN_UP, l, ffn, hidden);
            putExpected(expected, shapes, family, TensorRole.FFN_DOWN, l, hidden, ffn);
            if (family.hasSubNorms()) {
                putExpected(expected, shapes, family, TensorRole.FFN_SUB_NORM, l, ffn);
            }
        }
        putExpected(expected, shapes, family, TensorRole.OUTPUT_NORM, -1, hidden);
        String head = family.hfName(TensorRole.OUTPUT, -1);

        Path where = source.location();
        List<Entry> found = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        boolean hasHead = false;
        for (String name : names) {
            Tensor t = source.tensor(name);
            if (name.endsWith(".weight_scale") || t.dtype() == DType.U8 || t.dtype() == DType.I8) {
                throw new BadInputException(where, "tensor " + name + " (" + t.dtype() + ") is already packed; this is"
                        + " a packed checkpoint, not latent weights. Use 'ternpack pack' to change its layout");
            }
            if (name.endsWith("rotary_emb.inv_freq")) {
                ignored.add(name);
                continue;
            }
            Entry e = expected.get(name);
            if (e == null && name.equals(head)) {
                e = new Entry(name, TensorRole.OUTPUT, -1, t.dtype(), new long[] {vocab, hidden});
                hasHead = true;
            }
            if (e == null) {
                unknown.add(name);
                continue;
            }
            if (!Arrays.equals(t.shape(), e.shape)) {
                throw new BadInputException(t.file(), "tensor " + name + " has shape " + Arrays.toString(t.shape())
                        + " but config.json (" + config.file().getFileName() + ") implies " + Arrays.toString(e.shape));
            }
            if (!t.dtype().isFloatingPoint() || t.dtype() == DType.F64) {
                throw new BadInputException(t.file(), "tensor " + name + " is " + t.dtype()
                        + "; ternpack converts BF16, F16 and F32 latent weights");
            }
            found.add(new Entry(name, e.role, e.layer, t.dtype(), e.shape));
        }
        if (!unknown.isEmpty()) {
            throw new BadInputException(where, unknown.size() + " tensor(s) that a " + family.displayName()
                    + " does not have: " + preview(unknown) + " (config.json: " + config.numHiddenLayers()
                    + " layers)");
        }
        List<String> missing = new ArrayList<>();
        java.util.Set<String> present = new java.util.HashSet<>();
        found.forEach(e -> present.add(e.hfName));
        for (String name : expected.keySet()) {
            if (!present.contains(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new BadInputException(where, missing.size() + " tensor(s) missing for a " + family.displayName()
                    + " with " + config.numHiddenLayers() + " layers: " + preview(missing));
        }
        if (!hasHead && !config.tieWordEmbeddings()) {
            throw new BadInputException(config.file(), "tie_word_embeddings is false but the checkpoint has no "
                    + head);
        }
        return new BitnetModel(config, family, found, hasHead && !config.tieWordEmbeddings(), ignored);
    }

    private static void putExpected(Map<String, Entry> expected, Map<String, long[]> shapes, CheckpointFamily family,
            TensorRole role, int layer, long... shape) {
        String name = family.hfName(role, layer);
        expected.put(name, new Entry(name, role, layer, DType.F32, shape));
    }

    private static String preview(List<String> names) {
        int shown = Math.min(names.size(), 5);
        return String.join(", ", names.subList(0, shown)) + (names.size() > shown ? ", ..." : "");
    }
}
