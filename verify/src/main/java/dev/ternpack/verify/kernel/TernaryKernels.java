package dev.ternpack.verify.kernel;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y[t][r] = sum_c x[t][c] * W[r][c]} for int8 activations and ternary weights, with the integer part
 * of the dot product done in integers. Two implementations: {@link #matmulReference}, plain loops that are
 * obviously right, and {@link #matmul}, the Vector API path used for real work, which must equal it exactly
 * (the integer sums are identical and the float epilogue is the same expression). Set
 * {@code -Dternpack.vector=false} to run the reference everywhere.
 *
 * <p>The fast path holds 8 tokens' accumulators at once, so each weight vector built from the bit planes
 * serves 8 tokens; rows are split over threads in blocks of 64. How the bit planes become lanes depends on the
 * machine ({@link #LANE_TRITS}): with AVX-512's 32 int16 lanes, a 32-bit slice of a plane is a mask register
 * ({@code VectorMask.fromLong}, one {@code kmov}) and the activations are added and subtracted under it; without
 * mask registers (AVX2: 16 lanes) {@code fromLong} has no fast form (a 512-token 2560 -> 6912 product took
 * 757 ms that way, 196-270 ms decoded, on a 2-core AVX2 EPYC), so there 16 bits of each plane are broadcast, lane i keeps its bit ({@link #BIT_SEL}), an unsigned min with 1 makes it 0 or
 * 1, and the difference of the two planes' lanes, a trit vector, multiplies the activations.
 */
public final class TernaryKernels {
    static final boolean VECTOR = !"false".equals(System.getProperty("ternpack.vector"));
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int LANES = S.length();
    private static final int ROW_GRAIN = 64;
    private static final int BLOCK = TernaryMatrix.BLOCK;
    /**
     * 64-column words an int16 lane may collect before its sum is flushed to int32: each word adds 64/LANES
     * products of |q| <= 128 to a lane, so 255 / (64/LANES) words stay below 32767.
     */
    private static final int FLUSH_WORDS = Math.max(1, 255 / (64 / LANES));
    /**
     * Whether the bit planes are decoded into trit lanes by arithmetic ({@link #tritLanes}) instead of being used
     * as masks: on machines with fewer than 32 int16 lanes, i.e. without AVX-512's mask registers. The
     * arithmetic needs at most 16 lanes (one 16-bit broadcast per plane slice).
     */
    static final boolean LANE_TRITS = LANES <= 16;
    /** Lane i holds {@code 1 << i}: and-ed with a broadcast 16-bit slice of a plane, it keeps lane i's bit. */
    private static final ShortVector BIT_SEL;

    static {
        short[] m = new short[LANES];
        for (int i = 0; i < LANES; i++) {
            m[i] = (short) (1 << Math.min(i, 15));
        }
        BIT_SEL = ShortVector.fromArray(S, m, 0);
    }

    private TernaryKernels() {
    }

    /** Output layout: {@code y[t * w.rows() + r]}. */
    public static void matmul(QuantizedActivations x, TernaryMatrix w, float[] y, Parallel parallel) {
        check(x, w, y);
        if (!VECTOR || 64 % LANES != 0) {
            matmulReference(x, w, y);
            return;
        }
        byte[] codes = w.groupCodes();
        if (x.perTokenScaled() && codes != null) {
            short[] tables = x.groupTables(parallel);
            parallel.forRange(TritGroupKernels.rowBlocks(w.rows()), 4,
                    (from, to) -> TritGroupKernels.rows(x, tables, w, codes, y, from, to));
        } else {
            matmulBitPlanes(x, w, y, parallel, LANE_TRITS);
        }
    }

    /**
     * The bit-plane paths (no group codes), with the planes used as masks or decoded into trit lanes as asked:
     * package-private so that tests run both on any machine ({@code laneTrits} needs at most 16 lanes).
     */
    static void matmulBitPlanes(QuantizedActivations x, TernaryMatrix w, float[] y, Parallel parallel,
            boolean laneTrits) {
        check(x, w, y);
        if (laneTrits && LANES > 16) {
            throw new IllegalArgumentException("trit lanes need at most 16 int16 lanes, this machine has " + LANES);
        }
        if (x.perTokenScaled() && !w.hasBlockScales()) {
            parallel.forRange(w.rows(), ROW_GRAIN, (from, to) -> {
                if (laneTrits) {
                    perTokenRowsLaneTrits(x, w, y, from, to);
                } else {
                    perTokenRows(x, w, y, from, to);
                }
            });
        } else {
            parallel.forRange(w.rows(), ROW_GRAIN, (from, to) -> blockRows(x, w, y, from, to, laneTrits));
        }
    }

    /**
     * Lane i of the result is {@code +1} if bit {@code k + i} of {@code plus} is set, {@code -1} if that bit of
     * {@code minus} is, else 0 (a plane never has both): each 16-bit slice is broadcast, and-ed with
     * {@link #BIT_SEL} and clamped to 1 by an unsigned min, and the minus lanes are subtracted from the plus lanes.
     */
    static ShortVector tritLanes(long plus, long minus, int k) {
        ShortVector p = ShortVector.broadcast(S, (short) (plus >>> k)).and(BIT_SEL).lanewise(VectorOperators.UMIN, (short) 1);
        ShortVector m = ShortVector.broadcast(S, (short) (minus >>> k)).and(BIT_SEL).lanewise(VectorOperators.UMIN, (short) 1);
        return p.sub(m);
    }

    /** Rows decoded into int16 trits at once by {@link #perTokenRowsLaneTrits}, then reused by every token block. */
    private static final int DECODED_ROWS = 16;
    /** Each worker thread's buffer of decoded rows, grown as needed (16 rows of 6912 columns: 221 KB). */
    private static final ThreadLocal<short[]> DECODED = ThreadLocal.withInitial(() -> new short[0]);

    private static short[] decodedRows(int size) {
        short[] b = DECODED.get();
        if (b.length < size) {
            b = new short[size];
            DECODED.set(b);
        }
        return b;
    }

    /**
     * The per-token product on machines without mask registers (AVX2). Blocks of {@link #DECODED_ROWS} rows are
     * decoded by {@link #tritLanes} into int16 trits once, so the decoding is shared by all tokens; then 6 tokens
     * x 2 rows at a time multiply and add in int16 lanes (12 accumulators, each activation load serving two rows;
     * with the two trit vectors and one activation, 15 of AVX2's 16 registers), flushed to int32 before 32767 as
     * in {@link #perTokenRows}. Decoded once per 16 rows and 4 x 2 blocks measured 15-25 % faster than decoding
     * per row for 8 tokens at a time; 6 x 2 up to 20 % faster again on 2560 x 6912 (same JVM, interleaved).
     */
    private static void perTokenRowsLaneTrits(QuantizedActivations x, TernaryMatrix w, float[] y, int from, int to) {
        final long[] plus = w.plusPlane();
        final long[] minus = w.minusPlane();
        final short[] q = x.q;
        final int words = w.words();
        final int stride = x.stride;
        final int rows = w.rows();
        final int tokens = x.tokens;
        final float sc = w.scale();
        final int flushCols = FLUSH_WORDS * 64;
        final short[] tr = decodedRows(DECODED_ROWS * stride);
        for (int rb = from; rb < to; rb += DECODED_ROWS) {
            int n = Math.min(DECODED_ROWS, to - rb);
            for (int i = 0; i < n; i++) {
                int base = (rb + i) * words;
                int o = i * stride;
                for (int wi = 0; wi < words; wi++) {
                    long pw = plus[base + wi];
                    long mw = minus[base + wi];
                    for (int k = 0; k < 64; k += LANES) {
                        tritLanes(pw, mw, k).intoArray(tr, o + (wi << 6) + k);
                    }
                }
            }
            int t = 0;
            for (; t + 6 <= tokens; t += 6) {
                int x0 = t * stride;
                int x1 = x0 + stride;
                int x2 = x1 + stride;
                int x3 = x2 + stride;
                int x4 = x3 + stride;
                int x5 = x4 + stride;
                int i = 0;
                for (; i + 2 <= n; i += 2) {
                    int o0 = i * stride;
                    int o1 = o0 + stride;
                    IntVector i00 = IntVector.zero(I);
                    IntVector i01 = i00;
                    IntVector i02 = i00;
                    IntVector i03 = i00;
                    IntVector i04 = i00;
                    IntVector i05 = i00;
                    IntVector i10 = i00;
                    IntVector i11 = i00;
                    IntVector i12 = i00;
                    IntVector i13 = i00;
                    IntVector i14 = i00;
                    IntVector i15 = i00;
                    for (int c0 = 0; c0 < stride; c0 += flushCols) {
                        int cEnd = Math.min(stride, c0 + flushCols);
                        ShortVector a00 = ShortVector.zero(S);
                        ShortVector a01 = a00;
                        ShortVector a02 = a00;
                        ShortVector a03 = a00;
                        ShortVector a04 = a00;
                        ShortVector a05 = a00;
                        ShortVector a10 = a00;
                        ShortVector a11 = a00;
                        ShortVector a12 = a00;
                        ShortVector a13 = a00;
                        ShortVector a14 = a00;
                        ShortVector a15 = a00;
                        for (int c = c0; c < cEnd; c += LANES) {
                            ShortVector t0 = ShortVector.fromArray(S, tr, o0 + c);
                            ShortVector t1 = ShortVector.fromArray(S, tr, o1 + c);
                            ShortVector v0 = ShortVector.fromArray(S, q, x0 + c);
                            a00 = a00.add(v0.mul(t0));
                            a10 = a10.add(v0.mul(t1));
                            ShortVector v1 = ShortVector.fromArray(S, q, x1 + c);
                            a01 = a01.add(v1.mul(t0));
                            a11 = a11.add(v1.mul(t1));
                            ShortVector v2 = ShortVector.fromArray(S, q, x2 + c);
                            a02 = a02.add(v2.mul(t0));
                            a12 = a12.add(v2.mul(t1));
                            ShortVector v3 = ShortVector.fromArray(S, q, x3 + c);
                            a03 = a03.add(v3.mul(t0));
                            a13 = a13.add(v3.mul(t1));
                            ShortVector v4 = ShortVector.fromArray(S, q, x4 + c);
                            a04 = a04.add(v4.mul(t0));
                            a14 = a14.add(v4.mul(t1));
                            ShortVector v5 = ShortVector.fromArray(S, q, x5 + c);
                            a05 = a05.add(v5.mul(t0));
                            a15 = a15.add(v5.mul(t1));
                        }
                        i00 = i00.add(widen(a00));
                        i01 = i01.add(widen(a01));
                        i02 = i02.add(widen(a02));
                        i03 = i03.add(widen(a03));
                        i04 = i04.add(widen(a04));
                        i05 = i05.add(widen(a05));
                        i10 = i10.add(widen(a10));
                        i11 = i11.add(widen(a11));
                        i12 = i12.add(widen(a12));
                        i13 = i13.add(widen(a13));
                        i14 = i14.add(widen(a14));
                        i15 = i15.add(widen(a15));
                    }
                    int r = rb + i;
                    y[t * rows + r] = epiloguePerToken(i00.reduceLanes(VectorOperators.ADD), x.tokenScale[t], sc);
                    y[(t + 1) * rows + r] = epiloguePerToken(i01.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 1], sc);
                    y[(t + 2) * rows + r] = epiloguePerToken(i02.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 2], sc);
                    y[(t + 3) * rows + r] = epiloguePerToken(i03.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 3], sc);
                    y[(t + 4) * rows + r] = epiloguePerToken(i04.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 4], sc);
                    y[(t + 5) * rows + r] = epiloguePerToken(i05.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 5], sc);
                    y[t * rows + r + 1] = epiloguePerToken(i10.reduceLanes(VectorOperators.ADD), x.tokenScale[t], sc);
                    y[(t + 1) * rows + r + 1] = epiloguePerToken(i11.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 1], sc);
                    y[(t + 2) * rows + r + 1] = epiloguePerToken(i12.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 2], sc);
                    y[(t + 3) * rows + r + 1] = epiloguePerToken(i13.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 3], sc);
                    y[(t + 4) * rows + r + 1] = epiloguePerToken(i14.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 4], sc);
                    y[(t + 5) * rows + r + 1] = epiloguePerToken(i15.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 5], sc);
                }
                for (; i < n; i++) {
                    for (int j = t; j < t + 6; j++) {
                        y[j * rows + rb + i] = decodedDot(q, j * stride, tr, i * stride, stride, x.tokenScale[j], sc);
                    }
                }
            }
            for (; t < tokens; t++) {
                for (int i = 0; i < n; i++) {
                    y[t * rows + rb + i] = decodedDot(q, t * stride, tr, i * stride, stride, x.tokenScale[t], sc);
                }
            }
        }
    }

    /** One token's dot product with one decoded row ({@code stride} int16 trits at {@code o}), its epilogue applied. */
    private static float decodedDot(short[] q, int x0, short[] tr, int o, int stride, float s, float sc) {
        long dot = 0;
        for (int c0 = 0; c0 < stride; c0 += FLUSH_WORDS * 64) {
            ShortVector a = ShortVector.zero(S);
            for (int c = c0; c < Math.min(stride, c0 + FLUSH_WORDS * 64); c += LANES) {
                a = a.add(ShortVector.fromArray(S, q, x0 + c).mul(ShortVector.fromArray(S, tr, o + c)));
            }
            dot += widen(a).reduceLanes(VectorOperators.ADD);
        }
        return epiloguePerToken(dot, s, sc);
    }

    private static void check(QuantizedActivations x, TernaryMatrix w, float[] y) {
        if (x.cols != w.cols()) {
            throw new IllegalArgumentException("activations have " + x.cols + " columns, weights " + w.cols());
        }
        if (y.length < (long) x.tokens * w.rows()) {
            throw new IllegalArgumentException("output too small");
        }
    }

    /** The obviously-right version: one trit at a time. */
    public static void matmulReference(QuantizedActivations x, TernaryMatrix w, float[] y) {
        check(x, w, y);
        int rows = w.rows();
        int blocks = TernaryMatrix.blocksPerRow(w.cols());
        for (int t = 0; t < x.tokens; t++) {
            for (int r = 0; r < rows; r++) {
                if (x.perTokenScaled() && !w.hasBlockScales()) {
                    long dot = 0;
                    for (int c = 0; c < w.cols(); c++) {
                        dot += (long) x.q(t, c) * w.trit(r, c);
                    }
                    y[t * rows + r] = epiloguePerToken(dot, x.tokenScale[t], w.scale());
                } else {
                    float acc = 0f;
                    for (int b = 0; b < blocks; b++) {
                        long dot = 0;
                        for (int c = b * BLOCK; c < Math.min(w.cols(), (b + 1) * BLOCK); c++) {
                            dot += (long) x.q(t, c) * w.trit(r, c);
                        }
                        acc += blockTerm(x, w, t, r, b, blocks, dot);
                    }
                    y[t * rows + r] = epilogueBlocks(acc, x, t, w.scale());
                }
            }
        }
    }

    private static float epiloguePerToken(long dot, float s, float scale) {
        return (float) dot / s * scale;
    }

    private static float blockTerm(QuantizedActivations x, TernaryMatrix w, int t, int r, int b, int blocks, long dot) {
        float f = (float) dot * w.blockScale(r, b);
        return x.perTokenScaled() ? f : f * x.blockD[t * blocks + b];
    }

    private static float epilogueBlocks(float acc, QuantizedActivations x, int t, float scale) {
        return x.perTokenScaled() ? acc / x.tokenScale[t] * scale : acc * scale;
    }

    private static void perTokenRows(QuantizedActivations x, TernaryMatrix w, float[] y, int from, int to) {
        final long[] plus = w.plusPlane();
        final long[] minus = w.minusPlane();
        final short[] q = x.q;
        final int words = w.words();
        final int stride = x.stride;
        final int rows = w.rows();
        final int tokens = x.tokens;
        final int flushWords = FLUSH_WORDS;
        for (int rb = from; rb < to; rb += ROW_GRAIN) {
            int rEnd = Math.min(to, rb + ROW_GRAIN);
            int t = 0;
            for (; t + 8 <= tokens; t += 8) {
                int x0 = t * stride;
                int x1 = x0 + stride;
                int x2 = x1 + stride;
                int x3 = x2 + stride;
                int x4 = x3 + stride;
                int x5 = x4 + stride;
                int x6 = x5 + stride;
                int x7 = x6 + stride;
                for (int r = rb; r < rEnd; r++) {
                    IntVector i0 = IntVector.zero(I);
                    IntVector i1 = i0;
                    IntVector i2 = i0;
                    IntVector i3 = i0;
                    IntVector i4 = i0;
                    IntVector i5 = i0;
                    IntVector i6 = i0;
                    IntVector i7 = i0;
                    int base = r * words;
                    for (int w0 = 0; w0 < words; w0 += flushWords) {
                        int wEnd = Math.min(words, w0 + flushWords);
                        ShortVector a0 = ShortVector.zero(S);
                        ShortVector a1 = a0;
                        ShortVector a2 = a0;
                        ShortVector a3 = a0;
                        ShortVector a4 = a0;
                        ShortVector a5 = a0;
                        ShortVector a6 = a0;
                        ShortVector a7 = a0;
                        for (int wi = w0; wi < wEnd; wi++) {
                            long pw = plus[base + wi];
                            long mw = minus[base + wi];
                            int col = wi << 6;
                            for (int k = 0; k < 64; k += LANES) {
                                VectorMask<Short> mp = VectorMask.fromLong(S, pw >>> k);
                                VectorMask<Short> mm = VectorMask.fromLong(S, mw >>> k);
                                int c = col + k;
                                ShortVector v0 = ShortVector.fromArray(S, q, x0 + c);
                                a0 = a0.add(v0, mp).sub(v0, mm);
                                ShortVector v1 = ShortVector.fromArray(S, q, x1 + c);
                                a1 = a1.add(v1, mp).sub(v1, mm);
                                ShortVector v2 = ShortVector.fromArray(S, q, x2 + c);
                                a2 = a2.add(v2, mp).sub(v2, mm);
                                ShortVector v3 = ShortVector.fromArray(S, q, x3 + c);
                                a3 = a3.add(v3, mp).sub(v3, mm);
                                ShortVector v4 = ShortVector.fromArray(S, q, x4 + c);
                                a4 = a4.add(v4, mp).sub(v4, mm);
                                ShortVector v5 = ShortVector.fromArray(S, q, x5 + c);
                                a5 = a5.add(v5, mp).sub(v5, mm);
                                ShortVector v6 = ShortVector.fromArray(S, q, x6 + c);
                                a6 = a6.add(v6, mp).sub(v6, mm);
                                ShortVector v7 = ShortVector.fromArray(S, q, x7 + c);
                                a7 = a7.add(v7, mp).sub(v7, mm);
                            }
                        }
                        i0 = i0.add(widen(a0));
                        i1 = i1.add(widen(a1));
                        i2 = i2.add(widen(a2));
                        i3 = i3.add(widen(a3));
                        i4 = i4.add(widen(a4));
                        i5 = i5.add(widen(a5));
                        i6 = i6.add(widen(a6));
                        i7 = i7.add(widen(a7));
                    }
                    float sc = w.scale();
                    y[(t + 0) * rows + r] = epiloguePerToken(i0.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 0], sc);
                    y[(t + 1) * rows + r] = epiloguePerToken(i1.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 1], sc);
                    y[(t + 2) * rows + r] = epiloguePerToken(i2.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 2], sc);
                    y[(t + 3) * rows + r] = epiloguePerToken(i3.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 3], sc);
                    y[(t + 4) * rows + r] = epiloguePerToken(i4.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 4], sc);
                    y[(t + 5) * rows + r] = epiloguePerToken(i5.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 5], sc);
                    y[(t + 6) * rows + r] = epiloguePerToken(i6.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 6], sc);
                    y[(t + 7) * rows + r] = epiloguePerToken(i7.reduceLanes(VectorOperators.ADD), x.tokenScale[t + 7], sc);
                }
            }
            for (; t < tokens; t++) {
                int x0 = t * stride;
                for (int r = rb; r < rEnd; r++) {
                    long dot = 0;
                    int base = r * words;
                    for (int w0 = 0; w0 < words; w0 += flushWords) {
                        ShortVector a0 = ShortVector.zero(S);
                        for (int wi = w0; wi < Math.min(words, w0 + flushWords); wi++) {
                            long pw = plus[base + wi];
                            long mw = minus[base + wi];
                            for (int k = 0; k < 64; k += LANES) {
                                ShortVector v0 = ShortVector.fromArray(S, q, x0 + (wi << 6) + k);
                                a0 = a0.add(v0, VectorMask.fromLong(S, pw >>> k)).sub(v0, VectorMask.fromLong(S, mw >>> k));
                            }
                        }
                        dot += widen(a0).reduceLanes(VectorOperators.ADD);
                    }
                    y[t * rows + r] = epiloguePerToken(dot, x.tokenScale[t], w.scale());
                }
            }
        }
    }

    /** Sum of both halves of a short vector as ints (lane order does not matter for a sum). */
    private static IntVector widen(ShortVector a) {
        IntVector lo = (IntVector) a.convertShape(VectorOperators.S2I, I, 0);
        IntVector hi = (IntVector) a.convertShape(VectorOperators.S2I, I, 1);
        return lo.add(hi);
    }

    /** Per-256-block dot products: runtime (Q8_K) activations, or weights with per-block scales. */
    private static void blockRows(QuantizedActivations x, TernaryMatrix w, float[] y, int from, int to,
            boolean laneTrits) {
        final long[] plus = w.plusPlane();
        final long[] minus = w.minusPlane();
        final short[] q = x.q;
        final int words = w.words();
        final int rows = w.rows();
        final int blocks = TernaryMatrix.blocksPerRow(w.cols());
        for (int t = 0; t < x.tokens; t++) {
            int x0 = t * x.stride;
            for (int r = from; r < to; r++) {
                int base = r * words;
                float acc = 0f;
                for (int b = 0; b < blocks; b++) {
                    ShortVector a0 = ShortVector.zero(S);
                    int wEnd = Math.min(words, (b + 1) * (BLOCK / 64));
                    for (int wi = b * (BLOCK / 64); wi < wEnd; wi++) {
                        long pw = plus[base + wi];
                        long mw = minus[base + wi];
                        for (int k = 0; k < 64; k += LANES) {
                            ShortVector v0 = ShortVector.fromArray(S, q, x0 + (wi << 6) + k);
                            if (laneTrits) {
                                a0 = a0.add(v0.mul(tritLanes(pw, mw, k)));
                            } else {
                                a0 = a0.add(v0, VectorMask.fromLong(S, pw >>> k)).sub(v0, VectorMask.fromLong(S, mw >>> k));
                            }
                        }
                    }
                    long dot = widen(a0).reduceLanes(VectorOperators.ADD);
                    acc += blockTerm(x, w, t, r, b, blocks, dot);
                }
                y[t * rows + r] = epilogueBlocks(acc, x, t, w.scale());
            }
        }
    }
}
