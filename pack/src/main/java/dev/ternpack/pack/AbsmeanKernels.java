package dev.ternpack.pack;

import dev.ternpack.formats.DType;
import dev.ternpack.formats.FloatDecoding;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two passes of absmean ternarization, each as a scalar reference and a Vector API fast path (for BF16 and
 * F32 input; other dtypes take the reference) that must give the same bits.
 *
 * <p><b>Summation order.</b> A double sum depends on its order, so the order is part of the definition:
 * element {@code i} is added to partial sum {@code i % 16} (16 lanes, a constant, not the machine's vector
 * width), in increasing {@code i}, and the 16 partial sums are then added in lane order. The fast path keeps
 * the 16 lanes in four 4-double vectors and adds exactly the same doubles in exactly the same sequence per
 * lane, so both paths, on any machine, round identically. (Each lane's rounding error is far below a float ulp
 * of the mean; the order is fixed so that the result is reproducible, not because one order is more right.)
 * The fast path does not convert through float: a BF16 or F32 magnitude {@code m} that is a normal number is
 * the double whose bits are {@code (m << 45 or 29) + (896 << 52)} (same significand, exponent rebiased from 127
 * to 1023), which is exact. Each chunk of 4096 elements is first checked for zeros, subnormals, infinities and
 * NaNs; a chunk holding one is added element by element instead, into the same partial sums in the same order.
 *
 * <p><b>Rounding.</b> The reference computes {@code clamp(rint(w * s), -1, 1)} and the near-threshold test on
 * {@code |w * s|} in float, element by element. The fast path never multiplies: it compares the raw bits of
 * each BF16 or F32 weight with a few thresholds ({@link Thresholds}) that are, by construction, exactly where
 * that float arithmetic changes its answer.
 */
final class AbsmeanKernels {
    static final int LANES = 16;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    // |q| within 1/256 of 0.5 or of 1.5; all four bounds are exact floats, so the test is exact.
    private static final float NEAR = 1f / 256;
    private static final float LO_HALF = 0.5f - NEAR;
    private static final float HI_HALF = 0.5f + NEAR;
    private static final float LO_THREE_HALVES = 1.5f - NEAR;
    private static final float HI_THREE_HALVES = 1.5f + NEAR;

    private AbsmeanKernels() {
    }

    /** Counters a quantize pass adds to: {@code [MINUS]}, {@code [PLUS]}, {@code [NEAR]}. */
    static final int MINUS = 0;
    static final int PLUS = 1;
    static final int NEAR_COUNT = 2;

    static double combine(double[] lanes) {
        double sum = 0;
        for (double lane : lanes) {
            sum += lane;
        }
        return sum;
    }

    /** Partial sums of |w| over elements {@code [0, n)}, element i into lane {@code i % 16}. */
    static double[] laneSumsReference(MemorySegment seg, DType type, long n) {
        double[] lanes = new double[LANES];
        for (long i = 0; i < n; i++) {
            lanes[(int) (i % LANES)] += Math.abs((double) FloatDecoding.get(seg, type, i));
        }
        return lanes;
    }

    private static final VectorSpecies<Long> L256 = LongVector.SPECIES_256;
    private static final VectorSpecies<Double> D256 = DoubleVector.SPECIES_256;
    /** float exponent bias 127 to double bias 1023, in place in the double's exponent field. */
    private static final long REBIAS = 896L << 52;
    /** BF16 magnitude bits moved to the top of a double's significand: 7 significand bits, 52 - 7 = 45. */
    private static final long BF16_MAGNITUDE = 0x7FFFL << 45;
    /** F32 magnitude bits likewise: 23 significand bits, 52 - 23 = 29. */
    private static final long F32_MAGNITUDE = 0x7FFFFFFFL << 29;

    /** Elements per chunk of the fast mean pass: checked for unusual values, then summed from L1. */
    private static final int SUM_CHUNK = 4096;

    static double[] laneSumsFast(MemorySegment seg, DType type, long n) {
        if (type != DType.BF16 && type != DType.F32) {
            return laneSumsReference(seg, type, n);
        }
        boolean bf16 = type == DType.BF16;
        // Partial sums in the fast loop's order: accumulator a (0..3), lane j (0..3) at 4a + j.
        double[] acc = new double[LANES];
        long end = n - n % LANES;
        for (long from = 0; from < end; from += SUM_CHUNK) {
            long to = Math.min(end, from + SUM_CHUNK);
            if (bf16 ? allNormalBf16(seg, from, to) : allNormalF32(seg, from, to)) {
                if (bf16) {
                    sumBf16(seg, from, to, acc);
                } else {
                    sumF32(seg, from, to, acc);
                }
            } else {
                for (long i = from; i < to; i++) {
                    acc[slot(bf16, (int) (i % LANES))] += Math.abs((double) FloatDecoding.get(seg, type, i));
                }
            }
        }
        double[] lanes = new double[LANES];
        for (int l = 0; l < LANES; l++) {
            lanes[l] = acc[slot(bf16, l)];
        }
        for (long i = end; i < n; i++) {
            lanes[(int) (i % LANES)] += Math.abs((double) FloatDecoding.get(seg, type, i));
        }
        return lanes;
    }

