package dev.ternpack.verify.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float matrix products: dense weights decoded a row at a time ({@link #matmul}), and ternary weights with
 * float activations ({@link #ternaryMatmul}, the "weights only" mode). Output layout {@code y[t * rows + r]}.
 */
public final class FloatKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int ROW_GRAIN = 16;

    private FloatKernels() {
    }

    /** {@code y[t][r] = sum_c x[t][c] * W[r][c]}, x row-major {@code [tokens][cols]}. */
    public static void matmul(float[] x, int tokens, DenseMatrix w, float[] y, Parallel parallel) {
        int cols = w.cols();
        int rows = w.rows();
        if (x.length < (long) tokens * cols || y.length < (long) tokens * rows) {
            throw new IllegalArgumentException("buffer too small");
        }
        parallel.forRange(rows, ROW_GRAIN, (from, to) -> {
            float[] row = new float[cols];
            for (int r = from; r < to; r++) {
                w.decodeRow(r, row, 0);
                for (int t = 0; t < tokens; t++) {
                    y[t * rows + r] = dot(x, t * cols, row, cols);
                }
            }
        });
    }

    static float dot(float[] a, int aOff, float[] b, int n) {
        if (!TernaryKernels.VECTOR) {
            float s = 0f;
            for (int i = 0; i < n; i++) {
                s += a[aOff + i] * b[i];
            }
            return s;
        }
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[aOff + i] * b[i];
        }
        return s;
    }

    /**
     * {@code y[t][r] = scale * sum_c x[t][c] * trit[r][c]} (block scales applied per 256 columns), as masked
     * float adds and subtracts driven by the bit planes. {@code x} rows are padded internally to whole words.
     */
    public static void ternaryMatmul(float[] x, int tokens, TernaryMatrix w, float[] y, Parallel parallel) {
        int cols = w.cols();
        int rows = w.rows();
        int words = w.words();
        int stride = words * 64;
        float[] xp = new float[tokens * stride];
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(x, t * cols, xp, t * stride, cols);
        }
        long[] plus = w.plusPlane();
        long[] minus = w.minusPlane();
        int lanes = F.length();
        boolean vector = TernaryKernels.VECTOR && 64 % lanes == 0;
        int wordsPerBlock = TernaryMatrix.BLOCK / 64;
        parallel.forRange(rows, ROW_GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * words;
                for (int t = 0; t < tokens; t++) {
                    int off = t * stride;
                    float acc = 0f;
                    for (int b = 0; b * wordsPerBlock < words; b++) {
                        int wEnd = Math.min(words, (b + 1) * wordsPerBlock);
                        float s = 0f;
                        if (vector) {
                            FloatVector a = FloatVector.zero(F);
                            for (int wi = b * wordsPerBlock; wi < wEnd; wi++) {
                                long pw = plus[base + wi];
                                long mw = minus[base + wi];
                                for (int k = 0; k < 64; k += lanes) {
                                    FloatVector v = FloatVector.fromArray(F, xp, off + (wi << 6) + k);
                                    a = a.add(v, VectorMask.fromLong(F, pw >>> k)).sub(v, VectorMask.fromLong(F, mw >>> k));
                                }
                            }
                            s = a.reduceLanes(VectorOperators.ADD);
                        } else {
                            for (int wi = b * wordsPerBlock; wi < wEnd; wi++) {
                                for (int k = 0; k < 64; k++) {
                                    long bit = 1L << k;
                                    if ((plus[base + wi] & bit) != 0) {
                                        s += xp[off + (wi << 6) + k];
                                    } else if ((minus[base + wi] & bit) != 0) {
                                        s -= xp[off + (wi << 6) + k];
                                    }
                                }
                            }
                        }
                        acc += s * w.blockScale(r, b);
                    }
                    y[t * rows + r] = acc * w.scale();
                }
            }
        });
    }
}
