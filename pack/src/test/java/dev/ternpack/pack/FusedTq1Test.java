package dev.ternpack.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ternpack.formats.DType;
import dev.ternpack.formats.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import jdk.incubator.vector.ShortVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused BF16 -> TQ1_0 kernel ({@link FusedBf16#tq1}) against the scalar reference: its multiply-shift form
 * of the 243 -> 256 scaling for all 243 values, every five-trit group in every byte position of a block, and
 * random shapes with all-zero blocks, sparse blocks and dense blocks in both scale modes.
 */
class FusedTq1Test {

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 12);
    }

    /** {@code v + ((219 v + (v >>> 1) + 4022) >>> 12)} is {@code ceil(v * 256 / 243)} for every v in 0..242. */
    @Test
    void encodeEqualsTheDivisionForAll243Values() {
        short[] in = new short[ShortVector.SPECIES_PREFERRED.length()];
        short[] out = new short[in.length];
        for (int v0 = 0; v0 < 243; v0 += in.length) {
            for (int k = 0; k < in.length; k++) {
                in[k] = (short) Math.min(242, v0 + k);
            }
            FusedBf16.tq1Encode(ShortVector.fromArray(ShortVector.SPECIES_PREFERRED, in, 0)).intoArray(out, 0);
            for (int k = 0; k < in.length; k++) {
                assertEquals(Tq1Layout.scaleToByte(in[k]), out[k], "v = " + in[k]);
                assertEquals((in[k] * 256 + 242) / 243, out[k], "v = " + in[k]);
            }
        }
    }

    /** Exact trits as BF16 weights (0 and +-1): the absmean scale maps them back onto themselves. */
    private static Tensor weightsOf(byte[] trits, int rows, int cols) {
        float[] v = new float[trits.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = trits[i];
        }
        return TestTensors.matrix(DType.BF16, rows, cols, v);
    }

    private static void assertFastEqualsReference(Tensor w, Tq1Layout layout, String where) {
        int rows = (int) w.dim(0);
        int cols = (int) w.dim(1);
        Ternarization t = AbsmeanQuantizer.ternarize(w, Implementation.REFERENCE);
        MemorySegment expected = MemorySegment.ofArray(new byte[(int) layout.packedSize(rows, cols)]);
        Optional<Float> expectedScale = layout.pack(t.tensor(), expected, Implementation.REFERENCE);
        MemorySegment actual = MemorySegment.ofArray(new byte[(int) layout.packedSize(rows, cols)]);
        actual.fill((byte) 0xA5); // every byte must be written
        PackedTernarization fast = AbsmeanQuantizer.ternarizeAndPack(w, layout, actual, Implementation.FAST);
        Bytes.assertBlocksEqual(Bytes.toArray(expected), Bytes.toArray(actual), Tq1Layout.BLOCK_BYTES, where);
        assertEquals(t.stats(), fast.stats(), where + " counts");
        assertEquals(t.scale(), fast.scale(), where);
        assertEquals(expectedScale, fast.scaleTensor(), where);
    }

    /** Digit n (0 = most significant) of g in base 3, as a trit. */
    private static int trit(int g, int n, int digits) {
        int v = g;
        for (int k = digits - 1; k > n; k--) {
            v /= 3;
        }
        return v % 3 - 1;
    }

    /**
     * Block g (of 243) holds group {@code (g + m) % 243} at the five elements of {@code qs[m]} for every m < 48,
     * and group {@code (g + j) % 81} at the four of {@code qh[j]}: every group through every byte position.
     */
    @Test
    void everyGroupInEveryBytePosition() {
        assumeTrue(FusedBf16.TQ1_FUSED, "the fused TQ1_0 kernel needs 32 short lanes");
        byte[] trits = new byte[243 * 256];
        for (int g = 0; g < 243; g++) {
            int x = g * 256;
            for (int m = 0; m < 32; m++) {
                for (int n = 0; n < 5; n++) {
                    trits[x + m + 32 * n] = (byte) trit((g + m) % 243, n, 5);
                }
            }
            for (int m = 0; m < 16; m++) {
                for (int n = 0; n < 5; n++) {
                    trits[x + 160 + m + 16 * n] = (byte) trit((g + 32 + m) % 243, n, 5);
                }
            }
            for (int j = 0; j < 4; j++) {
                for (int n = 0; n < 4; n++) {
                    trits[x + 240 + j + 4 * n] = (byte) trit((g + j) % 81, n, 4);
                }
            }
        }
        for (Tq1Layout layout : new Tq1Layout[] {Tq1Layout.FOLD, Tq1Layout.TENSOR_SCALE}) {
            assertFastEqualsReference(weightsOf(trits, 243, 256), layout, "all groups, " + layout);
        }
    }

    /**
     * Random shapes (up to 40 blocks per row, so chunks of 64 blocks end mid-row) mixing all-zero blocks,
     * blocks with one nonzero weight (at a random element, so each region's nonzero test is hit) and dense ones.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void randomShapesWithZeroAndSparseBlocks(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int rows = 1 + rnd.nextInt(40);
        int cols = 256 * (1 + rnd.nextInt(40));
        float[] v = TestTensors.latent(rnd, rows * cols, 0.02f);
        for (int b = 0; b < rows * cols / 256; b++) {
            switch (rnd.nextInt(3)) {
                case 0 -> java.util.Arrays.fill(v, b * 256, b * 256 + 256, rnd.nextBoolean() ? 0f : -0f);
                case 1 -> {
                    java.util.Arrays.fill(v, b * 256, b * 256 + 256, 0f);
                    v[b * 256 + rnd.nextInt(256)] = rnd.nextBoolean() ? 0.5f : -0.5f;
                }
                default -> {
                }
            }
        }
        if (rnd.nextInt(4) == 0) {
            v[rnd.nextInt(v.length)] = 0.03f; // keep the tensor nonzero
        }
        Tensor w = TestTensors.matrix(DType.BF16, rows, cols, v);
        for (Tq1Layout layout : new Tq1Layout[] {Tq1Layout.FOLD, Tq1Layout.TENSOR_SCALE}) {
            assertFastEqualsReference(w, layout, "seed " + seed + ", " + layout + " " + rows + "x" + cols);
        }
    }

    /** An all-zero tensor: gamma 0, every d = 0 (fold) or 0 beside a .scale of 0 (tensor). */
    @Test
    void allZeroTensor() {
        Tensor w = TestTensors.matrix(DType.BF16, 3, 512, new float[3 * 512]);
        for (Tq1Layout layout : new Tq1Layout[] {Tq1Layout.FOLD, Tq1Layout.TENSOR_SCALE}) {
            assertFastEqualsReference(w, layout, "all zero, " + layout);
        }
    }
}