    /**
     * Where partial sum {@code l} (= element index mod 16) lives in the fast loop's accumulators. BF16: one
     * 32-byte load holds elements 4j + k in the 16-bit field k of long j, summed by accumulator k. F32: load h
     * (0, 1) holds elements 8h + 2j + k in the 32-bit half k of long j, accumulator 2h + k.
     */
    private static int slot(boolean bf16, int l) {
        if (bf16) {
            return 4 * (l % 4) + l / 4;
        }
        int h = l / 8;
        int j = l % 8 / 2;
        int k = l % 2;
        return 4 * (2 * h + k) + j;
    }

    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;

    /**
     * True when every element of {@code [from, to)} is a normal number (exponent field neither 0 nor all ones):
     * adding 1 to the exponent field maps exactly those two exponents to 0 and 1, whose upper seven bits are 0.
     */
    static boolean allNormalBf16(MemorySegment seg, long from, long to) {
        ShortVector min = ShortVector.broadcast(S256, (short) 0x7F00);
        for (long i = from; i < to; i += S256.length()) {
            ShortVector bits = ShortVector.fromMemorySegment(S256, seg, i * 2, LE);
            min = min.min(bits.add((short) 0x0080).and((short) 0x7F00));
        }
        return min.reduceLanes(VectorOperators.MIN) != 0;
    }

    private static boolean allNormalF32(MemorySegment seg, long from, long to) {
        IntVector min = IntVector.broadcast(I256, 0x7F000000);
        for (long i = from; i < to; i += I256.length()) {
            IntVector bits = IntVector.fromMemorySegment(I256, seg, i * 4, LE);
            min = min.min(bits.add(0x00800000).and(0x7F000000));
        }
        return min.reduceLanes(VectorOperators.MIN) != 0;
    }

    /** A normal magnitude aligned with a double's significand, as that double: rebias the exponent. */
    private static DoubleVector asDouble(LongVector magnitude) {
        return magnitude.add(REBIAS).reinterpretAsDoubles();
    }

    // Four accumulators and at most two loads per step: with more live vectors C2 stops keeping them in
    // registers and the loop runs five times slower.

    /** Sums 16 normal BF16 per step; see {@link #slot}. */
    static void sumBf16(MemorySegment seg, long from, long to, double[] acc) {
        DoubleVector a0 = DoubleVector.fromArray(D256, acc, 0);
        DoubleVector a1 = DoubleVector.fromArray(D256, acc, 4);
        DoubleVector a2 = DoubleVector.fromArray(D256, acc, 8);
        DoubleVector a3 = DoubleVector.fromArray(D256, acc, 12);
        for (long i = from; i < to; i += LANES) {
            LongVector x = LongVector.fromMemorySegment(L256, seg, i * 2, LE);
            a0 = a0.add(asDouble(x.lanewise(VectorOperators.LSHL, 45).and(BF16_MAGNITUDE)));
            a1 = a1.add(asDouble(x.lanewise(VectorOperators.LSHL, 29).and(BF16_MAGNITUDE)));
            a2 = a2.add(asDouble(x.lanewise(VectorOperators.LSHL, 13).and(BF16_MAGNITUDE)));
            a3 = a3.add(asDouble(x.lanewise(VectorOperators.LSHR, 3).and(BF16_MAGNITUDE)));
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, 4);
        a2.intoArray(acc, 8);
        a3.intoArray(acc, 12);
    }

