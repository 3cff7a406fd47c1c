package dev.ternpack.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class AbsmeanQuantizerTest {

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 12);
    }

    private static void assertSame(Ternarization expected, Ternarization actual, String where) {
        assertEquals(Float.floatToRawIntBits(expected.scale().meanAbs()), Float.floatToRawIntBits(actual.scale().meanAbs()),
                where + ": mean |W| " + expected.scale().meanAbs() + " vs " + actual.scale().meanAbs());
        assertEquals(expected.scale(), actual.scale(), where);
        Bytes.assertTritsEqual(expected.tensor().trits(), actual.tensor().trits(), expected.tensor().cols(), where);
        assertEquals(expected.stats(), actual.stats(), where + " stats");
    }

    /** The fast path equals the reference, bit for bit, on latent-looking data of awkward lengths. */
    @ParameterizedTest
    @MethodSource("seeds")
    void fastEqualsReferenceOnRandomData(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (DType dtype : new DType[] {DType.BF16, DType.F32, DType.F16, DType.F64}) {
            int rows = 1 + rnd.nextInt(40);
            int cols = 1 + rnd.nextInt(700);
            float sigma = (float) Math.pow(10, -4 + 5 * rnd.nextDouble());
            Tensor w = TestTensors.matrix(dtype, rows, cols, TestTensors.latent(rnd, rows * cols, sigma));
            String where = "seed " + seed + ", " + dtype + " " + rows + "x" + cols;
            assertSame(AbsmeanQuantizer.ternarize(w, Implementation.REFERENCE),
                    AbsmeanQuantizer.ternarize(w, Implementation.FAST), where);
        }
    }

    /**
     * Weights placed exactly on {@code ±0.5 * gamma} and {@code ±1.5 * gamma} (and one float either side), where
     * the float product {@code W * s} is decided by one rounding; iterated until gamma no longer moves, so they
     * are exact multiples of the final gamma.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void fastEqualsReferenceOnWeightsAtTheThresholds(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int rows = 3 + rnd.nextInt(20);
        int cols = 17 + rnd.nextInt(300);
        float[] v = TestTensors.latent(rnd, rows * cols, 0.02f);
        int[] at = rnd.ints(rows * cols / 4, 0, rows * cols).toArray();
        float gamma = 0;
        for (int iteration = 0; iteration < 50; iteration++) {
            Tensor w = TestTensors.matrix(DType.F32, rows, cols, v);
            float g = AbsmeanQuantizer.scale(w, Implementation.REFERENCE).gamma();
            if (g == gamma) {
                break;
            }
            gamma = g;
            for (int k = 0; k < at.length; k++) {
                float tie = (k % 2 == 0 ? 0.5f : 1.5f) * gamma * (k % 4 < 2 ? 1 : -1);
                v[at[k]] = switch (k % 3) {
                    case 0 -> tie;
                    case 1 -> Math.nextUp(tie);
                    default -> Math.nextDown(tie);
                };
            }
        }
        Tensor w = TestTensors.matrix(DType.F32, rows, cols, v);
        Ternarization ref = AbsmeanQuantizer.ternarize(w, Implementation.REFERENCE);
        assertEquals(gamma, ref.gamma(), "seed " + seed + ": gamma settled");
        assertSame(ref, AbsmeanQuantizer.ternarize(w, Implementation.FAST), "seed " + seed + " F32 ties");
        assertTrue(ref.stats().nearThreshold() >= at.length / 2, "seed " + seed + ": the placed weights are near");
        // The same in BF16: gamma is rounded to bf16 so that the thresholds are bf16 values too.
        float[] b = v.clone();
        for (int i = 0; i < b.length; i++) {
            b[i] = Float.intBitsToFloat(Float.floatToRawIntBits(b[i]) & 0xFFFF0000);
        }
        Tensor wb = TestTensors.matrix(DType.BF16, rows, cols, b);
        assertSame(AbsmeanQuantizer.ternarize(wb, Implementation.REFERENCE),
                AbsmeanQuantizer.ternarize(wb, Implementation.FAST), "seed " + seed + " BF16 ties");
    }

    /**
     * A hand-worked case with gamma = 1 exactly, so {@code W * s = W}: round half to even sends 0.5 and -0.5 to 0
     * and 1.5 to 2 (clamped to 1), as torch.round does; {@code Math.round} would give 1 for 0.5.
     */
    @ParameterizedTest
    @EnumSource(Implementation.class)
    void exactTiesRoundHalfToEven(Implementation impl) {
        float[] v = {0.5f, -0.5f, 1.5f, -1.5f, 1f, -1f, 2f, 0f, 0.50390625f, 0.49609375f, 1.4921875f, 0.5078125f,
            -0.75f, 0.75f, 0.25f, -0.25f};
        double sum = 0;
        for (float x : v) {
            sum += Math.abs(x);
        }
        assertEquals(13.0, sum, "hand sum");
        // Two more weights bring the sum to 18 over 18 weights: mean |W| = 1. Every weight is a bf16 value (at
        // most 8 significant bits), so BF16 and F32 see the same numbers; bf16 has no value within 1/256 of 1.5
        // other than 1.5 itself (its spacing there is 1/128).
        float[] w = java.util.Arrays.copyOf(v, 18);
        w[16] = 4f;
        w[17] = 1f;
        for (DType dtype : new DType[] {DType.BF16, DType.F32}) {
            Ternarization r = AbsmeanQuantizer.ternarize(TestTensors.matrix(dtype, 1, 18, w), impl);
            assertEquals(1f, r.gamma(), dtype + " gamma");
            byte[] expected = {0, 0, 1, -1, 1, -1, 1, 0, 1, 0, 1, 1, -1, 1, 0, 0, 1, 1};
            Bytes.assertTritsEqual(expected, r.tensor().trits(), 18, dtype + " " + impl);
            // Within 1/256 of 0.5 or 1.5: 0.5, -0.5, 1.5, -1.5, 0.50390625, 0.49609375; not 1.4921875, 0.5078125.
            assertEquals(6, r.stats().nearThreshold(), dtype + " near-threshold count");
            assertEquals(new TritStats(3, 6, 9, 6), r.stats(), dtype.toString());
        }
    }

    /**
     * Magnitudes near the top of the float range: gamma is so large that s is subnormal and some rounding
     * thresholds lie beyond the largest finite value, so the fast path's threshold ranges are empty.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void fastEqualsReferenceAtTheEdgesOfTheFloatRange(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (DType dtype : new DType[] {DType.BF16, DType.F32}) {
            for (float scale : new float[] {3e38f, 1e-38f, 1e-30f}) {
                int n = 1 + rnd.nextInt(300);
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = (float) (scale * (0.2 + rnd.nextDouble()) * (rnd.nextBoolean() ? 1 : -1));
                    v[i] = Float.isFinite(v[i]) ? v[i] : Float.MAX_VALUE;
                }
                Tensor w = TestTensors.matrix(dtype, 1, n, v);
                assertSame(AbsmeanQuantizer.ternarize(w, Implementation.REFERENCE),
                        AbsmeanQuantizer.ternarize(w, Implementation.FAST), "seed " + seed + " " + dtype + " x" + scale);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void allZeroTensorHasGammaZeroAndNoNaN(Implementation impl) {
        float[] v = new float[300];
        v[7] = -0f;
        Ternarization r = AbsmeanQuantizer.ternarize(TestTensors.matrix(DType.BF16, 3, 100, v), impl);
        assertEquals(0f, r.gamma());
        assertEquals(1e5f, r.scale().inverse(), "s = 1 / 1e-5");
        assertEquals(new TritStats(0, 300, 0, 0), r.stats());
        for (float x : r.tensor().dequantize()) {
            assertEquals(0f, Math.abs(x));
        }
    }

    /**
     * Below the clamp: mean |W| = 1e-6 < 1e-5, so s = 1e5 and the stored scale is 1e-5, the factor BitNet's
     * {@code W_q / s} multiplies the trits by (not the raw mean).
     */
    @ParameterizedTest
    @EnumSource(Implementation.class)
    void scaleIsClampedAtOneEMinusFive(Implementation impl) {
        float[] v = new float[1000];
        v[3] = 1e-3f;
        v[500] = -4e-6f;
        v[501] = 6e-6f;
        Ternarization r = AbsmeanQuantizer.ternarize(TestTensors.matrix(DType.F32, 10, 100, v), impl);
        assertEquals((float) (((double) 1e-3f + (double) 4e-6f + (double) 6e-6f) / 1000), r.scale().meanAbs());
        assertEquals(1e-5f, r.gamma());
        assertEquals(1f / 1e-5f, r.scale().inverse());
        byte[] expected = new byte[1000];
        expected[3] = 1;    // 1e-3 * 1e5 = 100
        expected[501] = 1;  // 0.6
        // 4e-6 * 1e5 = 0.4 rounds to 0
        Bytes.assertTritsEqual(expected, r.tensor().trits(), 100, impl.toString());
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void nonFiniteWeightNamesTensorFileAndPosition(Implementation impl) {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (DType dtype : new DType[] {DType.BF16, DType.F32, DType.F16}) {
                float[] v = new float[6 * 50];
                java.util.Arrays.fill(v, 0.01f);
                v[2 * 50 + 17] = bad;
                v[5 * 50 + 1] = bad;
                Tensor w = TestTensors.matrix(dtype, 6, 50, v);
                BadInputException e = assertThrows(BadInputException.class, () -> AbsmeanQuantizer.ternarize(w, impl));
                assertEquals(TestTensors.FILE, e.file());
                assertTrue(e.getMessage().startsWith("test.safetensors: tensor model.layers.0.mlp.up_proj.weight holds "
                        + bad + " at flat index 117 (row 2, column 17)"), e.getMessage());
                assertThrows(BadInputException.class, () -> AbsmeanQuantizer.ternarizeAndPack(w, Hf2BitLayout.BITLINEAR,
                        MemorySegment.ofArray(new byte[2 * 50]), impl));
            }
        }
    }

    @Test
    void refusesWhatIsNotALatentMatrix() {
        Tensor ints = new Tensor("w", DType.I8, new long[] {4, 4}, MemorySegment.ofArray(new byte[16]), TestTensors.FILE);
        assertTrue(assertThrows(BadInputException.class, () -> AbsmeanQuantizer.ternarize(ints)).getMessage()
                .contains("dtype i8"));
        Tensor scalar = new Tensor("s", DType.F32, new long[] {}, MemorySegment.ofArray(new byte[4]), TestTensors.FILE);
        assertTrue(assertThrows(BadInputException.class, () -> AbsmeanQuantizer.ternarize(scalar)).getMessage()
                .contains("scalar"));
        Tensor empty = new Tensor("e", DType.F32, new long[] {0, 8}, MemorySegment.ofArray(new byte[0]), TestTensors.FILE);
        assertTrue(assertThrows(BadInputException.class, () -> AbsmeanQuantizer.ternarize(empty)).getMessage()
                .contains("empty"));
        // 65536 x 32768 = 2^31 elements: refused from the shape alone, before any byte is read.
        Tensor huge = new Tensor("h", DType.BF16, new long[] {65536, 32768}, MemorySegment.ofArray(new byte[0]),
                TestTensors.FILE);
        BadInputException e = assertThrows(BadInputException.class, () -> AbsmeanQuantizer.ternarize(huge));
        assertEquals("test.safetensors: tensor h [65536, 32768] has 2147483648 elements; ternpack ternarizes at most"
                + " 2147483639 (2^31 - 9) elements per tensor", e.getMessage());
        Tensor overflow = new Tensor("o", DType.BF16, new long[] {1L << 40, 1L << 40}, MemorySegment.ofArray(new byte[0]),
                TestTensors.FILE);
        assertThrows(BadInputException.class, () -> AbsmeanQuantizer.ternarize(overflow));
        Tensor short_ = new Tensor("x", DType.F32, new long[] {2, 2}, MemorySegment.ofArray(new byte[12]), TestTensors.FILE);
        assertTrue(assertThrows(BadInputException.class, () -> AbsmeanQuantizer.ternarize(short_)).getMessage()
                .contains("12 bytes of data for 4 elements"));
    }

    /** rows = first dimension, cols = product of the others. */
    @Test
    void higherRankTensorsAreFlattenedAfterTheFirstDimension() {
        float[] v = new float[2 * 3 * 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = i % 5 - 2;
        }
        Tensor w = TestTensors.tensor("conv", DType.F32, new long[] {2, 3, 4}, v);
        TernaryTensor t = AbsmeanQuantizer.ternarize(w).tensor();
        assertEquals(2, t.rows());
        assertEquals(12, t.cols());
        Tensor vec = TestTensors.tensor("vec", DType.F32, new long[] {5}, new float[] {1, -1, 0, 2, -2});
        assertEquals(1, AbsmeanQuantizer.ternarize(vec).tensor().cols());
    }
}
