package dev.ternpack.pack;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The second pass of ternarizing BF16 weights, fused with packing: each weight's code ({@code trit + 1}) comes
 * straight from its raw bits, compared with the {@link AbsmeanKernels.Thresholds} of the tensor's scale, and goes
 * into its packed byte at once; no trit array is written. The bytes equal {@code layout.pack(ternarize(w))} and
 * the counts equal the reference's (the tests hold both to it).
 *
 * <p>For one vector of bf16 bits: {@code big = |bits| > one} is "the trit is nonzero", {@code sgn = (bits >> 15)
 * | 1} is -1 or +1, so the trit is {@code sgn} where {@code big} and 0 elsewhere. A packed byte starts as
 * {@code 0x55} (code 1, trit 0, in all four bit pairs) and gets {@code sgn << shift} added where {@code big}:
 * 1 + 1 = 2 and 1 - 1 = 0 never carry out of their pair. Counts are kept per lane in short vectors (masked adds:
 * nonzero trits, the sum of the trits, near-threshold weights) and folded into longs every
 * {@value #COUNT_BLOCK_ELEMENTS} elements (HF: every {@value #HF_CHUNK_COLUMNS} columns of a packed row),
 * long before a lane could overflow; -1s = (nonzero - sum) / 2.
 *
 * <p>TQ1_0 ({@link #tq1}) is here for 32-lane short vectors (AVX-512) only: it makes TQ2_0's codes first and
 * its base-3 bytes from them with per-lane weights and lane rotations laid out for 32 lanes. With fewer lanes
 * ({@link #TQ1_FUSED} false) BF16 goes to TQ1_0 through the fast quantize pass and
 * {@link Tq1Layout}'s packer.
 */
final class FusedBf16 {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort FP16 = TqScales.FP16;

    /** The machine's widest short vector: 32 lanes on AVX-512, 16 on AVX2. */
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    /** Bytes of one short vector after narrowing. */
    private static final VectorSpecies<Byte> SB = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, S.vectorBitSize() / 2)));
    private static final int L = S.length();
    /** Int vectors of the same size, for adding up short counters without wrapping. */
    private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, S.vectorShape());

    /** Elements between two foldings of the short counters (at most 16384 / 16 increments per lane). */
    static final int COUNT_BLOCK_ELEMENTS = 1 << 14;
    /** HF: columns per chunk of a packed row (at most 4 increments per lane per vector). */
    static final int HF_CHUNK_COLUMNS = 1 << 12;

    /** Whether {@link #tq1} can run here: it is written for 32 short lanes. */
    static final boolean TQ1_FUSED = L == 32;

    private FusedBf16() {
    }

    /** Thresholds as the kernels use them, and the counts of one call. */
    private static final class Counts {
        final short one;
        final short lo1;
        final short width1;
        final short lo2;
        final short width2;
        final int nearLo1;
        final int nearHi1;
        final int nearLo2;
        final int nearHi2;
        long nonzero;
        long sum;
        long near;

        Counts(AbsmeanKernels.Thresholds th) {
            one = (short) th.one();
            // lo <= m <= hi as one unsigned compare of m - lo with hi - lo; an empty range is [nan, nan]
            // (Thresholds), which no finite magnitude reaches, so the width never wraps
            lo1 = (short) th.nearLo1();
            width1 = (short) (th.nearHi1() - th.nearLo1());
            lo2 = (short) th.nearLo2();
            width2 = (short) (th.nearHi2() - th.nearLo2());
            nearLo1 = th.nearLo1();
            nearHi1 = th.nearHi1();
            nearLo2 = th.nearLo2();
            nearHi2 = th.nearHi2();
        }

        /** The code of one weight (0, 1, 2), counted; for the few weights outside whole vectors. */
        int code(short bits) {
            int mag = bits & 0x7FFF;
            if (mag >= nearLo1 && mag <= nearHi1 || mag >= nearLo2 && mag <= nearHi2) {
                near++;
            }
            if (mag <= (one & 0xFFFF)) {
                return 1;
            }
            nonzero++;
            sum += bits < 0 ? -1 : 1;
            return bits < 0 ? 0 : 2;
        }

        void fold(ShortVector cNonzero, ShortVector cSum, ShortVector cNear) {
            nonzero += widenedSum(cNonzero);
            sum += widenedSum(cSum);
            near += widenedSum(cNear);
        }

        void addTo(long[] counts) {
            long minus = (nonzero - sum) / 2;
            counts[AbsmeanKernels.MINUS] += minus;
            counts[AbsmeanKernels.PLUS] += nonzero - minus;
            counts[AbsmeanKernels.NEAR_COUNT] += near;
        }
    }

    // Each kernel and helper sees vectors of one species only: a method that receives two shapes gets a
    // polluted type profile and the JIT stops compiling its vector operations to instructions (10x slower).

    /** The sum of a vector's lanes, in int lanes (a short reduction would wrap at 32767). */
    private static long widenedSum(ShortVector v) {
        return ((IntVector) v.convertShape(VectorOperators.S2I, SI, 0)).reduceLanes(VectorOperators.ADD)
                + ((IntVector) v.convertShape(VectorOperators.S2I, SI, 1)).reduceLanes(VectorOperators.ADD);
    }

    /**
     * TQ2_0: {@code blocks} 256-element blocks, contiguous (rows of whole blocks, one after another) from
     * element 0 of {@code src}, each to 66 bytes of {@code dst}: {@code qs[32h + m]} bits {@code 2l+1:2l} = code
     * of element {@code 128h + 32l + m}, then {@code d}.
     */
    static void tq2(MemorySegment src, long blocks, AbsmeanKernels.Thresholds th, TqScales scales,
            MemorySegment dst, long[] counts) {
        Counts c = new Counts(th);
        long perChunk = COUNT_BLOCK_ELEMENTS / TernaryTensor.TQ_BLOCK;
        for (long b0 = 0; b0 < blocks; b0 += perChunk) {
            tq2Chunk(src, b0, Math.min(blocks, b0 + perChunk), c, scales, dst);
        }
        c.addTo(counts);
    }

    // The loops over a tensor call one method per chunk, and the vectors live only inside it: a long loop
    // compiled on-stack-replacement carries its vectors over from the interpreter as objects, which costs 5x.

    private static void tq2Chunk(MemorySegment src, long b0, long b1, Counts c, TqScales scales, MemorySegment dst) {
        short one = c.one;
        short lo1 = c.lo1;
        short w1 = c.width1;
        short lo2 = c.lo2;
        short w2 = c.width2;
        ShortVector ones = ShortVector.broadcast(S, (short) 1);
        ShortVector zeros = ShortVector.broadcast(S, (short) 0x55);
        ShortVector cNonzero = ShortVector.zero(S);
        ShortVector cSum = cNonzero;
        ShortVector cNear = cNonzero;
        for (long b = b0; b < b1; b++) {
            long e = b * TernaryTensor.TQ_BLOCK;
            long out = b * Tq2Layout.BLOCK_BYTES;
            VectorMask<Short> any = S.maskAll(false);
            for (int h = 0; h < 2; h++) {
                for (int m = 0; m < 32; m += L) {
                    ShortVector acc = zeros;
                    for (int l = 0; l < 4; l++) {
                        ShortVector bits = ShortVector.fromMemorySegment(S, src, (e + 128 * h + 32 * l + m) * 2, LE);
                        ShortVector mag = bits.and((short) 0x7FFF);
                        VectorMask<Short> big = mag.compare(VectorOperators.GT, one);
                        ShortVector sgn = bits.lanewise(VectorOperators.ASHR, 15).or((short) 1);
                        cNonzero = cNonzero.add(ones, big);
                        cSum = cSum.add(sgn, big);
                        cNear = cNear.add(ones, mag.sub(lo1).compare(VectorOperators.ULE, w1)
                                .or(mag.sub(lo2).compare(VectorOperators.ULE, w2)));
                        any = any.or(big);
                        acc = acc.add(sgn.lanewise(VectorOperators.LSHL, 2 * l), big);
                    }
                    acc.castShape(SB, 0).reinterpretAsBytes().intoMemorySegment(dst, out + 32 * h + m, LE);
                }
            }
            dst.set(FP16, out + Tq2Layout.D_OFFSET, scales.d((int) b, any.anyTrue()));
        }
        c.fold(cNonzero, cSum, cNear);
    }

    /**
     * I2_S: the {@code n} elements of {@code src} (a multiple of 128) as 128-element blocks of 32 bytes: byte
     * {@code 32b + p} bits {@code 7-2g:6-2g} = code of element {@code 128b + 32g + p}. The tail is the caller's.
     */
    static void i2s(MemorySegment src, long n, AbsmeanKernels.Thresholds th, MemorySegment dst, long[] counts) {
        Counts c = new Counts(th);
        long blocks = n / I2sLayout.BLOCK;
        long perChunk = COUNT_BLOCK_ELEMENTS / I2sLayout.BLOCK;
        for (long b0 = 0; b0 < blocks; b0 += perChunk) {
            i2sChunk(src, b0, Math.min(blocks, b0 + perChunk), c, dst);
        }
        c.addTo(counts);
    }

    private static void i2sChunk(MemorySegment src, long b0, long b1, Counts c, MemorySegment dst) {
        short one = c.one;
        short lo1 = c.lo1;
        short w1 = c.width1;
        short lo2 = c.lo2;
        short w2 = c.width2;
        ShortVector ones = ShortVector.broadcast(S, (short) 1);
        ShortVector zeros = ShortVector.broadcast(S, (short) 0x55);
        ShortVector cNonzero = ShortVector.zero(S);
        ShortVector cSum = cNonzero;
        ShortVector cNear = cNonzero;
        // An int-counted loop: over long b, C2's profiled loop predicates failed now and then (deoptimization
        // traps at the loop head, some runs 1.5x the CPU time).
        int count = (int) (b1 - b0);
        for (int k = 0; k < count; k++) {
            long b = b0 + k;
            long e = b * I2sLayout.BLOCK;
            for (int p = 0; p < 32; p += L) {
                ShortVector acc = zeros;
                for (int g = 0; g < 4; g++) {
                    ShortVector bits = ShortVector.fromMemorySegment(S, src, (e + 32 * g + p) * 2, LE);
                    ShortVector mag = bits.and((short) 0x7FFF);
                    VectorMask<Short> big = mag.compare(VectorOperators.GT, one);
                    ShortVector sgn = bits.lanewise(VectorOperators.ASHR, 15).or((short) 1);
                    cNonzero = cNonzero.add(ones, big);
                    cSum = cSum.add(sgn, big);
                    cNear = cNear.add(ones, mag.sub(lo1).compare(VectorOperators.ULE, w1)
                            .or(mag.sub(lo2).compare(VectorOperators.ULE, w2)));
                    acc = acc.add(sgn.lanewise(VectorOperators.LSHL, 6 - 2 * g), big);
                }
                acc.castShape(SB, 0).reinterpretAsBytes().intoMemorySegment(dst, b * I2sLayout.BLOCK_BYTES + p, LE);
            }
        }
        c.fold(cNonzero, cSum, cNear);
    }

    /**
     * HF 2-bit: packed row {@code j}, column {@code col} bits {@code 2i+1:2i} = code of weight
     * {@code [i*P + j, col]}, code 1 where that row does not exist ({@link Hf2BitLayout}).
     */
    static void hf(MemorySegment src, int rows, int cols, AbsmeanKernels.Thresholds th, MemorySegment dst,
            long[] counts) {
        Counts c = new Counts(th);
        int p = (int) Hf2BitLayout.packedRows(rows);
        int vectorCols = cols - cols % L;
        long[] rowAt = new long[4];
        for (int j = 0; j < p; j++) {
            int present = 0;
            for (int i = 0; i < 4 && i * p + j < rows; i++) {
                rowAt[i] = (long) (i * p + j) * cols;
                present++;
            }
            long out = (long) j * cols;
            for (int col0 = 0; col0 < vectorCols; col0 += HF_CHUNK_COLUMNS) {
                int col1 = Math.min(vectorCols, col0 + HF_CHUNK_COLUMNS);
                switch (present) {
                    case 4 -> hfChunk4(src, rowAt[0], rowAt[1], rowAt[2], rowAt[3], col0, col1, c, dst, out);
                    default -> hfChunkShort(src, rowAt, present, col0, col1, c, dst, out);
                }
            }
            for (int col = vectorCols; col < cols; col++) {
                int v = 0x55;
                for (int i = 0; i < present; i++) {
                    v += (c.code(src.getAtIndex(U16, rowAt[i] + col)) - 1) << (2 * i);
                }
                dst.set(ValueLayout.JAVA_BYTE, out + col, (byte) v);
            }
        }
        c.addTo(counts);
    }

    /** Columns {@code [col0, col1)} of a packed row whose four source rows all exist. */
    private static void hfChunk4(MemorySegment src, long r0, long r1, long r2, long r3, int col0, int col1, Counts c,
            MemorySegment dst, long out) {
        short one = c.one;
        short lo1 = c.lo1;
        short w1 = c.width1;
        short lo2 = c.lo2;
        short w2 = c.width2;
        ShortVector ones = ShortVector.broadcast(S, (short) 1);
        ShortVector zeros = ShortVector.broadcast(S, (short) 0x55);
        ShortVector cNonzero = ShortVector.zero(S);
        ShortVector cSum = cNonzero;
        ShortVector cNear = cNonzero;
        for (int col = col0; col < col1; col += L) {
            ShortVector acc = zeros;
            for (int i = 0; i < 4; i++) {
                long row = i == 0 ? r0 : i == 1 ? r1 : i == 2 ? r2 : r3;
                ShortVector bits = ShortVector.fromMemorySegment(S, src, (row + col) * 2, LE);
                ShortVector mag = bits.and((short) 0x7FFF);
                VectorMask<Short> big = mag.compare(VectorOperators.GT, one);
                ShortVector sgn = bits.lanewise(VectorOperators.ASHR, 15).or((short) 1);
                cNonzero = cNonzero.add(ones, big);
                cSum = cSum.add(sgn, big);
                cNear = cNear.add(ones, mag.sub(lo1).compare(VectorOperators.ULE, w1)
                        .or(mag.sub(lo2).compare(VectorOperators.ULE, w2)));
                acc = acc.add(sgn.lanewise(VectorOperators.LSHL, 2 * i), big);
            }
            acc.castShape(SB, 0).reinterpretAsBytes().intoMemorySegment(dst, out + col, LE);
        }
        c.fold(cNonzero, cSum, cNear);
    }

    /** Columns {@code [col0, col1)} of one of the last packed rows, which have fewer than four source rows. */
    private static void hfChunkShort(MemorySegment src, long[] rowAt, int present, int col0, int col1, Counts c,
            MemorySegment dst, long out) {
        short one = c.one;
        short lo1 = c.lo1;
        short w1 = c.width1;
        short lo2 = c.lo2;
        short w2 = c.width2;
        ShortVector ones = ShortVector.broadcast(S, (short) 1);
        ShortVector zeros = ShortVector.broadcast(S, (short) 0x55);
        ShortVector cNonzero = ShortVector.zero(S);
        ShortVector cSum = cNonzero;
        ShortVector cNear = cNonzero;
        for (int col = col0; col < col1; col += L) {
            ShortVector acc = zeros;
            for (int i = 0; i < present; i++) {
                ShortVector bits = ShortVector.fromMemorySegment(S, src, (rowAt[i] + col) * 2, LE);
                ShortVector mag = bits.and((short) 0x7FFF);
                VectorMask<Short> big = mag.compare(VectorOperators.GT, one);
                ShortVector sgn = bits.lanewise(VectorOperators.ASHR, 15).or((short) 1);
                cNonzero = cNonzero.add(ones, big);
                cSum = cSum.add(sgn, big);
                cNear = cNear.add(ones, mag.sub(lo1).compare(VectorOperators.ULE, w1)
                        .or(mag.sub(lo2).compare(VectorOperators.ULE, w2)));
                acc = acc.add(sgn.lanewise(VectorOperators.LSHL, 2 * i), big);
            }
            acc.castShape(SB, 0).reinterpretAsBytes().intoMemorySegment(dst, out + col, LE);
        }
        c.fold(cNonzero, cSum, cNear);
    }


    /** Blocks per chunk of {@link #tq1}: their codes, as shorts, fill 4 KB of L1. */
    static final int TQ1_CHUNK_BLOCKS = 32;
    /** Shorts of one block's codes between the stages: two vectors of four 2-bit codes per lane. */
    private static final int TQ1_CODE_SHORTS = 64;
    /** The 20 bytes {@code qs[32..47], qh[0..3]}. */
    private static final VectorMask<Byte> TAIL_BYTES = VectorMask.fromLong(SB, (1L << 20) - 1);

    /**
     * {@code ceil(v * 256 / 243)} for {@code 0 <= v <= 242} in short lanes by multiplies and shifts:
     * {@code v + ((219 v + (v >>> 1) + 4022) >>> 12)}, all intermediate values below 65536 (logical shifts
     * read the lanes unsigned). Equal to {@link Tq1Layout#scaleToByte} for all 243 values (the tests check
     * each one).
     */
    static ShortVector tq1Encode(ShortVector v) {
        return v.add(v.mul((short) 219).add(v.lanewise(VectorOperators.LSHR, 1)).add((short) 4022)
                .lanewise(VectorOperators.LSHR, 12));
    }

    /** Lanes {@code [from, to)} = {@code value}, the others 0. */
    private static ShortVector lanes(int from, int to, int value) {
        short[] a = new short[L];
        for (int i = from; i < Math.min(to, L); i++) {
            a[i] = (short) value;
        }
        return ShortVector.fromArray(S, a, 0);
    }

    // Stage 2's per-lane weights (see tq1Bytes): lanes m < 16 and 16 + m of the tail's digit sums,
    // the qh digits' weights in lanes 16..31, and the lane rotations that add them up.
    private static final ShortVector TAIL_W0 = lanes(0, 16, 81).add(lanes(16, 32, 27));
    private static final ShortVector TAIL_W1 = lanes(0, 16, 315).add(lanes(16, 32, 105));
    private static final ShortVector TAIL_W2 = lanes(0, 16, 35).add(lanes(16, 32, 12));
    private static final ShortVector QH_W = lanes(16, 20, 81).add(lanes(20, 24, 27)).add(lanes(24, 28, 9))
            .add(lanes(28, 32, 3));
    private static final VectorMask<Short> UPPER = lanes(16, 32, 1).compare(VectorOperators.NE, (short) 0);
    private static final VectorShuffle<Short> ROTATE_4 = VectorShuffle.iota(S, 4, 1, true);
    private static final VectorShuffle<Short> ROTATE_8 = VectorShuffle.iota(S, 8, 1, true);
    private static final VectorShuffle<Short> ROTATE_16 = VectorShuffle.iota(S, 16, 1, true);

    /**
     * TQ1_0 ({@link #TQ1_FUSED} only): {@code blocks} 256-element blocks, contiguous from element 0 of
     * {@code src}, each to 54 bytes of {@code dst} (FORMATS.md §1.4, {@link Tq1Layout}). In two stages per chunk
     * of {@value #TQ1_CHUNK_BLOCKS} blocks: {@link #tq1Codes} turns the weights into TQ2_0's 2-bit codes (four
     * per short lane, as {@link #tq2Chunk} does) in a small buffer that stays in L1 and counts them;
     * {@link #tq1Bytes} makes the base-3 bytes from those codes by multiplies and shifts; then the blocks'
     * {@code d}. (The earlier trits-based kernel was measured 3x slower as one loop: it exceeded what the JIT
     * inlines, and the vectors of the calls it left out were allocated as objects. One loop of these two stages
     * has not been tried.)
     */
    static void tq1(MemorySegment src, long blocks, AbsmeanKernels.Thresholds th, TqScales scales,
            MemorySegment dst, long[] counts) {
        if (!TQ1_FUSED) {
            throw new IllegalStateException("the fused TQ1_0 kernel needs 32 short lanes, this machine has " + L);
        }
        Counts c = new Counts(th);
        short[] codes = new short[TQ1_CHUNK_BLOCKS * TQ1_CODE_SHORTS];
        boolean[] any = new boolean[TQ1_CHUNK_BLOCKS];
        for (long b0 = 0; b0 < blocks; b0 += TQ1_CHUNK_BLOCKS) {
            int nb = (int) Math.min(TQ1_CHUNK_BLOCKS, blocks - b0);
            tq1Codes(src, b0, nb, c, codes, any);
            tq1Bytes(codes, nb, dst, b0 * Tq1Layout.BLOCK_BYTES);
            for (int k = 0; k < nb; k++) {
                dst.set(FP16, (b0 + k) * Tq1Layout.BLOCK_BYTES + Tq1Layout.D_OFFSET, scales.d((int) (b0 + k), any[k]));
            }
        }
        c.addTo(counts);
    }

    /**
     * The codes of blocks {@code [b0, b0 + nb)} of {@code src}, counted: block k's shorts {@code 64k + 32h + m}
     * hold in bits {@code 2l+1:2l} the code of element {@code 128h + 32l + m}; {@code any[k]}: whether block k
     * has a nonzero trit.
     */
    private static void tq1Codes(MemorySegment src, long b0, int nb, Counts c, short[] codes, boolean[] any) {
        short one = c.one;
        short lo1 = c.lo1;
        short w1 = c.width1;
        short lo2 = c.lo2;
        short w2 = c.width2;
        ShortVector ones = ShortVector.broadcast(S, (short) 1);
        ShortVector zeros = ShortVector.broadcast(S, (short) 0x55);
        ShortVector cNonzero = ShortVector.zero(S);
        ShortVector cSum = cNonzero;
        ShortVector cNear = cNonzero;
        for (int k = 0; k < nb; k++) {
            long e = (b0 + k) * TernaryTensor.TQ_BLOCK;
            VectorMask<Short> nonzero = S.maskAll(false);
            for (int h = 0; h < 2; h++) {
                ShortVector acc = zeros;
                for (int l = 0; l < 4; l++) {
                    ShortVector bits = ShortVector.fromMemorySegment(S, src, (e + 128 * h + 32 * l) * 2, LE);
                    ShortVector mag = bits.and((short) 0x7FFF);
                    VectorMask<Short> big = mag.compare(VectorOperators.GT, one);
                    ShortVector sgn = bits.lanewise(VectorOperators.ASHR, 15).or((short) 1);
                    cNonzero = cNonzero.add(ones, big);
                    cSum = cSum.add(sgn, big);
                    cNear = cNear.add(ones, mag.sub(lo1).compare(VectorOperators.ULE, w1)
                            .or(mag.sub(lo2).compare(VectorOperators.ULE, w2)));
                    nonzero = nonzero.or(big);
                    acc = acc.add(sgn.lanewise(VectorOperators.LSHL, 2 * l), big);
                }
                acc.intoArray(codes, k * TQ1_CODE_SHORTS + 32 * h);
            }
            any[k] = nonzero.anyTrue();
        }
        c.fold(cNonzero, cSum, cNear);
    }

    /**
     * The 52 bytes {@code qs, qh} of each of {@code blocks} blocks from their codes ({@link #tq1Codes}), to
     * {@code dst} from byte {@code out}. A byte's value is the base-3 number of its five codes (code = trit + 1,
     * so the 121 of FORMATS.md is built in), most significant first, then scaled by {@link #tq1Encode}.
     *
     * <p>The digit sum of a lane holding codes {@code c_l} in bits {@code 2l+1:2l} comes without unpacking: with
     * {@code b_l = b >>> 2l}, {@code c_l = b_l - 4 b_(l+1)}, so {@code sum w_l c_l = w_0 b_0 + sum (w_l - 4 w_(l-1))
     * b_l}. {@code qs[m]} (m < 32) has codes of elements m, m+32, m+64, m+96 in {@code c0}'s lane m (weights 81,
     * 27, 9, 3: {@code 81 b - 297 b_1 - 99 b_2 - 33 b_3}) and of m+128 in {@code c1}'s low bits. {@code qs[32+m]}
     * (m < 16) takes elements 160+m, 192+m, 224+m from bits 7:2 of {@code c1}'s lane m (weights 81, 9, 1) and
     * 176+m, 208+m from lane 16+m (27, 3): one per-lane weighted sum, then lanes 16+m rotated onto m. {@code qh[j]}
     * takes elements 240+j, 244+j, 248+j, 252+j from bits 7:6 of lanes 16+j, 20+j, 24+j, 28+j (81, 27, 9, 3; its
     * fifth digit is 0): weighted, then summed by two rotations. Both go out as one masked 20-byte store.
     */
    private static void tq1Bytes(short[] codes, int blocks, MemorySegment dst, long out) {
        for (int k = 0; k < blocks; k++) {
            ShortVector c0 = ShortVector.fromArray(S, codes, k * TQ1_CODE_SHORTS);
            ShortVector c1 = ShortVector.fromArray(S, codes, k * TQ1_CODE_SHORTS + 32);
            ShortVector head = c0.mul((short) 81).sub(c0.lanewise(VectorOperators.LSHR, 2).mul((short) 297))
                    .sub(c0.lanewise(VectorOperators.LSHR, 4).mul((short) 99))
                    .sub(c0.lanewise(VectorOperators.LSHR, 6).mul((short) 33))
                    .add(c1.and((short) 3));
            ShortVector top = c1.lanewise(VectorOperators.LSHR, 6);
            ShortVector tail = c1.lanewise(VectorOperators.LSHR, 2).mul(TAIL_W0)
                    .sub(c1.lanewise(VectorOperators.LSHR, 4).mul(TAIL_W1))
                    .sub(top.mul(TAIL_W2));
            ShortVector qh = top.mul(QH_W);
            qh = qh.add(qh.rearrange(ROTATE_8));
            qh = qh.add(qh.rearrange(ROTATE_4));
            tail = tail.add(tail.rearrange(ROTATE_16)).blend(qh, UPPER);
            long o = out + (long) k * Tq1Layout.BLOCK_BYTES;
            tq1Encode(head).castShape(SB, 0).reinterpretAsBytes().intoMemorySegment(dst, o, LE);
            tq1Encode(tail).castShape(SB, 0).reinterpretAsBytes().intoMemorySegment(dst, o + 32, LE, TAIL_BYTES);
        }
    }
}