    /** Sums 16 normal F32 per step; see {@link #slot}. */
    static void sumF32(MemorySegment seg, long from, long to, double[] acc) {
        DoubleVector a0 = DoubleVector.fromArray(D256, acc, 0);
        DoubleVector a1 = DoubleVector.fromArray(D256, acc, 4);
        DoubleVector b0 = DoubleVector.fromArray(D256, acc, 8);
        DoubleVector b1 = DoubleVector.fromArray(D256, acc, 12);
        for (long i = from; i < to; i += LANES) {
            LongVector x = LongVector.fromMemorySegment(L256, seg, i * 4, LE);
            LongVector y = LongVector.fromMemorySegment(L256, seg, i * 4 + 32, LE);
            a0 = a0.add(asDouble(x.lanewise(VectorOperators.LSHL, 29).and(F32_MAGNITUDE)));
            a1 = a1.add(asDouble(x.lanewise(VectorOperators.LSHR, 3).and(F32_MAGNITUDE)));
            b0 = b0.add(asDouble(y.lanewise(VectorOperators.LSHL, 29).and(F32_MAGNITUDE)));
            b1 = b1.add(asDouble(y.lanewise(VectorOperators.LSHR, 3).and(F32_MAGNITUDE)));
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, 4);
        b0.intoArray(acc, 8);
        b1.intoArray(acc, 12);
    }

    /**
     * Trits of elements {@code [from, from + count)} into {@code out[off..]}: {@code clamp(rint(w * inverse), -1, 1)}.
     * Adds to {@code counts}.
     */
    static void quantizeReference(MemorySegment seg, DType type, long from, int count, float inverse, byte[] out,
            int off, long[] counts) {
        for (int k = 0; k < count; k++) {
            float q = FloatDecoding.get(seg, type, from + k) * inverse;
            int trit = (int) Math.max(-1, Math.min(1, Math.rint(q)));
            out[off + k] = (byte) trit;
            if (trit < 0) {
                counts[MINUS]++;
            } else if (trit > 0) {
                counts[PLUS]++;
            }
            float a = Math.abs(q);
            if (a >= LO_HALF && a <= HI_HALF || a >= LO_THREE_HALVES && a <= HI_THREE_HALVES) {
                counts[NEAR_COUNT]++;
            }
        }
    }

    /**
     * Thresholds on the raw magnitude bits of the input dtype that decide exactly what the float arithmetic
     * decides. For fixed {@code s > 0}, {@code fl(|w| * s)} is non-decreasing in {@code |w|} (the exact product
     * grows with |w| and round-to-nearest is monotone), and for a non-negative float the order of the values is
     * the order of the bit patterns. So {@code fl(|w| * s) > 0.5} holds exactly for the magnitudes above the
     * largest one for which it fails, and likewise for the near-threshold bounds. Each threshold is found by
     * binary search over the bit patterns, evaluating the same float product the reference evaluates.
     *
     * @param one     largest magnitude pattern with {@code fl(m * s) <= 0.5}: the trit is nonzero iff m > one
     * @param nearLo1 smallest pattern with {@code fl(m * s) >= 0.5 - 1/256}
     * @param nearHi1 largest pattern with {@code fl(m * s) <= 0.5 + 1/256}
     * @param nearLo2 smallest pattern with {@code fl(m * s) >= 1.5 - 1/256}
     * @param nearHi2 largest pattern with {@code fl(m * s) <= 1.5 + 1/256}
     */
    record Thresholds(int one, int nearLo1, int nearHi1, int nearLo2, int nearHi2) {

        static Thresholds of(DType type, float inverse) {
            int shift = type == DType.BF16 ? 16 : 0;
            int maxFinite = 0x7F7FFFFF >>> shift; // largest finite magnitude pattern
            int nan = 0x7FFFFFFF >>> shift;      // a pattern no finite magnitude has
            int lo1 = lastWithProductAtMost(Math.nextDown(LO_HALF), inverse, shift, maxFinite) + 1;
            int hi1 = lastWithProductAtMost(HI_HALF, inverse, shift, maxFinite);
            int lo2 = lastWithProductAtMost(Math.nextDown(LO_THREE_HALVES), inverse, shift, maxFinite) + 1;
            int hi2 = lastWithProductAtMost(HI_THREE_HALVES, inverse, shift, maxFinite);
            // An empty range (no finite magnitude lands in it) becomes [nan, nan], so that the unsigned
            // "m - lo <= hi - lo" test cannot wrap around.
            return new Thresholds(lastWithProductAtMost(0.5f, inverse, shift, maxFinite),
                    hi1 < lo1 ? nan : lo1, hi1 < lo1 ? nan : hi1, hi2 < lo2 ? nan : lo2, hi2 < lo2 ? nan : hi2);
        }

