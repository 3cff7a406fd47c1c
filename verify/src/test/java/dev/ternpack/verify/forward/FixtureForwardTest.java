package dev.ternpack.verify.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.ternpack.formats.FloatDecoding;
import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.safetensors.SafetensorsCheckpoint;
import dev.ternpack.verify.Fixtures;
import dev.ternpack.verify.eval.Perplexity;
import dev.ternpack.verify.eval.PerplexityResult;
import dev.ternpack.verify.eval.ProgressListener;
import dev.ternpack.verify.eval.Windows;
import dev.ternpack.verify.kernel.ActivationMode;
import dev.ternpack.verify.kernel.Parallel;
import dev.ternpack.verify.model.FfnActivation;
import dev.ternpack.verify.model.LatentLoader;
import dev.ternpack.verify.model.LoadedModel;
import dev.ternpack.verify.model.ModelSpec;
import dev.ternpack.verify.model.Ternarizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The forward pass against the fixtures' independent PyTorch reference (reference.json). */
class FixtureForwardTest {

    /** The fixture README's convention, written independently of pack/: float64 W / float64 gamma. */
    static final Ternarizer README_CONVENTION = t -> {
        float[] w = FloatDecoding.decodeAll(t);
        double sum = 0;
        for (float v : w) {
            sum += Math.abs(v);
        }
        float gamma = (float) (sum / w.length);
        byte[] trits = new byte[w.length];
        for (int i = 0; i < w.length; i++) {
            trits[i] = (byte) Math.max(-1, Math.min(1, Math.rint((double) w[i] / (double) gamma)));
        }
        return new Ternarizer.Result(trits, gamma);
    };

    static ModelSpec spec(String model) {
        JsonObject c = Fixtures.json(Fixtures.model(model).resolve("config.json"));
        int hidden = c.get("hidden_size").getAsInt();
        int heads = c.get("num_attention_heads").getAsInt();
        return new ModelSpec(c.get("vocab_size").getAsInt(), hidden, c.get("intermediate_size").getAsInt(),
                c.get("num_hidden_layers").getAsInt(), heads, c.get("num_key_value_heads").getAsInt(), hidden / heads,
                FfnActivation.fromName(c.get("hidden_act").getAsString()), c.get("rope_theta").getAsDouble(),
                c.get("rms_norm_eps").getAsFloat(), c.get("tie_word_embeddings").getAsBoolean());
    }

    private static void check(String model, LatentLoader.Weights weights, ActivationMode mode, String pplKey,
            String logitsKey) {
        JsonObject ref = Fixtures.reference(model);
        try (var src = SafetensorsCheckpoint.open(Fixtures.model(model)); Parallel p = new Parallel(2)) {
            LoadedModel m = LatentLoader.load(Fixtures.model(model), src, spec(model), null, weights, README_CONVENTION, p);
            Transformer tf = new Transformer(m.weights(), mode, p);
            int[] tokens = Fixtures.evalTokens();
            float[] logits = Perplexity.firstLogits(tf, tokens, 8);
            float[][] expected = Fixtures.logits(ref, logitsKey);
            int[] argmax = Fixtures.argmax(ref, logitsKey);
            int vocab = tf.spec().vocab();
            for (int t = 0; t < 8; t++) {
                int best = 0;
                for (int v = 0; v < vocab; v++) {
                    float got = logits[t * vocab + v];
                    assertEquals(expected[t][v], got, 1e-3, model + " " + logitsKey + " position " + t + " token " + v);
                    if (got > logits[t * vocab + best]) {
                        best = v;
                    }
                }
                assertEquals(argmax[t], best, "argmax at position " + t);
            }
            PerplexityResult r = Perplexity.evaluate(tf, tokens, Windows.plan(tokens.length, 128, 64 * 128),
                    ProgressListener.NONE);
            double want = ref.get(pplKey).getAsDouble();
            double rel = Math.abs(r.perplexity() / want - 1);
            assertTrue(rel < 1e-3, model + " " + pplKey + ": " + r.perplexity() + " vs reference " + want);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-bitnet-relu2", "tiny-bitnet-silu"})
    void quantizedModeMatchesPyTorch(String model) {
        check(model, LatentLoader.Weights.TERNARIZED, ActivationMode.PER_TOKEN, "ppl_quant", "first_window_logits_quant");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-bitnet-relu2", "tiny-bitnet-silu"})
    void weightsOnlyModeMatchesPyTorch(String model) {
        check(model, LatentLoader.Weights.TERNARIZED, ActivationMode.NONE, "ppl_weights_only",
                "first_window_logits_weights_only");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-bitnet-relu2", "tiny-bitnet-silu"})
    void unquantizedLatentMatchesPyTorch(String model) {
        check(model, LatentLoader.Weights.UNQUANTIZED, ActivationMode.NONE, "ppl_latent", "first_window_logits_latent");
    }

    /**
     * The element-wise steps (norms, RoPE, activation, residual adds, activation quantization) and the kernels
     * split tokens and rows over threads; each value is computed by the same operations in the same order
     * whatever the split, so the logits are the same bits on 1 thread and on 3 (37 tokens: no split is even).
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-bitnet-relu2", "tiny-bitnet-silu"})
    void logitsAreTheSameBitsOnAnyThreadCount(String model) {
        try (var src = SafetensorsCheckpoint.open(Fixtures.model(model)); Parallel one = new Parallel(1);
                Parallel three = new Parallel(3)) {
            LoadedModel m = LatentLoader.load(Fixtures.model(model), src, spec(model), null,
                    LatentLoader.Weights.TERNARIZED, README_CONVENTION, one);
            int[] tokens = Fixtures.evalTokens();
            for (ActivationMode mode : ActivationMode.values()) {
                float[] a = new Transformer(m.weights(), mode, one).forward(tokens, 0, 37);
                float[] b = new Transformer(m.weights(), mode, three).forward(tokens, 0, 37);
                assertArrayEquals(a, b, model + " " + mode);
            }
        }
    }
}
