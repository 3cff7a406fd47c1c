package dev.ternpack.verify.forward;

import dev.ternpack.verify.kernel.Parallel;
import dev.ternpack.verify.model.ModelSpec;

/** Causal softmax attention with grouped-query heads: query head h reads kv head h / (heads / kvHeads). */
final class Attention {
    private Attention() {
    }

    /** Returns {@code [n][heads * headDim]}. */
    static float[] causal(float[] q, float[] k, float[] v, int n, ModelSpec spec, Parallel parallel) {
        int hd = spec.headDim();
        int qw = spec.qDim();
        int kw = spec.kvDim();
        int group = spec.heads() / spec.kvHeads();
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] out = new float[n * qw];
        parallel.forRange(spec.heads() * n, 1, (from, to) -> {
            float[] scores = new float[n];
            for (int job = from; job < to; job++) {
                int h = job / n;
                int t = job % n;
                int kvh = h / group;
                int qOff = t * qw + h * hd;
                float max = Float.NEGATIVE_INFINITY;
                for (int s = 0; s <= t; s++) {
                    int kOff = s * kw + kvh * hd;
                    float dot = 0f;
                    for (int i = 0; i < hd; i++) {
                        dot += q[qOff + i] * k[kOff + i];
                    }
                    scores[s] = dot * scale;
                    max = Math.max(max, scores[s]);
                }
                float sum = 0f;
                for (int s = 0; s <= t; s++) {
                    scores[s] = (float) Math.exp(scores[s] - max);
                    sum += scores[s];
                }
                int oOff = t * qw + h * hd;
                for (int s = 0; s <= t; s++) {
                    float p = scores[s] / sum;
                    int vOff = s * kw + kvh * hd;
                    for (int i = 0; i < hd; i++) {
                        out[oOff + i] += p * v[vOff + i];
                    }
                }
            }
        });
        return out;
    }
}
