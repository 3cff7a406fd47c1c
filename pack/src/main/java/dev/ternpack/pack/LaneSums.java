package dev.ternpack.pack;

import dev.ternpack.formats.DType;
import dev.ternpack.formats.FloatDecoding;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast mean pass: the {@value AbsmeanKernels#LANES} partial sums of {@link AbsmeanKernels#laneSumsReference},
 * double for double, for BF16 and F32 input. Partial sum {@code l} receives exactly the elements {@code i} with
 * {@code i % 32 == l}, in increasing {@code i}, as in the reference; only where each partial sum lives differs
 * (a lane of one of several double vectors, {@link #slot512}/{@link #slot256}).
 *
 * <p>No float is formed: a BF16 or F32 magnitude {@code m} moved to the top of a double's significand
 * ({@code m << 45 or 29}) is the double {@code |w| * 2^-896}, exactly: the exponent field lands in the double's,
 * still biased by 127 instead of 1023, and a zero or subnormal lands as the double zero or subnormal of the same
 * scaled value. Every addend and partial sum is the reference's times 2^-896, and since rounding to nearest does not
 * depend on the scale (results down to 2^-1022 are normal; below it both sums are exact, every term being a multiple
 * of 2^-1074 and 2^-178), each partial sum is the reference's times 2^-896, double for double; the sums are scaled
 * back by 2^896 at the end, exactly. A load of 64 (or 32) bytes holds the elements of a long vector's lanes in
 * its 16-bit fields (BF16) or 32-bit halves (F32); field {@code k} of every lane is shifted into place at once.
 * Infinities and NaNs (the exponent field all ones) would land as finite doubles, so each chunk of {@value #CHUNK}
 * elements is checked while it is summed (the largest magnitude seen); a chunk holding one is discarded and added
 * again element by element, into the same partial sums in the same order, which makes the sum non-finite as in
 * the reference.
 *
 * <p>Both widths exist because the Vector API emulates a species the CPU lacks, slowly: 512-bit where the CPU
 * has it, 256-bit (AVX2) otherwise. The tests run both against the reference.
 */
final class LaneSums {
    private static final int LANES = AbsmeanKernels.LANES;
    /** Elements per checked chunk: 4 or 8 KiB of input, read once from memory and summed from registers. */
    static final int CHUNK = 2048;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfDouble ACC = ValueLayout.JAVA_DOUBLE.withOrder(NATIVE);
    /** What the fields' doubles are scaled by: the exponent bias 127 read as 1023. */
    private static final double DOWN = 0x1p-896;
    private static final double UP = 0x1p896;
    private static final long BF16_MAGNITUDE = 0x7FFFL << 45;
    private static final long F32_MAGNITUDE = 0x7FFFFFFFL << 29;

    private static final VectorSpecies<Long> L512 = LongVector.SPECIES_512;
    private static final VectorSpecies<Double> D512 = DoubleVector.SPECIES_512;
    private static final VectorSpecies<Long> L256 = LongVector.SPECIES_256;
    private static final VectorSpecies<Double> D256 = DoubleVector.SPECIES_256;

    /** True when the CPU runs 512-bit vectors natively. */
    static final boolean WIDE = DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= 512;

    private LaneSums() {
    }

    /** The 32 partial sums of |w| over elements {@code [0, n)} of a BF16 or F32 segment, at the machine's width. */
    static double[] of(MemorySegment seg, DType type, long n) {
        return of(seg, type, n, WIDE);
    }

    /** As {@link #of(MemorySegment, DType, long)}, with 512-bit vectors or 256-bit vectors as asked. */
    static double[] of(MemorySegment seg, DType type, long n, boolean wide) {
        if (type != DType.BF16 && type != DType.F32) {
            throw new IllegalArgumentException("no fast mean pass for " + type);
        }
        boolean bf16 = type == DType.BF16;
        // Accumulators, one double vector after another; kept in a heap segment because the JIT compiles
        // the loop several times slower when 512-bit double vectors are loaded from and stored to a double[].
        MemorySegment acc = MemorySegment.ofArray(new double[LANES]);
        long end = n - n % LANES;
        for (long from = 0; from < end; from += CHUNK) {
            long to = Math.min(end, from + CHUNK);
            boolean finite = bf16
                    ? (wide ? bf16x512(seg, from, to, acc) : bf16x256(seg, from, to, acc))
                    : (wide ? f32x512(seg, from, to, acc) : f32x256(seg, from, to, acc));
            if (!finite) {
                for (long i = from; i < to; i++) {
                    long at = (long) slot(bf16, wide, (int) (i % LANES)) * Double.BYTES;
                    acc.set(ACC, at, acc.get(ACC, at) + Math.abs((double) FloatDecoding.get(seg, type, i)) * DOWN);
                }
            }
        }
        double[] lanes = new double[LANES];
        for (int l = 0; l < LANES; l++) {
            lanes[l] = acc.get(ACC, (long) slot(bf16, wide, l) * Double.BYTES) * UP;
        }
        for (long i = end; i < n; i++) {
            lanes[(int) (i % LANES)] += Math.abs((double) FloatDecoding.get(seg, type, i));
        }
        return lanes;
    }

    /** Where partial sum {@code l} lives among the accumulators (index into the 32 doubles). */
    static int slot(boolean bf16, boolean wide, int l) {
        if (bf16) {
            // 512: one load holds elements 4j + k in field k of long j -> accumulator k, lane j.
            // 256: loads h = 0, 1 hold elements 16h + 4j + k -> accumulator 4h + k, lane j.
            return wide ? 8 * (l % 4) + l / 4 : 16 * (l / 16) + 4 * (l % 4) + l % 16 / 4;
        }
        // 512: loads h = 0, 1 hold elements 16h + 2j + k in half k of long j -> accumulator 2h + k, lane j.
        // 256: loads q = 0..3 hold elements 8q + 2j + k -> accumulator 2q + k, lane j.
        return wide ? 16 * (l / 16) + 8 * (l % 2) + l % 16 / 2 : 8 * (l / 8) + 4 * (l % 2) + l % 8 / 2;
    }

    private static DoubleVector asDouble(LongVector magnitude) {
        return magnitude.reinterpretAsDoubles();
    }

    /** Largest BF16 magnitude pattern that is finite; an exponent field of all ones is above it. */
    private static final short BF16_MAX_FINITE = 0x7F7F;
    private static final int F32_MAX_FINITE = 0x7F7FFFFF;
    private static final long BF16_SIGNS = 0x8000800080008000L;
    private static final long F32_SIGNS = 0x8000000080000000L;

    /**
     * Adds elements {@code [from, to)} (a multiple of 32) into {@code acc} unless one is infinite or NaN; then
     * leaves {@code acc} untouched and returns false.
     */
    private static boolean bf16x512(MemorySegment seg, long from, long to, MemorySegment acc) {
        DoubleVector a0 = DoubleVector.fromMemorySegment(D512, acc, 0, NATIVE);
        DoubleVector a1 = DoubleVector.fromMemorySegment(D512, acc, 64, NATIVE);
        DoubleVector a2 = DoubleVector.fromMemorySegment(D512, acc, 128, NATIVE);
        DoubleVector a3 = DoubleVector.fromMemorySegment(D512, acc, 192, NATIVE);
        ShortVector check = ShortVector.zero(ShortVector.SPECIES_512);
        for (long i = from; i < to; i += 32) {
            LongVector x = LongVector.fromMemorySegment(L512, seg, i * 2, LE).and(~BF16_SIGNS);
            check = check.max(x.reinterpretAsShorts());
            a0 = a0.add(asDouble(x.lanewise(VectorOperators.LSHL, 45).and(BF16_MAGNITUDE)));
            a1 = a1.add(asDouble(x.lanewise(VectorOperators.LSHL, 29).and(BF16_MAGNITUDE)));
            a2 = a2.add(asDouble(x.lanewise(VectorOperators.LSHL, 13).and(BF16_MAGNITUDE)));
            a3 = a3.add(asDouble(x.lanewise(VectorOperators.LSHR, 3).and(BF16_MAGNITUDE)));
        }
        if (check.reduceLanes(VectorOperators.MAX) > BF16_MAX_FINITE) {
            return false;
        }
        a0.intoMemorySegment(acc, 0, NATIVE);
        a1.intoMemorySegment(acc, 64, NATIVE);
        a2.intoMemorySegment(acc, 128, NATIVE);
        a3.intoMemorySegment(acc, 192, NATIVE);
        return true;
    }

    private static boolean bf16x256(MemorySegment seg, long from, long to, MemorySegment acc) {
        DoubleVector a0 = DoubleVector.fromMemorySegment(D256, acc, 0, NATIVE);
        DoubleVector a1 = DoubleVector.fromMemorySegment(D256, acc, 32, NATIVE);
        DoubleVector a2 = DoubleVector.fromMemorySegment(D256, acc, 64, NATIVE);
        DoubleVector a3 = DoubleVector.fromMemorySegment(D256, acc, 96, NATIVE);
        DoubleVector b0 = DoubleVector.fromMemorySegment(D256, acc, 128, NATIVE);
        DoubleVector b1 = DoubleVector.fromMemorySegment(D256, acc, 160, NATIVE);
        DoubleVector b2 = DoubleVector.fromMemorySegment(D256, acc, 192, NATIVE);
        DoubleVector b3 = DoubleVector.fromMemorySegment(D256, acc, 224, NATIVE);
        ShortVector check = ShortVector.zero(ShortVector.SPECIES_256);
        for (long i = from; i < to; i += 32) {
            LongVector x = LongVector.fromMemorySegment(L256, seg, i * 2, LE).and(~BF16_SIGNS);
            LongVector y = LongVector.fromMemorySegment(L256, seg, i * 2 + 32, LE).and(~BF16_SIGNS);
            check = check.max(x.reinterpretAsShorts())
                    .max(y.reinterpretAsShorts());
            a0 = a0.add(asDouble(x.lanewise(VectorOperators.LSHL, 45).and(BF16_MAGNITUDE)));
            a1 = a1.add(asDouble(x.lanewise(VectorOperators.LSHL, 29).and(BF16_MAGNITUDE)));
            a2 = a2.add(asDouble(x.lanewise(VectorOperators.LSHL, 13).and(BF16_MAGNITUDE)));
            a3 = a3.add(asDouble(x.lanewise(VectorOperators.LSHR, 3).and(BF16_MAGNITUDE)));
            b0 = b0.add(asDouble(y.lanewise(VectorOperators.LSHL, 45).and(BF16_MAGNITUDE)));
            b1 = b1.add(asDouble(y.lanewise(VectorOperators.LSHL, 29).and(BF16_MAGNITUDE)));
            b2 = b2.add(asDouble(y.lanewise(VectorOperators.LSHL, 13).and(BF16_MAGNITUDE)));
            b3 = b3.add(asDouble(y.lanewise(VectorOperators.LSHR, 3).and(BF16_MAGNITUDE)));
        }
        if (check.reduceLanes(VectorOperators.MAX) > BF16_MAX_FINITE) {
            return false;
        }
        a0.intoMemorySegment(acc, 0, NATIVE);
        a1.intoMemorySegment(acc, 32, NATIVE);
        a2.intoMemorySegment(acc, 64, NATIVE);
        a3.intoMemorySegment(acc, 96, NATIVE);
        b0.intoMemorySegment(acc, 128, NATIVE);
        b1.intoMemorySegment(acc, 160, NATIVE);
        b2.intoMemorySegment(acc, 192, NATIVE);
        b3.intoMemorySegment(acc, 224, NATIVE);
        return true;
    }

    private static boolean f32x512(MemorySegment seg, long from, long to, MemorySegment acc) {
        DoubleVector a0 = DoubleVector.fromMemorySegment(D512, acc, 0, NATIVE);
        DoubleVector a1 = DoubleVector.fromMemorySegment(D512, acc, 64, NATIVE);
        DoubleVector b0 = DoubleVector.fromMemorySegment(D512, acc, 128, NATIVE);
        DoubleVector b1 = DoubleVector.fromMemorySegment(D512, acc, 192, NATIVE);
        IntVector check = IntVector.zero(IntVector.SPECIES_512);
        for (long i = from; i < to; i += 32) {
            LongVector x = LongVector.fromMemorySegment(L512, seg, i * 4, LE).and(~F32_SIGNS);
            LongVector y = LongVector.fromMemorySegment(L512, seg, i * 4 + 64, LE).and(~F32_SIGNS);
            check = check.max(x.reinterpretAsInts())
                    .max(y.reinterpretAsInts());
            a0 = a0.add(asDouble(x.lanewise(VectorOperators.LSHL, 29).and(F32_MAGNITUDE)));
            a1 = a1.add(asDouble(x.lanewise(VectorOperators.LSHR, 3).and(F32_MAGNITUDE)));
            b0 = b0.add(asDouble(y.lanewise(VectorOperators.LSHL, 29).and(F32_MAGNITUDE)));
            b1 = b1.add(asDouble(y.lanewise(VectorOperators.LSHR, 3).and(F32_MAGNITUDE)));
        }
        if (check.reduceLanes(VectorOperators.MAX) > F32_MAX_FINITE) {
            return false;
        }
        a0.intoMemorySegment(acc, 0, NATIVE);
        a1.intoMemorySegment(acc, 64, NATIVE);
        b0.intoMemorySegment(acc, 128, NATIVE);
        b1.intoMemorySegment(acc, 192, NATIVE);
        return true;
    }

    private static boolean f32x256(MemorySegment seg, long from, long to, MemorySegment acc) {
        DoubleVector a0 = DoubleVector.fromMemorySegment(D256, acc, 0, NATIVE);
        DoubleVector a1 = DoubleVector.fromMemorySegment(D256, acc, 32, NATIVE);
        DoubleVector b0 = DoubleVector.fromMemorySegment(D256, acc, 64, NATIVE);
        DoubleVector b1 = DoubleVector.fromMemorySegment(D256, acc, 96, NATIVE);
        DoubleVector c0 = DoubleVector.fromMemorySegment(D256, acc, 128, NATIVE);
        DoubleVector c1 = DoubleVector.fromMemorySegment(D256, acc, 160, NATIVE);
        DoubleVector e0 = DoubleVector.fromMemorySegment(D256, acc, 192, NATIVE);
        DoubleVector e1 = DoubleVector.fromMemorySegment(D256, acc, 224, NATIVE);
        IntVector check = IntVector.zero(IntVector.SPECIES_256);
        for (long i = from; i < to; i += 32) {
            LongVector x = LongVector.fromMemorySegment(L256, seg, i * 4, LE).and(~F32_SIGNS);
            LongVector y = LongVector.fromMemorySegment(L256, seg, i * 4 + 32, LE).and(~F32_SIGNS);
            LongVector z = LongVector.fromMemorySegment(L256, seg, i * 4 + 64, LE).and(~F32_SIGNS);
            LongVector u = LongVector.fromMemorySegment(L256, seg, i * 4 + 96, LE).and(~F32_SIGNS);
            check = check.max(x.reinterpretAsInts())
                    .max(y.reinterpretAsInts())
                    .max(z.reinterpretAsInts())
                    .max(u.reinterpretAsInts());
            a0 = a0.add(asDouble(x.lanewise(VectorOperators.LSHL, 29).and(F32_MAGNITUDE)));
            a1 = a1.add(asDouble(x.lanewise(VectorOperators.LSHR, 3).and(F32_MAGNITUDE)));
            b0 = b0.add(asDouble(y.lanewise(VectorOperators.LSHL, 29).and(F32_MAGNITUDE)));
            b1 = b1.add(asDouble(y.lanewise(VectorOperators.LSHR, 3).and(F32_MAGNITUDE)));
            c0 = c0.add(asDouble(z.lanewise(VectorOperators.LSHL, 29).and(F32_MAGNITUDE)));
            c1 = c1.add(asDouble(z.lanewise(VectorOperators.LSHR, 3).and(F32_MAGNITUDE)));
            e0 = e0.add(asDouble(u.lanewise(VectorOperators.LSHL, 29).and(F32_MAGNITUDE)));
            e1 = e1.add(asDouble(u.lanewise(VectorOperators.LSHR, 3).and(F32_MAGNITUDE)));
        }
        if (check.reduceLanes(VectorOperators.MAX) > F32_MAX_FINITE) {
            return false;
        }
        a0.intoMemorySegment(acc, 0, NATIVE);
        a1.intoMemorySegment(acc, 32, NATIVE);
        b0.intoMemorySegment(acc, 64, NATIVE);
        b1.intoMemorySegment(acc, 96, NATIVE);
        c0.intoMemorySegment(acc, 128, NATIVE);
        c1.intoMemorySegment(acc, 160, NATIVE);
        e0.intoMemorySegment(acc, 192, NATIVE);
        e1.intoMemorySegment(acc, 224, NATIVE);
        return true;
    }
}
