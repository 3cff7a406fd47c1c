package dev.ternpack.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.ternpack.verify.eval.Perplexity;
import dev.ternpack.verify.eval.PerplexityResult;
import dev.ternpack.verify.eval.ProgressListener;
import dev.ternpack.verify.eval.Windows;
import dev.ternpack.verify.forward.Transformer;
import dev.ternpack.verify.kernel.ActivationMode;
import dev.ternpack.verify.kernel.Parallel;
import dev.ternpack.verify.model.LatentLoader;
import dev.ternpack.verify.model.ModelLoader;
import dev.ternpack.verify.model.OpenedModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The production path (ModelLoader, ModelSpecs from config.json, pack's AbsmeanQuantizer) against the fixtures'
 * independent PyTorch reference.json: perplexity over the reference's 64 windows of 128 tokens within 0.1%,
 * logits of positions 0..7 within 1e-3, argmax exact.
 */
class ProductionFixtureTest {

    @ParameterizedTest
    @CsvSource({
        "tiny-bitnet-relu2, PER_TOKEN, ppl_quant, first_window_logits_quant",
        "tiny-bitnet-relu2, NONE, ppl_weights_only, first_window_logits_weights_only",
        "tiny-bitnet-silu, PER_TOKEN, ppl_quant, first_window_logits_quant",
        "tiny-bitnet-silu, NONE, ppl_weights_only, first_window_logits_weights_only"})
    void matchesPyTorch(String model, ActivationMode mode, String pplKey, String logitsKey) {
        JsonObject ref = Fixtures.reference(model);
        try (Parallel p = new Parallel(2);
                OpenedModel m = ModelLoader.open(Fixtures.model(model), LatentLoader.Weights.TERNARIZED, p)) {
            Transformer tf = new Transformer(m.model().weights(), mode, p);
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
            JsonObject eval = ref.getAsJsonObject("eval");
            Windows windows = Windows.plan(tokens.length, eval.get("window").getAsInt(), eval.get("tokens_used").getAsInt());
            PerplexityResult r = Perplexity.evaluate(tf, tokens, windows, ProgressListener.NONE);
            double want = ref.get(pplKey).getAsDouble();
            assertTrue(Math.abs(r.perplexity() / want - 1) < 1e-3, model + " " + pplKey + ": " + r.perplexity()
                    + " vs reference " + want);
        }
    }
}