        /** Largest pattern p in [-1, maxFinite] with fl(value(p) * s) <= bound (-1 when even 0 fails). */
        private static int lastWithProductAtMost(float bound, float inverse, int shift, int maxFinite) {
            int lo = -1; // invariant: product(lo) <= bound (or lo = -1), product(hi + 1) > bound (or hi = maxFinite)
            int hi = maxFinite;
            while (lo < hi) {
                int mid = (int) (((long) lo + hi + 1) >>> 1);
                if (Float.intBitsToFloat(mid << shift) * inverse <= bound) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            return lo;
        }
    }

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> SB = VectorSpecies.of(byte.class,
            jdk.incubator.vector.VectorShape.forBitSize(Math.max(64, S.vectorBitSize() / 2)));
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> IB = VectorSpecies.of(byte.class,
            jdk.incubator.vector.VectorShape.forBitSize(Math.max(64, I.vectorBitSize() / 4)));

    /**
     * The fast quantize pass: integer compares of the raw bits against {@link Thresholds}, so no float is
     * formed; lane order does not matter here, so the machine's widest vectors are used.
     */
    static void quantizeFast(MemorySegment seg, DType type, long from, int count, float inverse, byte[] out,
            int off, long[] counts) {
        if (type == DType.BF16) {
            quantizeBf16(seg, from, count, Thresholds.of(type, inverse), out, off, counts);
            quantizeReference(seg, type, from + count - count % S.length(), count % S.length(), inverse, out,
                    off + count - count % S.length(), counts);
        } else if (type == DType.F32) {
            quantizeF32(seg, from, count, Thresholds.of(type, inverse), out, off, counts);
            quantizeReference(seg, type, from + count - count % I.length(), count % I.length(), inverse, out,
                    off + count - count % I.length(), counts);
        } else {
            quantizeReference(seg, type, from, count, inverse, out, off, counts);
        }
    }

    private static void quantizeBf16(MemorySegment seg, long from, int count, Thresholds th, byte[] out, int off,
            long[] counts) {
        int end = count - count % S.length();
        short one = (short) th.one();
        short lo1 = (short) th.nearLo1();
        short width1 = (short) (th.nearHi1() - th.nearLo1());
        short lo2 = (short) th.nearLo2();
        short width2 = (short) (th.nearHi2() - th.nearLo2());
        long nonzero = 0;
        long minus = 0;
        long near = 0;
        for (int k = 0; k < end; k += S.length()) {
            ShortVector bits = ShortVector.fromMemorySegment(S, seg, (from + k) * 2, LE);
            ShortVector mag = bits.and((short) 0x7FFF);
            VectorMask<Short> big = mag.compare(VectorOperators.GT, one);
            // sign | 1 is -1 or +1; masked by big it is the trit
            ShortVector trit = bits.lanewise(VectorOperators.ASHR, 15).or((short) 1).and((ShortVector) big.toVector());
            ((ByteVector) trit.castShape(SB, 0)).intoArray(out, off + k);
            // lo <= mag <= hi as one unsigned compare of mag - lo (Thresholds never has hi < lo)
            VectorMask<Short> nearMask = mag.sub(lo1).compare(VectorOperators.ULE, width1)
                    .or(mag.sub(lo2).compare(VectorOperators.ULE, width2));
            nonzero += big.trueCount();
            minus += big.and(bits.compare(VectorOperators.LT, (short) 0)).trueCount();
            near += nearMask.trueCount();
        }
        counts[MINUS] += minus;
        counts[PLUS] += nonzero - minus;
        counts[NEAR_COUNT] += near;
    }

    private static void quantizeF32(MemorySegment seg, long from, int count, Thresholds th, byte[] out, int off,
            long[] counts) {
        int end = count - count % I.length();
        IntVector zero = IntVector.zero(I);
        long nonzero = 0;
        long minus = 0;
        long near = 0;
        for (int k = 0; k < end; k += I.length()) {
            IntVector bits = IntVector.fromMemorySegment(I, seg, (from + k) * 4, LE);
            IntVector mag = bits.and(0x7FFFFFFF);
            VectorMask<Integer> big = mag.compare(VectorOperators.GT, th.one());
            VectorMask<Integer> neg = big.and(bits.compare(VectorOperators.LT, 0));
            IntVector trit = zero.blend(1, big).blend(-1, neg);
            ((ByteVector) trit.convertShape(VectorOperators.I2B, IB, 0)).intoArray(out, off + k);
            VectorMask<Integer> nearMask = mag.compare(VectorOperators.GE, th.nearLo1())
                    .and(mag.compare(VectorOperators.LE, th.nearHi1()))
                    .or(mag.compare(VectorOperators.GE, th.nearLo2()).and(mag.compare(VectorOperators.LE, th.nearHi2())));
            nonzero += big.trueCount();
            minus += neg.trueCount();
            near += nearMask.trueCount();
        }
        counts[MINUS] += minus;
        counts[PLUS] += nonzero - minus;
        counts[NEAR_COUNT] += near;
    }
}
