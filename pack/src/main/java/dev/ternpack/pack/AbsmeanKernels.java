package dev.ternpack.pack;

import dev.ternpack.formats.DType;
import dev.ternpack.formats.FloatDecoding;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two passes of absmean ternarization, each as a scalar reference and a Vector API fast path (for BF16 and
 * F32 input; other dtypes take the reference) that must give the same bits.
 *
 * <p><b>Summation order.</b> A double sum depends on its order, so the order is part of the definition:
 * element {@code i} is added to partial sum {@code i % 32} (a constant, not the machine's vector width), in
 * increasing {@code i}, and the 32 partial sums are then added in lane order. The fast path ({@link LaneSums})
 * adds exactly the same doubles in exactly the same sequence per partial sum, so both paths, on any machine,
 * round identically. (Each partial sum's rounding error is far below a float ulp of the mean; the order is fixed
 * so that the result is reproducible, not because one order is more right.)
 *
 * <p><b>Rounding.</b> The reference computes {@code clamp(rint(w * s), -1, 1)} and the near-threshold test on
 * {@code |w * s|} in float, element by element. The fast path never multiplies: it compares the raw bits of
 * each BF16 or F32 weight with a few thresholds ({@link Thresholds}) that are, by construction, exactly where
 * that float arithmetic changes its answer.
 */
final class AbsmeanKernels {
    /** Partial sums of the mean pass: 32, the bf16 elements of one 512-bit vector; a constant of the definition. */
    static final int LANES = 32;

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

    /** Partial sums of |w| over elements {@code [0, n)}, element i into lane {@code i % 32}. */
    static double[] laneSumsReference(MemorySegment seg, DType type, long n) {
        double[] lanes = new double[LANES];
        for (long i = 0; i < n; i++) {
            lanes[(int) (i % LANES)] += Math.abs((double) FloatDecoding.get(seg, type, i));
        }
        return lanes;
    }

    /** The fast mean pass: the same partial sums as {@link #laneSumsReference} ({@link LaneSums}). */
    static double[] laneSumsFast(MemorySegment seg, DType type, long n) {
        return type == DType.BF16 || type == DType.F32 ? LaneSums.of(seg, type, n) : laneSumsReference(seg, type, n);
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
        long[] sums = new long[3];
        for (int k = 0; k < end; k += QUANTIZE_CHUNK) {
            quantizeBf16Chunk(seg, from + k, Math.min(QUANTIZE_CHUNK, end - k), th, out, off + k, sums);
        }
        long minus = (sums[0] - sums[1]) / 2; // nonzero trits and their sum give the -1s
        counts[MINUS] += minus;
        counts[PLUS] += sums[0] - minus;
        counts[NEAR_COUNT] += sums[2];
    }

    /** Elements per call of the quantize kernel: its short counters take at most 16384 / 16 per lane. */
    private static final int QUANTIZE_CHUNK = 1 << 14;
    private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, S.vectorShape());

    /**
     * {@code count} (a multiple of the vector length) trits; counts nonzero trits, their sum and near-threshold
     * weights per lane with masked adds (cheaper than counting each mask), added into {@code sums} at the end.
     */
    private static void quantizeBf16Chunk(MemorySegment seg, long from, int count, Thresholds th, byte[] out, int off,
            long[] sums) {
        short one = (short) th.one();
        // lo <= mag <= hi as one unsigned compare of mag - lo (an empty range is [nan, nan], see Thresholds)
        short lo1 = (short) th.nearLo1();
        short width1 = (short) (th.nearHi1() - th.nearLo1());
        short lo2 = (short) th.nearLo2();
        short width2 = (short) (th.nearHi2() - th.nearLo2());
        ShortVector zero = ShortVector.zero(S);
        ShortVector ones = ShortVector.broadcast(S, (short) 1);
        ShortVector cNonzero = zero;
        ShortVector cSum = zero;
        ShortVector cNear = zero;
        for (int k = 0; k < count; k += S.length()) {
            ShortVector bits = ShortVector.fromMemorySegment(S, seg, (from + k) * 2, LE);
            ShortVector mag = bits.and((short) 0x7FFF);
            VectorMask<Short> big = mag.compare(VectorOperators.GT, one);
            // sign | 1 is -1 or +1; where big it is the trit
            ShortVector sgn = bits.lanewise(VectorOperators.ASHR, 15).or((short) 1);
            zero.blend(sgn, big).castShape(SB, 0).reinterpretAsBytes().intoArray(out, off + k);
            cNonzero = cNonzero.add(ones, big);
            cSum = cSum.add(sgn, big);
            cNear = cNear.add(ones, mag.sub(lo1).compare(VectorOperators.ULE, width1)
                    .or(mag.sub(lo2).compare(VectorOperators.ULE, width2)));
        }
        sums[0] += widenedSum(cNonzero);
        sums[1] += widenedSum(cSum);
        sums[2] += widenedSum(cNear);
    }

    private static long widenedSum(ShortVector v) {
        return ((IntVector) v.convertShape(VectorOperators.S2I, SI, 0)).reduceLanes(VectorOperators.ADD)
                + ((IntVector) v.convertShape(VectorOperators.S2I, SI, 1)).reduceLanes(VectorOperators.ADD);
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
