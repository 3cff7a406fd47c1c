package dev.ternpack.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.ternpack.formats.DType;
import dev.ternpack.formats.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The mean pass's vector sum against the reference, double for double, at both widths (512 and 256 bits). The
 * vector loops take zeros and subnormals in bulk like every other finite value; a chunk holding an infinity or a
 * NaN falls back to the per-element path, into the same 32 partial sums. Magnitudes span 2^-60 .. 2^40, so that
 * additions round and a different summation order gives different doubles (checked, so the comparison has teeth).
 */
class MeanPassOrderTest {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 10);
    }

    /** A normal float of random sign with a magnitude between 2^-60 and 2^40, rounded to bf16 when asked. */
    private static float wideNormal(SplittableRandom rnd, boolean bf16) {
        int exponent = 127 - 60 + rnd.nextInt(101);
        int bits = (rnd.nextBoolean() ? 0x80000000 : 0) | exponent << 23 | rnd.nextInt(1 << 23);
        return Float.intBitsToFloat(bf16 ? bits & 0xFFFF0000 : bits);
    }

    /** A value at the bottom of the range: a signed zero or a subnormal. */
    private static float unusual(SplittableRandom rnd, boolean bf16) {
        int sign = rnd.nextBoolean() ? 0x80000000 : 0;
        if (rnd.nextBoolean()) {
            return Float.intBitsToFloat(sign);
        }
        // exponent field 0, significand nonzero: 23 bits for F32, the upper 7 of them for BF16
        int bits = sign | (bf16 ? rnd.nextInt(1, 1 << 7) << 16 : rnd.nextInt(1, 1 << 23));
        return Float.intBitsToFloat(bits);
    }

    /**
     * {@code n} elements of {@code type} starting {@code skew} bytes into a heap segment, so vector loads are
     * not aligned; about a third of the chunks get one zero or subnormal.
     */
    private static MemorySegment data(SplittableRandom rnd, DType type, int n, int skew) {
        boolean bf16 = type == DType.BF16;
        MemorySegment seg = MemorySegment.ofArray(new byte[skew + n * type.byteSize()]).asSlice(skew);
        for (int i = 0; i < n; i++) {
            set(seg, type, i, wideNormal(rnd, bf16));
        }
        for (int chunk = 0; chunk * LaneSums.CHUNK < n; chunk++) {
            if (rnd.nextInt(3) == 0) {
                int at = Math.min(n - 1, chunk * LaneSums.CHUNK + rnd.nextInt(LaneSums.CHUNK));
                set(seg, type, at, unusual(rnd, bf16));
            }
        }
        return seg;
    }

    private static void set(MemorySegment seg, DType type, long i, float v) {
        if (type == DType.BF16) {
            seg.setAtIndex(U16, i, (short) (Float.floatToRawIntBits(v) >>> 16));
        } else {
            seg.setAtIndex(F32, i, v);
        }
    }

    private static void assertLanesEqual(double[] expected, double[] actual, String where) {
        assertEquals(expected.length, actual.length, where);
        for (int l = 0; l < expected.length; l++) {
            if (Double.doubleToRawLongBits(expected[l]) != Double.doubleToRawLongBits(actual[l])) {
                fail(where + ": partial sum " + l + " (elements i with i % " + expected.length + " == " + l + ") is "
                        + actual[l]
                        + " (0x" + Long.toHexString(Double.doubleToRawLongBits(actual[l])) + "), the reference has "
                        + expected[l] + " (0x" + Long.toHexString(Double.doubleToRawLongBits(expected[l])) + ")");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void vectorSumsEqualTheReferenceOrder(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (DType type : new DType[] {DType.BF16, DType.F32}) {
            // several chunks, and a tail of n % 32 elements the vector loop leaves to the scalar code
            int n = LaneSums.CHUNK * (1 + rnd.nextInt(10)) + rnd.nextInt(LaneSums.CHUNK);
            int skew = rnd.nextInt(8);
            MemorySegment seg = data(rnd, type, n, skew);
            String where = "seed " + seed + ", " + type + ", n " + n + ", skew " + skew;
            double[] reference = AbsmeanKernels.laneSumsReference(seg, type, n);
            assertLanesEqual(reference, LaneSums.of(seg, type, n, true), where + ", 512-bit");
            assertLanesEqual(reference, LaneSums.of(seg, type, n, false), where + ", 256-bit");
            Tensor w = new Tensor("w", type, new long[] {1, n}, seg, TestTensors.FILE);
            assertEquals(AbsmeanQuantizer.scale(w, Implementation.REFERENCE), AbsmeanQuantizer.scale(w, Implementation.FAST),
                    where);
        }
    }

    /**
     * The vector loops add magnitudes and hold partial sums times 2^-896; at the ends of the range that could
     * round differently, so: magnitudes over every normal exponent (1..254, up to the largest finite value), and
     * a first chunk of subnormals only, so that the partial sums entering the next chunk are below the smallest
     * normal float.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void extremeMagnitudesSumAsTheReference(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (DType type : new DType[] {DType.BF16, DType.F32}) {
            boolean bf16 = type == DType.BF16;
            int n = LaneSums.CHUNK * 4;
            MemorySegment seg = MemorySegment.ofArray(new byte[n * type.byteSize()]);
            for (int i = 0; i < LaneSums.CHUNK; i++) {
                int sign = rnd.nextBoolean() ? 0x80000000 : 0;
                set(seg, type, i, Float.intBitsToFloat(sign | (bf16 ? rnd.nextInt(1, 1 << 7) << 16 : rnd.nextInt(1, 1 << 23))));
            }
            for (int i = LaneSums.CHUNK; i < n; i++) {
                // small exponents more often, so that sums stay near the bottom of the range for a while
                int exponent = i < 2 * LaneSums.CHUNK ? 1 + rnd.nextInt(8) : 1 + rnd.nextInt(254);
                int bits = (rnd.nextBoolean() ? 0x80000000 : 0) | exponent << 23 | rnd.nextInt(1 << 23);
                set(seg, type, i, Float.intBitsToFloat(bf16 ? bits & 0xFFFF0000 : bits));
            }
            set(seg, type, n - 1, bf16 ? Float.intBitsToFloat(0x7F7F0000) : Float.MAX_VALUE);
            String where = "seed " + seed + ", " + type;
            double[] reference = AbsmeanKernels.laneSumsReference(seg, type, n);
            assertLanesEqual(reference, LaneSums.of(seg, type, n, true), where + ", 512-bit");
            assertLanesEqual(reference, LaneSums.of(seg, type, n, false), where + ", 256-bit");
        }
    }

    /** The data above is order-sensitive: summing it in one running double gives a different sum. */
    @Test
    void theTestDataMakesSummationOrderVisible() {
        int differing = 0;
        for (long seed : seeds().toArray()) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int n = 4096 * (1 + rnd.nextInt(5)) + rnd.nextInt(4096);
            MemorySegment seg = data(rnd, DType.F32, n, 0);
            double sequential = 0;
            for (int i = 0; i < n; i++) {
                sequential += Math.abs((double) seg.getAtIndex(F32, i));
            }
            double laned = AbsmeanKernels.combine(AbsmeanKernels.laneSumsReference(seg, DType.F32, n));
            differing += sequential != laned ? 1 : 0;
        }
        assertTrue(differing >= 5, differing + " of 10 seeds give a different double when summed in another order");
    }

    /**
     * A chunk holding an infinity or a NaN (BF16 and F32, at both widths) is summed element by element: the
     * partial sums equal the reference's, the one that took the bad value non-finite as there.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void aChunkWithANonFiniteValueSumsAsTheReference(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] bad = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0xFFC10000)};
        for (DType type : new DType[] {DType.BF16, DType.F32}) {
            int n = LaneSums.CHUNK * 3;
            MemorySegment seg = data(rnd, type, n, 0);
            int at = LaneSums.CHUNK + rnd.nextInt(LaneSums.CHUNK);
            set(seg, type, at, bad[rnd.nextInt(bad.length)]);
            String where = "seed " + seed + ", " + type + ", bad value at " + at;
            double[] reference = AbsmeanKernels.laneSumsReference(seg, type, n);
            assertTrue(!Double.isFinite(reference[at % reference.length]), where);
            for (boolean wide : new boolean[] {true, false}) {
                double[] fast = LaneSums.of(seg, type, n, wide);
                for (int l = 0; l < reference.length; l++) {
                    if (Double.isNaN(reference[l])) {
                        assertTrue(Double.isNaN(fast[l]), where + ", partial sum " + l + " is " + fast[l]);
                        reference[l] = fast[l] = 0; // NaN payloads may differ
                    }
                }
                assertLanesEqual(reference, fast, where + (wide ? ", 512-bit" : ", 256-bit"));
                reference = AbsmeanKernels.laneSumsReference(seg, type, n);
            }
        }
    }
}
