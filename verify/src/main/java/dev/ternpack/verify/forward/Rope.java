package dev.ternpack.verify.forward;

import dev.ternpack.verify.kernel.Parallel;

/**
 * Rotary position embedding in the rotate-half (NEOX) form used by the BitNet models: dimension i pairs with
 * i + d/2, {@code inv_freq_j = theta^(-2j/d)}, angle = position x inv_freq, with angles, cos and sin computed
 * in float64 and rounded to float32 (the fixtures' reference convention).
 */
final class Rope {
    private final int headDim;
    private final double[] invFreq;
    private float[] cos = new float[0];
    private float[] sin = new float[0];
    private int positions;

    Rope(int headDim, double theta) {
        this.headDim = headDim;
        int half = headDim / 2;
        invFreq = new double[half];
        for (int j = 0; j < half; j++) {
            invFreq[j] = Math.pow(theta, -2.0 * j / headDim);
        }
    }

    private void ensure(int n) {
        if (n <= positions) {
            return;
        }
        int half = headDim / 2;
        cos = new float[n * half];
        sin = new float[n * half];
        for (int p = 0; p < n; p++) {
            for (int j = 0; j < half; j++) {
                double angle = p * invFreq[j];
                cos[p * half + j] = (float) Math.cos(angle);
                sin[p * half + j] = (float) Math.sin(angle);
            }
        }
        positions = n;
    }

    /**
     * Rotates {@code x[n][heads * headDim]} in place, positions 0..n-1, split over {@code parallel}'s threads
     * (positions are independent: the same bits on any thread count).
     */
    void apply(float[] x, int n, int heads, Parallel parallel) {
        ensure(n);
        parallel.forRange(n, Transformer.TOKEN_GRAIN, (from, to) -> rotate(x, from, to, heads));
    }

    private void rotate(float[] x, int from, int to, int heads) {
        int half = headDim / 2;
        int width = heads * headDim;
        for (int p = from; p < to; p++) {
            for (int h = 0; h < heads; h++) {
                int off = p * width + h * headDim;
                for (int j = 0; j < half; j++) {
                    float c = cos[p * half + j];
                    float s = sin[p * half + j];
                    float a = x[off + j];
                    float b = x[off + j + half];
                    x[off + j] = a * c - b * s;
                    x[off + j + half] = b * c + a * s;
                }
            }
        }
    }
}
