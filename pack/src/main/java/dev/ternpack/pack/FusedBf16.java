package dev.ternpack.pack;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
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
 * <p>TQ1_0 ({@link #tq1}) is here for 32-lane short vectors (AVX-512) only: its {@code qs[32..47]} and
 * {@code qh} bytes are gathered from the last 96 elements of a block by per-lane weights laid out for 32
 * lanes. With fewer lanes ({@link #TQ1_FUSED} false) BF16 goes to TQ1_0 through the fast quantize pass and
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


    /** Blocks per chunk of {@link #tq1}: its trits, as shorts, fill 16 KB (half of L1). */
    static final int TQ1_CHUNK_BLOCKS = 32;
    /** Trits past a chunk's last block that the overlapping loads of its {@code qh} read (and ignore). */
    private static final int TQ1_SLACK = 48;
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

    // The weights of the eight loads of a block's last 96 trits (see tq1Bytes), and the offsets of its bytes.
    private static final ShortVector W160 = lanes(0, 16, 81);
    private static final ShortVector W176 = lanes(0, 16, 27);
    private static final ShortVector W192 = lanes(0, 16, 9);
    private static final ShortVector W208 = lanes(0, 16, 3);
    private static final ShortVector W224 = lanes(0, 16, 1).add(lanes(16, 20, 81));
    private static final ShortVector W228 = lanes(16, 20, 27);
    private static final ShortVector W232 = lanes(16, 20, 9);
    private static final ShortVector W236 = lanes(16, 20, 3);
    private static final ShortVector TAIL_OFFSET = lanes(0, 16, 121).add(lanes(16, 20, 120));

    /**
     * TQ1_0 ({@link #TQ1_FUSED} only): {@code blocks} 256-element blocks, contiguous from element 0 of
     * {@code src}, each to 54 bytes of {@code dst} (FORMATS.md §1.4, {@link Tq1Layout}). In two stages per chunk
     * of {@value #TQ1_CHUNK_BLOCKS} blocks: {@link #tq1Trits} turns the weights into trits in a small buffer
     * that stays in L1 and counts them, {@link #tq1Bytes} makes the base-3 bytes from those trits; then the
     * blocks' {@code d}. (One loop doing both exceeds what the JIT inlines, and the vectors of the calls it then
     * leaves out are allocated as objects: 3x slower.)
     */
    static void tq1(MemorySegment src, long blocks, AbsmeanKernels.Thresholds th, TqScales scales,
            MemorySegment dst, long[] counts) {
        if (!TQ1_FUSED) {
            throw new IllegalStateException("the fused TQ1_0 kernel needs 32 short lanes, this machine has " + L);
        }
        Counts c = new Counts(th);
        short[] trits = new short[TQ1_CHUNK_BLOCKS * TernaryTensor.TQ_BLOCK + TQ1_SLACK];
        boolean[] any = new boolean[TQ1_CHUNK_BLOCKS];
        for (long b0 = 0; b0 < blocks; b0 += TQ1_CHUNK_BLOCKS) {
            int nb = (int) Math.min(TQ1_CHUNK_BLOCKS, blocks - b0);
            tq1Trits(src, b0 * TernaryTensor.TQ_BLOCK * 2, nb * TernaryTensor.TQ_BLOCK, c, trits);
            tq1Bytes(trits, nb, dst, b0 * Tq1Layout.BLOCK_BYTES, any);
            for (int k = 0; k < nb; k++) {
                dst.set(FP16, (b0 + k) * Tq1Layout.BLOCK_BYTES + Tq1Layout.D_OFFSET, scales.d((int) (b0 + k), any[k]));
            }
        }
        c.addTo(counts);
    }

    /** The trits of the {@code n} weights at byte {@code from} of {@code src} into {@code trits[0..n)}, counted. */
    private static void tq1Trits(MemorySegment src, long from, int n, Counts c, short[] trits) {
        short one = c.one;
        short lo1 = c.lo1;
        short w1 = c.width1;
        short lo2 = c.lo2;
        short w2 = c.width2;
        ShortVector ones = ShortVector.broadcast(S, (short) 1);
        ShortVector zero = ShortVector.zero(S);
        ShortVector cNonzero = zero;
        ShortVector cSum = zero;
        ShortVector cNear = zero;
        // Block by block, eight vectors each: one flat loop over the chunk ran at 2/3 of this speed.
        for (int x = 0; x < n; x += TernaryTensor.TQ_BLOCK) {
            for (int j = 0; j < TernaryTensor.TQ_BLOCK; j += L) {
                int i = x + j;
                ShortVector bits = ShortVector.fromMemorySegment(S, src, from + 2L * i, LE);
                ShortVector mag = bits.and((short) 0x7FFF);
                VectorMask<Short> big = mag.compare(VectorOperators.GT, one);
                ShortVector sgn = bits.lanewise(VectorOperators.ASHR, 15).or((short) 1);
                cNonzero = cNonzero.add(ones, big);
                cSum = cSum.add(sgn, big);
                cNear = cNear.add(ones, mag.sub(lo1).compare(VectorOperators.ULE, w1)
                        .or(mag.sub(lo2).compare(VectorOperators.ULE, w2)));
                zero.blend(sgn, big).intoArray(trits, i);
            }
        }
        c.fold(cNonzero, cSum, cNear);
    }

    /**
     * The 52 bytes {@code qs, qh} of each of {@code blocks} blocks of trits, to {@code dst} from byte {@code out};
     * {@code any[k]}: whether block k has a nonzero trit. {@code qs[m]} (m < 32) is {@code 121 + sum 3^(4-n)
     * t[m + 32n]}, by Horner over five loads. The last 96 trits go into one vector of eight loads, each weighted
     * per lane: lanes m < 16 take {@code qs[32 + m] = 121 + 81 t[160+m] + 27 t[176+m] + 9 t[192+m] + 3 t[208+m]
     * + t[224+m]}, lanes 16 + j (j < 4) {@code qh[j] = 120 + 81 t[240+j] + 27 t[244+j] + 9 t[248+j] + 3 t[252+j]}
     * (loads at 224, 228, 232, 236, whose lane 16 + j holds t[240+j], t[244+j], ...); the weights are 0 in the
     * other lanes, so what the overlapping loads read there counts for nothing. Both go out as one masked 20-byte
     * store. A byte's value v is scaled by {@link #tq1Encode}; an all-zero block has every v at its offset.
     */
    private static void tq1Bytes(short[] trits, int blocks, MemorySegment dst, long out, boolean[] any) {
        ShortVector zero = ShortVector.zero(S);
        for (int k = 0; k < blocks; k++) {
            int x = k * TernaryTensor.TQ_BLOCK;
            long o = out + (long) k * Tq1Layout.BLOCK_BYTES;
            ShortVector h = ShortVector.fromArray(S, trits, x);
            for (int n = 1; n < 5; n++) {
                h = h.mul((short) 3).add(ShortVector.fromArray(S, trits, x + 32 * n));
            }
            ShortVector v = ShortVector.fromArray(S, trits, x + 160).mul(W160)
                    .add(ShortVector.fromArray(S, trits, x + 176).mul(W176))
                    .add(ShortVector.fromArray(S, trits, x + 192).mul(W192))
                    .add(ShortVector.fromArray(S, trits, x + 208).mul(W208))
                    .add(ShortVector.fromArray(S, trits, x + 224).mul(W224))
                    .add(ShortVector.fromArray(S, trits, x + 228).mul(W228))
                    .add(ShortVector.fromArray(S, trits, x + 232).mul(W232))
                    .add(ShortVector.fromArray(S, trits, x + 236).mul(W236));
            any[k] = h.or(v).compare(VectorOperators.NE, zero).anyTrue();
            tq1Encode(h.add((short) 121)).castShape(SB, 0).reinterpretAsBytes().intoMemorySegment(dst, o, LE);
            tq1Encode(v.add(TAIL_OFFSET)).castShape(SB, 0).reinterpretAsBytes()
                    .intoMemorySegment(dst, o + 32, LE, TAIL_BYTES);
        }
    }
}
