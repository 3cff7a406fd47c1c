package dev.ternpack.verify.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
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

    /**
     * {@code y[t][r] = sum_c x[t][c] * W[r][c]}, x row-major {@code [tokens][cols]}. Rows are decoded
     * {@value #ROW_BLOCK} at a time and each block is swept over all tokens in 4-token x 4-row register tiles
     * (then 2-token ones, then single tokens), so the weights (the lm_head is the largest tensor) are read and
     * decoded once per call and every load feeds four FMAs. The decoded block (64 rows of 2560 floats: 640 KB) stays
     * in L2 while the tokens sweep it; on the F16 head of 2B-4T (512 tokens, 2 threads) this is 3.8 s against 5.5 s
     * with 32-row blocks and 2-token tiles (ForwardBenchmark.headF16). Each (token, row) sum runs in the same lane
     * order as {@link #dot} and ends with the same butterfly, so the result equals {@link #matmulReference} bit for
     * bit.
     */
    public static void matmul(float[] x, int tokens, DenseMatrix w, float[] y, Parallel parallel) {
        int cols = w.cols();
        int rows = w.rows();
        if (x.length < (long) tokens * cols || y.length < (long) tokens * rows) {
            throw new IllegalArgumentException("buffer too small");
        }
        if (!TernaryKernels.VECTOR) {
            matmulReference(x, tokens, w, y, parallel);
            return;
        }
        parallel.forRange(rows, ROW_BLOCK, (from, to) -> {
            float[] block = new float[ROW_BLOCK * cols];
            float[] spill = new float[TILE * F.length()];
            for (int rb = from; rb < to; rb += ROW_BLOCK) {
                int n = Math.min(ROW_BLOCK, to - rb);
                for (int i = 0; i < n; i++) {
                    w.decodeRow(rb + i, block, i * cols);
                }
                denseBlock(x, tokens, cols, block, n, rb, rows, y, spill);
            }
        });
    }

    /** The straightforward version: decode a row, one {@link #dot} per token. */
    public static void matmulReference(float[] x, int tokens, DenseMatrix w, float[] y, Parallel parallel) {
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

    private static final int ROW_BLOCK = 64;

    private static void denseBlock(float[] x, int tokens, int cols, float[] wb, int n, int r0, int rows, float[] y,
            float[] spill) {
        int bound = F.loopBound(cols);
        int lanes = F.length();
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            int xa = t * cols;
            int xb = xa + cols;
            int xc = xb + cols;
            int xd = xc + cols;
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                int w0 = i * cols;
                int w1 = w0 + cols;
                int w2 = w1 + cols;
                int w3 = w2 + cols;
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                FloatVector b0 = a0;
                FloatVector b1 = a0;
                FloatVector b2 = a0;
                FloatVector b3 = a0;
                FloatVector c0 = a0;
                FloatVector c1 = a0;
                FloatVector c2 = a0;
                FloatVector c3 = a0;
                FloatVector d0 = a0;
                FloatVector d1 = a0;
                FloatVector d2 = a0;
                FloatVector d3 = a0;
                for (int c = 0; c < bound; c += lanes) {
                    FloatVector u0 = FloatVector.fromArray(F, wb, w0 + c);
                    FloatVector u1 = FloatVector.fromArray(F, wb, w1 + c);
                    FloatVector u2 = FloatVector.fromArray(F, wb, w2 + c);
                    FloatVector u3 = FloatVector.fromArray(F, wb, w3 + c);
                    FloatVector va = FloatVector.fromArray(F, x, xa + c);
                    a0 = va.fma(u0, a0);
                    a1 = va.fma(u1, a1);
                    a2 = va.fma(u2, a2);
                    a3 = va.fma(u3, a3);
                    FloatVector vb = FloatVector.fromArray(F, x, xb + c);
                    b0 = vb.fma(u0, b0);
                    b1 = vb.fma(u1, b1);
                    b2 = vb.fma(u2, b2);
                    b3 = vb.fma(u3, b3);
                    FloatVector vc = FloatVector.fromArray(F, x, xc + c);
                    c0 = vc.fma(u0, c0);
                    c1 = vc.fma(u1, c1);
                    c2 = vc.fma(u2, c2);
                    c3 = vc.fma(u3, c3);
                    FloatVector vd = FloatVector.fromArray(F, x, xd + c);
                    d0 = vd.fma(u0, d0);
                    d1 = vd.fma(u1, d1);
                    d2 = vd.fma(u2, d2);
                    d3 = vd.fma(u3, d3);
                }
                int r = r0 + i;
                a0.intoArray(spill, 0 * lanes);
                a1.intoArray(spill, 1 * lanes);
                a2.intoArray(spill, 2 * lanes);
                a3.intoArray(spill, 3 * lanes);
                b0.intoArray(spill, 4 * lanes);
                b1.intoArray(spill, 5 * lanes);
                b2.intoArray(spill, 6 * lanes);
                b3.intoArray(spill, 7 * lanes);
                c0.intoArray(spill, 8 * lanes);
                c1.intoArray(spill, 9 * lanes);
                c2.intoArray(spill, 10 * lanes);
                c3.intoArray(spill, 11 * lanes);
                d0.intoArray(spill, 12 * lanes);
                d1.intoArray(spill, 13 * lanes);
                d2.intoArray(spill, 14 * lanes);
                d3.intoArray(spill, 15 * lanes);
                finishTile(spill, 4, x, xa, cols, wb, w0, bound, y, t, rows, r);
            }
            for (; i < n; i++) {
                for (int k = 0; k < 4; k++) {
                    y[(t + k) * rows + r0 + i] = dot(x, (t + k) * cols, wb, i * cols, cols);
                }
            }
        }
        for (; t + 2 <= tokens; t += 2) {
            int xa = t * cols;
            int xb = xa + cols;
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                int w0 = i * cols;
                int w1 = w0 + cols;
                int w2 = w1 + cols;
                int w3 = w2 + cols;
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                FloatVector b0 = a0;
                FloatVector b1 = a0;
                FloatVector b2 = a0;
                FloatVector b3 = a0;
                for (int c = 0; c < bound; c += lanes) {
                    FloatVector va = FloatVector.fromArray(F, x, xa + c);
                    FloatVector vb = FloatVector.fromArray(F, x, xb + c);
                    FloatVector u0 = FloatVector.fromArray(F, wb, w0 + c);
                    FloatVector u1 = FloatVector.fromArray(F, wb, w1 + c);
                    FloatVector u2 = FloatVector.fromArray(F, wb, w2 + c);
                    FloatVector u3 = FloatVector.fromArray(F, wb, w3 + c);
                    a0 = va.fma(u0, a0);
                    a1 = va.fma(u1, a1);
                    a2 = va.fma(u2, a2);
                    a3 = va.fma(u3, a3);
                    b0 = vb.fma(u0, b0);
                    b1 = vb.fma(u1, b1);
                    b2 = vb.fma(u2, b2);
                    b3 = vb.fma(u3, b3);
                }
                int r = r0 + i;
                a0.intoArray(spill, 0 * lanes);
                a1.intoArray(spill, 1 * lanes);
                a2.intoArray(spill, 2 * lanes);
                a3.intoArray(spill, 3 * lanes);
                b0.intoArray(spill, 4 * lanes);
                b1.intoArray(spill, 5 * lanes);
                b2.intoArray(spill, 6 * lanes);
                b3.intoArray(spill, 7 * lanes);
                finishTile(spill, 2, x, xa, cols, wb, w0, bound, y, t, rows, r);
            }
            for (; i < n; i++) {
                y[t * rows + r0 + i] = dot(x, xa, wb, i * cols, cols);
                y[(t + 1) * rows + r0 + i] = dot(x, xb, wb, i * cols, cols);
            }
        }
        for (; t < tokens; t++) {
            for (int i = 0; i < n; i++) {
                y[t * rows + r0 + i] = dot(x, t * cols, wb, i * cols, cols);
            }
        }
    }

    /**
     * The sum of the lanes in a fixed order (a butterfly of lanewise adds). {@code reduceLanes(ADD)} may add
     * float lanes in a different order when JIT-compiled than when interpreted, which made the same run give
     * perplexities differing in the 5th digit depending on when the JIT got to the kernel.
     */
    public static float sumLanes(FloatVector v) {
        for (VectorShuffle<Float> s : BUTTERFLY) {
            v = v.add(v.rearrange(s));
        }
        return v.lane(0);
    }

    private static final VectorShuffle<Float>[] BUTTERFLY = butterfly();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] butterfly() {
        int steps = Integer.numberOfTrailingZeros(F.length());
        VectorShuffle<Float>[] r = new VectorShuffle[steps];
        for (int i = 0; i < steps; i++) {
            int d = F.length() >> (i + 1);
            r[i] = VectorShuffle.fromOp(F, lane -> lane ^ d);
        }
        return r;
    }

    /** Accumulators of the largest register tile of {@link #denseBlock}: 4 tokens x 4 rows. */
    private static final int TILE = 16;

    /**
     * The epilogue of an {@code nt}-token x 4-row tile whose accumulators were spilled to {@code spill} (vector
     * {@code 4i + j}: token {@code t + i}, row {@code r + j}): each lane sum ({@link #sumLanes(float[], int)}),
     * plus the columns past the vector loop, into {@code y}. The tile spills with {@code intoArray} and calls this
     * with arrays only: passing the 16 vectors to a method, as it did, boxed each one (an allocation) wherever the
     * JIT declined to inline the call in so large a method, about a quarter of the head's time.
     */
    private static void finishTile(float[] spill, int nt, float[] x, int xOff, int cols, float[] wb, int wOff,
            int bound, float[] y, int t, int rows, int r) {
        sumLanes(spill, 4 * nt);
        for (int i = 0; i < nt; i++) {
            for (int j = 0; j < 4; j++) {
                float s = spill[4 * i + j];
                int xo = xOff + i * cols;
                int wo = wOff + j * cols;
                for (int c = bound; c < cols; c++) {
                    s += x[xo + c] * wb[wo + c];
                }
                y[(t + i) * rows + r + j] = s;
            }
        }
    }

    /**
     * Replaces the first {@code n} vectors spilled in {@code spill} ({@code spill[k * L ..]}, L lanes each) by their
     * lane sums, {@code spill[k]} = {@link #sumLanes(FloatVector)} of vector k, bit for bit. Groups of L vectors are
     * summed transposed: at the butterfly step of distance d, two vectors A and B become one whose lanes with bit d
     * clear hold A's step ({@code A[i] + A[i ^ d]}) and the others B's, so log2(L) steps turn L vectors into one
     * vector of L sums (lane i holding vector bit-reverse(i)'s), with the very additions of the butterfly. Other
     * counts are summed one vector at a time in the same order.
     */
    static void sumLanes(float[] spill, int n) {
        int lanes = F.length();
        int steps = BUTTERFLY.length;
        int k = 0;
        for (; k + lanes <= n; k += lanes) {
            int base = k * lanes;
            for (int step = 0, m = lanes; step < steps; step++, m /= 2) {
                VectorMask<Float> high = HIGH_HALF[step];
                VectorShuffle<Float> cross = BUTTERFLY[step];
                for (int j = 0; j < m / 2; j++) {
                    FloatVector a = FloatVector.fromArray(F, spill, base + 2 * j * lanes);
                    FloatVector b = FloatVector.fromArray(F, spill, base + (2 * j + 1) * lanes);
                    a.blend(b, high).add(b.blend(a, high).rearrange(cross)).intoArray(spill, base + j * lanes);
                }
            }
            FloatVector.fromArray(F, spill, base).intoArray(spill, base + lanes);
            for (int i = 0; i < lanes; i++) {
                spill[k + (Integer.reverse(i) >>> (32 - steps))] = spill[base + lanes + i];
            }
        }
        for (; k < n; k++) {
            int base = k * lanes;
            for (int d = lanes / 2; d >= 1; d /= 2) {
                for (int i = 0; i < d; i++) {
                    spill[base + i] = spill[base + i] + spill[base + (i ^ d)];
                }
            }
            spill[k] = spill[base];
        }
    }

    /** Step s of the butterfly: lanes whose bit {@code lanes >> (s + 1)} is set. */
    private static final VectorMask<Float>[] HIGH_HALF = highHalf();

    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[] highHalf() {
        VectorMask<Float>[] r = new VectorMask[BUTTERFLY.length];
        for (int s = 0; s < r.length; s++) {
            int d = F.length() >> (s + 1);
            boolean[] bits = new boolean[F.length()];
            for (int i = 0; i < bits.length; i++) {
                bits[i] = (i & d) != 0;
            }
            r[s] = VectorMask.fromArray(F, bits, 0);
        }
        return r;
    }

    static float dot(float[] a, int aOff, float[] b, int n) {
        return dot(a, aOff, b, 0, n);
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        if (!TernaryKernels.VECTOR) {
            float s = 0f;
            for (int i = 0; i < n; i++) {
                s += a[aOff + i] * b[bOff + i];
            }
            return s;
        }
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float s = sumLanes(acc);
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
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
                            s = sumLanes(a);
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
