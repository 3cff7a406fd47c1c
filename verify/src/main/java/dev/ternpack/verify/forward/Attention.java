package dev.ternpack.verify.forward;

import dev.ternpack.verify.kernel.FloatKernels;
import dev.ternpack.verify.kernel.Parallel;
import dev.ternpack.verify.model.ModelSpec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Causal softmax attention with grouped-query heads: query head h reads kv head h / (heads / kvHeads). */
final class Attention {
    private Attention() {
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * Returns {@code [n][heads * headDim]}. The q.k dots run in vector lanes (so their rounding differs from
     * {@link #causalReference} by reassociation only); softmax and the p.v sums are the same float
     * operations in the same order.
     */
    static float[] causal(float[] q, float[] k, float[] v, int n, ModelSpec spec, Parallel parallel) {
        int hd = spec.headDim();
        if ("false".equals(System.getProperty("ternpack.vector")) || hd % F.length() != 0) {
            return causalReference(q, k, v, n, spec, parallel);
        }
        int qw = spec.qDim();
        int kw = spec.kvDim();
        int group = spec.heads() / spec.kvHeads();
        float scale = (float) (1.0 / Math.sqrt(hd));
        int lanes = F.length();
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
                    FloatVector acc = FloatVector.zero(F);
                    for (int i = 0; i < hd; i += lanes) {
                        acc = FloatVector.fromArray(F, q, qOff + i).fma(FloatVector.fromArray(F, k, kOff + i), acc);
                    }
                    scores[s] = FloatKernels.sumLanes(acc) * scale;
                    max = Math.max(max, scores[s]);
                }
                float sum = 0f;
                for (int s = 0; s <= t; s++) {
                    scores[s] = (float) Math.exp(scores[s] - max);
                    sum += scores[s];
                }
                // the probabilities once per key, not once per key and lane group (the same divisions)
                for (int s = 0; s <= t; s++) {
                    scores[s] = scores[s] / sum;
                }
                int oOff = t * qw + h * hd;
                for (int i = 0; i < hd; i += lanes) {
                    FloatVector o = FloatVector.zero(F);
                    for (int s = 0; s <= t; s++) {
                        o = o.add(FloatVector.fromArray(F, v, s * kw + kvh * hd + i).mul(scores[s]));
                    }
                    o.intoArray(out, oOff + i);
                }
            }
        });
        return out;
    }

    /** The scalar version, kept as the reference for {@link #causal}. */
    static float[] causalReference(float[] q, float[] k, float[] v, int n, ModelSpec spec, Parallel parallel) {
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
