package dev.ternpack.verify.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ternpack.verify.kernel.Parallel;
import dev.ternpack.verify.model.FfnActivation;
import dev.ternpack.verify.model.ModelSpec;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AttentionTest {

    @ParameterizedTest(name = "n={0}, heads {1}/{2}, head_dim {3}")
    @CsvSource({"1,1,1,16", "7,4,2,32", "33,6,3,64", "64,20,5,128", "5,2,1,6"})
    void vectorAttentionMatchesScalarReference(int n, int heads, int kvHeads, int headDim) {
        ModelSpec spec = new ModelSpec(10, 8, 8, 1, heads, kvHeads, headDim, FfnActivation.RELU2, 10000, 1e-5f, true);
        Random rnd = new Random(n * 31L + heads);
        float[] q = new float[n * spec.qDim()];
        float[] k = new float[n * spec.kvDim()];
        float[] v = new float[n * spec.kvDim()];
        for (float[] a : new float[][] {q, k, v}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rnd.nextGaussian() * 3f;
            }
        }
        try (Parallel p = new Parallel(2)) {
            float[] ref = Attention.causalReference(q, k, v, n, spec, p);
            float[] fast = Attention.causal(q, k, v, n, spec, p);
            for (int i = 0; i < ref.length; i++) {
                assertEquals(ref[i], fast[i], 1e-4f * (1f + Math.abs(ref[i])), "index " + i);
            }
        }
    }
}
