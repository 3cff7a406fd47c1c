package dev.ternpack.verify.kernel;

import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-token int8 x ternary product by table lookup, the fast path of {@link TernaryKernels#matmul} when
 * every weight of a row shares one scale (T-MAC's idea, kept exact).
 *
 * <p>Three consecutive trits {@code (t0, t1, t2)} of a row form one base-3 code {@code (t0+1) + 3(t1+1) +
 * 9(t2+1)} in 0..26. For one token and one group of three columns, the 27 possible partial dot products
 * {@code q0*t0 + q1*t1 + q2*t2} (at most 3 * 128 in magnitude) are computed once, into a 32-lane int16 table;
 * then one lane permutation ({@code selectFrom}, {@code vpermw}) looks up the partial sums of 32 rows at once, using
 * their codes as indices, and one add accumulates them: 96 multiply-adds per two instructions, where masked
 * adds over bit planes do 32 per two. The tables depend on the activations only, so the projections that read
 * the same input (q, k and v; gate and up) share them.
 *
 * <p>Layout. Codes: {@code byte[rowBlock][group][32]}, a row block being 32 consecutive rows, padded with the
 * code of three zeros. Tables: {@code short[token][group][32]}. The kernel holds 4 tokens x 4 row blocks of
 * int16 accumulators in registers and flushes them to int32 every {@value #FLUSH} groups, before
 * {@code FLUSH * 384} could leave the int16 range. Integer sums are exact in any order, so the result equals
 * {@link TernaryKernels#matmulReference} bit for bit (same epilogue {@code (float) dot / s * scale}).
 */
final class TritGroupKernels {
    static final int ROWS = 32;
    static final int GROUP = 3;
    /** The code of three zero trits: (0+1) + 3(0+1) + 9(0+1). */
    static final byte ZERO_CODE = 13;
    /** 85 groups x 3 columns x 128 = 32640, the most an int16 lane may collect before a flush. */
    static final int FLUSH = 85;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final int RB = 4;
    private static final int TB = 4;

    /** Whether this machine has the 32 x int16 lanes the kernel is written for (AVX-512BW). */
    static final boolean AVAILABLE = TernaryKernels.VECTOR && ShortVector.SPECIES_PREFERRED.length() >= 32;

    private static final short[] SIGN0 = new short[ROWS];
    private static final short[] SIGN1 = new short[ROWS];
    private static final short[] SIGN2 = new short[ROWS];

    static {
        for (int c = 0; c < 27; c++) {
            SIGN0[c] = (short) (c % 3 - 1);
            SIGN1[c] = (short) (c / 3 % 3 - 1);
            SIGN2[c] = (short) (c / 9 - 1);
        }
    }

    private TritGroupKernels() {
    }

    static int groups(int cols) {
        return (cols + GROUP - 1) / GROUP;
    }

    static int rowBlocks(int rows) {
        return (rows + ROWS - 1) / ROWS;
    }

    /** The trits of code {@code code} that are +1 and -1: {@code PLUS[code]}, {@code MINUS[code]}. */
    private static final int[] PLUS = new int[27];
    private static final int[] MINUS = new int[27];

    static {
        for (int c = 0; c < 27; c++) {
            for (int k = 0, v = c; k < GROUP; k++, v /= 3) {
                PLUS[c] += v % 3 == 2 ? 1 : 0;
                MINUS[c] += v % 3 == 0 ? 1 : 0;
            }
        }
    }

    /** {-1s, 0s, +1s} of a matrix of {@code elements} weights from its codes (padding codes hold zeros only). */
    static long[] tritCounts(byte[] codes, long elements) {
        long[] histogram = new long[27];
        for (byte c : codes) {
            histogram[c]++;
        }
        long plus = 0;
        long minus = 0;
        for (int c = 0; c < 27; c++) {
            plus += histogram[c] * PLUS[c];
            minus += histogram[c] * MINUS[c];
        }
        return new long[] {minus, elements - plus - minus, plus};
    }

    /** Trits that differ between two matrices' codes of the same shape (padding is equal in both). */
    static long mismatches(byte[] a, byte[] b) {
        long n = 0;
        int i = 0;
        while (i < a.length) {
            int d = Arrays.mismatch(a, i, a.length, b, i, b.length);
            if (d < 0) {
                break;
            }
            i += d;
            for (int k = 0, x = a[i], y = b[i]; k < GROUP; k++, x /= 3, y /= 3) {
                n += x % 3 != y % 3 ? 1 : 0;
            }
            i++;
        }
        return n;
    }

    /** The first row whose trits differ between two matrices' codes of the same shape, or -1. */
    static int firstMismatchRow(byte[] a, byte[] b, int cols) {
        int d = Arrays.mismatch(a, b);
        if (d < 0) {
            return -1;
        }
        int blockBytes = groups(cols) * ROWS;
        int block = d / blockBytes;
        int first = ROWS;
        for (int i = d; i < (block + 1) * blockBytes; i++) {
            if (a[i] != b[i]) {
                first = Math.min(first, i % ROWS);
            }
        }
        return block * ROWS + first;
    }

    /** Refuses a value outside {-1, 0, 1}, naming its row and column. */
    static void requireTrits(byte[] trits, int cols) {
        VectorSpecies<Byte> b = ByteVector.SPECIES_PREFERRED;
        int n = trits.length;
        int i = 0;
        // t + 1 must be 0, 1 or 2 as an unsigned byte
        for (; i <= n - b.length(); i += b.length()) {
            if (ByteVector.fromArray(b, trits, i).add((byte) 1).compare(VectorOperators.UGT, (byte) 2).anyTrue()) {
                break;
            }
        }
        for (; i < n; i++) {
            if (trits[i] < -1 || trits[i] > 1) {
                throw new IllegalArgumentException("not a trit: " + trits[i] + " at row " + i / cols + ", column "
                        + i % cols);
            }
        }
    }

    /**
     * The codes of row-major trits (already checked to be trits), each row's codes going to lane {@code r % 32}
     * of its row block.
     */
    static byte[] buildCodes(byte[] trits, int rows, int cols) {
        return buildCodes(trits, rows, cols, AVAILABLE);
    }

    /** Groups whose codes one 64-byte load yields: 21 groups take 63 of its trits. */
    private static final int GROUPS_PER_LOAD = 21;
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;
    /** Lane k of these picks trit 3k, 3k + 1, 3k + 2 of a load (lanes past 20: don't care, 0). */
    private static final VectorShuffle<Byte> FIRST = VectorShuffle.fromOp(B64, k -> k < GROUPS_PER_LOAD ? 3 * k : 0);
    private static final VectorShuffle<Byte> SECOND = VectorShuffle.fromOp(B64, k -> k < GROUPS_PER_LOAD ? 3 * k + 1 : 0);
    private static final VectorShuffle<Byte> THIRD = VectorShuffle.fromOp(B64, k -> k < GROUPS_PER_LOAD ? 3 * k + 2 : 0);

    /**
     * As {@link #buildCodes(byte[], int, int)}; with {@code vector}, the groups of a row come 21 at a time from one
     * 64-byte load, its trits picked apart by three lane permutations ({@code vpermb}) and combined with adds
     * ({@code 3t = t + t + t}, {@code 9t = 8t + t}: x86 has no byte multiply), then scattered to their row blocks;
     * the groups a whole load would overrun at the end of the row are done one by one. The same codes either way
     * (the tests compare them), about a third of the scalar pass's time.
     */
    static byte[] buildCodes(byte[] trits, int rows, int cols, boolean vector) {
        int groups = groups(cols);
        int blocks = rowBlocks(rows);
        byte[] codes = new byte[Math.multiplyExact(blocks, groups * ROWS)];
        int full = cols / GROUP;
        byte[] picked = new byte[B64.length()];
        for (int r = 0; r < blocks * ROWS; r++) {
            int dst = (r / ROWS) * groups * ROWS + r % ROWS;
            if (r >= rows) {
                for (int g = 0; g < groups; g++) {
                    codes[dst + g * ROWS] = ZERO_CODE;
                }
                continue;
            }
            int src = r * cols;
            int done = vector ? codesOfRow(trits, src, cols, codes, dst, picked) : 0;
            for (int g = done; g < full; g++) {
                int c = src + g * GROUP;
                codes[dst + g * ROWS] = (byte) (ZERO_CODE + trits[c] + 3 * trits[c + 1] + 9 * trits[c + 2]);
            }
            if (full < groups) {
                int c = full * GROUP;
                int code = ZERO_CODE + trits[src + c];
                if (c + 1 < cols) {
                    code += 3 * trits[src + c + 1];
                }
                codes[dst + full * ROWS] = (byte) code;
            }
        }
        return codes;
    }

    /** The codes of the first groups of one row, 21 per load while a load stays in the row; returns how many. */
    private static int codesOfRow(byte[] trits, int src, int cols, byte[] codes, int dst, byte[] picked) {
        int g = 0;
        for (; GROUP * g + B64.length() <= cols; g += GROUPS_PER_LOAD) {
            ByteVector v = ByteVector.fromArray(B64, trits, src + GROUP * g);
            ByteVector t1 = v.rearrange(SECOND);
            ByteVector t2 = v.rearrange(THIRD);
            ByteVector t2x2 = t2.add(t2);
            ByteVector t2x4 = t2x2.add(t2x2);
            v.rearrange(FIRST).add(t1).add(t1).add(t1).add(t2x4).add(t2x4).add(t2).add(ZERO_CODE)
                    .intoArray(picked, 0);
            for (int k = 0; k < GROUPS_PER_LOAD; k++) {
                codes[dst + (g + k) * ROWS] = picked[k];
            }
        }
        return g;
    }

    /** The tables of tokens {@code [from, to)}: entry e of (t, g) is the partial dot product for code e. */
    static void buildTables(QuantizedActivations x, short[] tables, int from, int to) {
        int groups = groups(x.cols);
        ShortVector s0 = ShortVector.fromArray(S, SIGN0, 0);
        ShortVector s1 = ShortVector.fromArray(S, SIGN1, 0);
        ShortVector s2 = ShortVector.fromArray(S, SIGN2, 0);
        short[] q = x.q;
        for (int t = from; t < to; t++) {
            int xo = t * x.stride;
            int dst = t * groups * ROWS;
            for (int g = 0; g < groups - 1; g++) {
                int c = xo + g * GROUP;
                s0.mul(q[c]).add(s1.mul(q[c + 1])).add(s2.mul(q[c + 2])).intoArray(tables, dst + g * ROWS);
            }
            // The last group may run past the row (and past the array, for the last token): columns there hold
            // zero trits, whose sign is 0 in every table entry, so any value would do; 0 stays in bounds.
            int g = groups - 1;
            int c = g * GROUP;
            short q0 = q[xo + c];
            short q1 = c + 1 < x.cols ? q[xo + c + 1] : 0;
            short q2 = c + 2 < x.cols ? q[xo + c + 2] : 0;
            s0.mul(q0).add(s1.mul(q1)).add(s2.mul(q2)).intoArray(tables, dst + g * ROWS);
        }
    }

    /**
     * {@code y[t * rows + r]} for row blocks {@code [from, to)} and every token. Token tiles are the outer loop:
     * one tile's tables (4 tokens, 54-147 KB each for 2560-6912 columns) stay in L2 while the range's codes
     * stream past them, so the tables, 5 to 13 times the size of the codes on 2B-4T's shapes at 512 tokens, are
     * read from memory once per range instead of once per tile of row blocks.
     */
    static void rows(QuantizedActivations x, short[] tables, TernaryMatrix w, byte[] codes, float[] y, int from, int to) {
        int tokens = x.tokens;
        int groups = groups(w.cols());
        int[] acc = new int[TB * RB * ROWS];
        short[] spill = new short[TB * RB * ROWS];
        int fullEnd = from + (to - from) / RB * RB;
        int t = 0;
        for (; t + TB <= tokens; t += TB) {
            for (int rb = from; rb < fullEnd; rb += RB) {
                block44(tables, codes, groups, t, rb, acc, spill);
                store(x, w, y, acc, t, TB, rb, RB);
            }
        }
        // What the tiles left: the last tokens of the tiled row blocks, every token of the others.
        for (int rb = from; rb < to; rb++) {
            for (int u = rb < fullEnd ? t : 0; u < tokens; u++) {
                block11(tables, codes, groups, u, rb, acc, spill);
                store(x, w, y, acc, u, 1, rb, 1);
            }
        }
    }

    private static ShortVector widen(byte[] codes, int off) {
        return (ShortVector) ByteVector.fromArray(B, codes, off).convertShape(VectorOperators.B2S, S, 0);
    }

    /** 4 tokens x 4 row blocks; {@code acc[(j * TB + i) * 32 + lane]} = dot of token t+i, row (rb+j)*32+lane. */
    private static void block44(short[] tables, byte[] codes, int groups, int t, int rb, int[] acc, short[] spill) {
        java.util.Arrays.fill(acc, 0);
        int span = groups * ROWS;
        int tb0 = t * span;
        int tb1 = tb0 + span;
        int tb2 = tb1 + span;
        int tb3 = tb2 + span;
        int cb0 = rb * span;
        int cb1 = cb0 + span;
        int cb2 = cb1 + span;
        int cb3 = cb2 + span;
        for (int g0 = 0; g0 < groups; g0 += FLUSH) {
            int gEnd = Math.min(groups, g0 + FLUSH);
            ShortVector a00 = ShortVector.zero(S);
            ShortVector a01 = a00;
            ShortVector a02 = a00;
            ShortVector a03 = a00;
            ShortVector a10 = a00;
            ShortVector a11 = a00;
            ShortVector a12 = a00;
            ShortVector a13 = a00;
            ShortVector a20 = a00;
            ShortVector a21 = a00;
            ShortVector a22 = a00;
            ShortVector a23 = a00;
            ShortVector a30 = a00;
            ShortVector a31 = a00;
            ShortVector a32 = a00;
            ShortVector a33 = a00;
            for (int g = g0; g < gEnd; g++) {
                int o = g * ROWS;
                ShortVector i0 = widen(codes, cb0 + o);
                ShortVector i1 = widen(codes, cb1 + o);
                ShortVector i2 = widen(codes, cb2 + o);
                ShortVector i3 = widen(codes, cb3 + o);
                ShortVector tab = ShortVector.fromArray(S, tables, tb0 + o);
                a00 = a00.add(i0.selectFrom(tab));
                a10 = a10.add(i1.selectFrom(tab));
                a20 = a20.add(i2.selectFrom(tab));
                a30 = a30.add(i3.selectFrom(tab));
                tab = ShortVector.fromArray(S, tables, tb1 + o);
                a01 = a01.add(i0.selectFrom(tab));
                a11 = a11.add(i1.selectFrom(tab));
                a21 = a21.add(i2.selectFrom(tab));
                a31 = a31.add(i3.selectFrom(tab));
                tab = ShortVector.fromArray(S, tables, tb2 + o);
                a02 = a02.add(i0.selectFrom(tab));
                a12 = a12.add(i1.selectFrom(tab));
                a22 = a22.add(i2.selectFrom(tab));
                a32 = a32.add(i3.selectFrom(tab));
                tab = ShortVector.fromArray(S, tables, tb3 + o);
                a03 = a03.add(i0.selectFrom(tab));
                a13 = a13.add(i1.selectFrom(tab));
                a23 = a23.add(i2.selectFrom(tab));
                a33 = a33.add(i3.selectFrom(tab));
            }
            a00.intoArray(spill, 0 * ROWS);
            a01.intoArray(spill, 1 * ROWS);
            a02.intoArray(spill, 2 * ROWS);
            a03.intoArray(spill, 3 * ROWS);
            a10.intoArray(spill, 4 * ROWS);
            a11.intoArray(spill, 5 * ROWS);
            a12.intoArray(spill, 6 * ROWS);
            a13.intoArray(spill, 7 * ROWS);
            a20.intoArray(spill, 8 * ROWS);
            a21.intoArray(spill, 9 * ROWS);
            a22.intoArray(spill, 10 * ROWS);
            a23.intoArray(spill, 11 * ROWS);
            a30.intoArray(spill, 12 * ROWS);
            a31.intoArray(spill, 13 * ROWS);
            a32.intoArray(spill, 14 * ROWS);
            a33.intoArray(spill, 15 * ROWS);
            flush(acc, spill, TB * RB);
        }
    }

    /** One token, one row block, into {@code acc[0..31]}. */
    private static void block11(short[] tables, byte[] codes, int groups, int t, int rb, int[] acc, short[] spill) {
        java.util.Arrays.fill(acc, 0, ROWS, 0);
        int tb = t * groups * ROWS;
        int cb = rb * groups * ROWS;
        for (int g0 = 0; g0 < groups; g0 += FLUSH) {
            int gEnd = Math.min(groups, g0 + FLUSH);
            ShortVector a = ShortVector.zero(S);
            for (int g = g0; g < gEnd; g++) {
                int o = g * ROWS;
                a = a.add(widen(codes, cb + o).selectFrom(ShortVector.fromArray(S, tables, tb + o)));
            }
            a.intoArray(spill, 0);
            flush(acc, spill, 1);
        }
    }

    /**
     * Adds the first {@code n} spilled int16 accumulators ({@code spill[k * 32 ..]}, 32 lanes each) into their int32
     * sums {@code acc[k * 32 ..]}. The kernels spill with {@code intoArray} and call this with arrays only: a call
     * that passes a vector to a method the JIT does not inline (block44 is too big for it to inline 16 such calls)
     * boxes the vector, an allocation per call that cost about a fifth of the kernel's time.
     */
    private static void flush(int[] acc, short[] spill, int n) {
        for (int k = 0; k < n; k++) {
            int off = k * ROWS;
            ShortVector a = ShortVector.fromArray(S, spill, off);
            IntVector lo = (IntVector) a.convertShape(VectorOperators.S2I, I, 0);
            IntVector hi = (IntVector) a.convertShape(VectorOperators.S2I, I, 1);
            IntVector.fromArray(I, acc, off).add(lo).intoArray(acc, off);
            IntVector.fromArray(I, acc, off + 16).add(hi).intoArray(acc, off + 16);
        }
    }

    /**
     * The epilogue {@code (float) dot / s * scale} for {@code nt} tokens from {@code t} and {@code nb} row blocks
     * from {@code rb}, {@code acc} laid out as in {@link #block44} with {@code TB = nt}; rows past the last are
     * dropped.
     */
    private static void store(QuantizedActivations x, TernaryMatrix w, float[] y, int[] acc, int t, int nt, int rb, int nb) {
        int rows = w.rows();
        float scale = w.scale();
        for (int j = 0; j < nb; j++) {
            int r0 = (rb + j) * ROWS;
            for (int i = 0; i < nt; i++) {
                float s = x.tokenScale[t + i];
                int src = (j * nt + i) * ROWS;
                int dst = (t + i) * rows + r0;
                for (int h = 0; h < ROWS; h += F.length()) {
                    int n = Math.min(F.length(), rows - r0 - h);
                    if (n <= 0) {
                        break;
                    }
                    FloatVector v = ((FloatVector) IntVector.fromArray(I, acc, src + h).convert(VectorOperators.I2F, 0))
                            .div(s).mul(scale);
                    if (n == F.length()) {
                        v.intoArray(y, dst + h);
                    } else {
                        v.intoArray(y, dst + h, F.indexInRange(0, n));
                    }
                }
            }
        }
    }
}
