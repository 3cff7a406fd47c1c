package dev.ternpack.pack;

import dev.ternpack.formats.DType;
import dev.ternpack.formats.FloatDecoding;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
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
 * element {@code i} is added to partial sum {@code i % 16} (16 lanes, a constant, not the machine's vector
 * width), in increasing {@code i}, and the 16 partial sums are then added in lane order. The fast path keeps
 * lanes 0..15 in four 4-double vectors and adds exactly the same numbers in exactly the same sequence per lane,
 * so both paths, on any machine, round identically. (Each lane's error is far below a float ulp of the mean;
 * the order is fixed so that the result is reproducible, not because one order is more right.)
 *
 * <p><b>Rounding.</b> The reference computes {@code clamp(rint(w * s), -1, 1)}; the fast path computes
 * {@code (q > 0.5) - (q < -0.5)} with {@code q = w * s}, which is the same function for every finite q:
 * rint sends [-0.5, 0.5] to 0 (ties to even), (0.5, 1.5) to 1 and everything from 1.5 up to 2 or more, clamped
 * to 1; likewise below zero.
 */
final class AbsmeanKernels {
    static final int LANES = 16;

    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> S128 = ShortVector.SPECIES_128;
    private static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;
    private static final VectorSpecies<Double> D256 = DoubleVector.SPECIES_256;
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;
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

    static double[] laneSumsFast(MemorySegment seg, DType type, long n) {
        if (type != DType.BF16 && type != DType.F32) {
            return laneSumsReference(seg, type, n);
        }
        DoubleVector a0 = DoubleVector.zero(D256);
        DoubleVector a1 = a0;
        DoubleVector a2 = a0;
        DoubleVector a3 = a0;
        long end = n - n % LANES;
        if (type == DType.F32) {
            for (long i = 0; i < end; i += LANES) {
                FloatVector lo = FloatVector.fromMemorySegment(F256, seg, i * 4, LE).abs();
                FloatVector hi = FloatVector.fromMemorySegment(F256, seg, i * 4 + 32, LE).abs();
                a0 = a0.add((DoubleVector) lo.convertShape(VectorOperators.F2D, D256, 0));
                a1 = a1.add((DoubleVector) lo.convertShape(VectorOperators.F2D, D256, 1));
                a2 = a2.add((DoubleVector) hi.convertShape(VectorOperators.F2D, D256, 0));
                a3 = a3.add((DoubleVector) hi.convertShape(VectorOperators.F2D, D256, 1));
            }
        } else {
            for (long i = 0; i < end; i += LANES) {
                FloatVector lo = bf16Abs(seg, i * 2);
                FloatVector hi = bf16Abs(seg, i * 2 + 16);
                a0 = a0.add((DoubleVector) lo.convertShape(VectorOperators.F2D, D256, 0));
                a1 = a1.add((DoubleVector) lo.convertShape(VectorOperators.F2D, D256, 1));
                a2 = a2.add((DoubleVector) hi.convertShape(VectorOperators.F2D, D256, 0));
                a3 = a3.add((DoubleVector) hi.convertShape(VectorOperators.F2D, D256, 1));
            }
        }
        double[] lanes = new double[LANES];
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 4);
        a2.intoArray(lanes, 8);
        a3.intoArray(lanes, 12);
        for (long i = end; i < n; i++) {
            lanes[(int) (i % LANES)] += Math.abs((double) FloatDecoding.get(seg, type, i));
        }
        return lanes;
    }

    /** Eight bf16 at {@code byteOffset} widened to float (a bf16 is the upper half of a float), sign cleared. */
    private static FloatVector bf16Abs(MemorySegment seg, long byteOffset) {
        IntVector wide = (IntVector) ShortVector.fromMemorySegment(S128, seg, byteOffset, LE)
                .convertShape(VectorOperators.S2I, I256, 0);
        return wide.lanewise(VectorOperators.LSHL, 16).and(0x7FFFFFFF).reinterpretAsFloats();
    }

    private static FloatVector bf16(MemorySegment seg, long byteOffset) {
        IntVector wide = (IntVector) ShortVector.fromMemorySegment(S128, seg, byteOffset, LE)
                .convertShape(VectorOperators.S2I, I256, 0);
        return wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
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

    static void quantizeFast(MemorySegment seg, DType type, long from, int count, float inverse, byte[] out,
            int off, long[] counts) {
        if (type != DType.BF16 && type != DType.F32) {
            quantizeReference(seg, type, from, count, inverse, out, off, counts);
            return;
        }
        int step = F256.length();
        int end = count - count % step;
        long minus = 0;
        long plus = 0;
        long near = 0;
        FloatVector zero = FloatVector.zero(F256);
        for (int k = 0; k < end; k += step) {
            FloatVector w = type == DType.F32
                    ? FloatVector.fromMemorySegment(F256, seg, (from + k) * 4, LE)
                    : bf16(seg, (from + k) * 2);
            FloatVector q = w.mul(inverse);
            VectorMask<Float> gt = q.compare(VectorOperators.GT, 0.5f);
            VectorMask<Float> lt = q.compare(VectorOperators.LT, -0.5f);
            FloatVector a = q.abs();
            VectorMask<Float> nearMask = a.compare(VectorOperators.GE, LO_HALF).and(a.compare(VectorOperators.LE, HI_HALF))
                    .or(a.compare(VectorOperators.GE, LO_THREE_HALVES).and(a.compare(VectorOperators.LE, HI_THREE_HALVES)));
            FloatVector trit = zero.blend(1f, gt).blend(-1f, lt);
            ((ByteVector) trit.convertShape(VectorOperators.F2B, B64, 0)).intoArray(out, off + k);
            minus += lt.trueCount();
            plus += gt.trueCount();
            near += nearMask.trueCount();
        }
        counts[MINUS] += minus;
        counts[PLUS] += plus;
        counts[NEAR_COUNT] += near;
        quantizeReference(seg, type, from + end, count - end, inverse, out, off + end, counts);
    }
}
