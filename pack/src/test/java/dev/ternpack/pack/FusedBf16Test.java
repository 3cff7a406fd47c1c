package dev.ternpack.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.DType;
import dev.ternpack.formats.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fast BF16 ternarize-and-pack ({@link FusedBf16}: bits straight to packed bytes; for TQ1_0 only with 32-lane
 * vectors, else the fast quantize pass and packer) against ternarize-then-pack with the reference implementation,
 * where it is most likely to go wrong: weights exactly on and one bf16 step either
 * side of the rounding thresholds and of the near-threshold bounds, tensors long enough for the per-lane counters
 * to be folded many times, HF rows longer than one column chunk, and scales at the ends of the float range.
 */
class FusedBf16Test {

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 8);
    }

    /** Shapes for a layout: several counter folds (more than 16384 weights); HF rows % 4 != 0, odd columns. */
    private static int[] shape(SplittableRandom rnd, TernaryLayout layout) {
        return switch (layout) {
            case Tq2Layout l -> new int[] {20 + rnd.nextInt(60), 256 * (1 + rnd.nextInt(4))};
            case Tq1Layout l -> new int[] {20 + rnd.nextInt(60), 256 * (1 + rnd.nextInt(4))};
            case I2sLayout l -> new int[] {20 + rnd.nextInt(60), 128 * (1 + rnd.nextInt(8))};
            case Hf2BitLayout l -> rnd.nextBoolean()
                    ? new int[] {4 * (1 + rnd.nextInt(4)) + 1 + rnd.nextInt(3), FusedBf16.HF_CHUNK_COLUMNS + 1 + rnd.nextInt(300)}
                    : new int[] {50 + rnd.nextInt(60), 1 + rnd.nextInt(700)};
        };
    }

    /** The bf16 nearest below (or at) a float. */
    private static float bf16(float v) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(v) & 0xFFFF0000);
    }

    private static float bf16Step(float v, int steps) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(v) + steps * 0x10000);
    }

    /**
     * Latent BF16 weights with a quarter of them placed on the magnitudes where the trit or the near-threshold
     * count changes: {@code 0.5/s}, {@code 1.5/s}, {@code (0.5 ± 1/256)/s}, {@code (1.5 ± 1/256)/s} and their bf16
     * neighbours, both signs, for the scale the tensor ends up with (iterated until it stops moving).
     */
    private static Tensor atTheThresholds(SplittableRandom rnd, int rows, int cols) {
        float[] v = TestTensors.latent(rnd, rows * cols, 0.02f);
        for (int i = 0; i < v.length; i++) {
            v[i] = bf16(v[i]);
        }
        int[] at = rnd.ints(v.length / 4, 0, v.length).toArray();
        float[] marks = {0.5f, 1.5f, 0.5f - 1f / 256, 0.5f + 1f / 256, 1.5f - 1f / 256, 1.5f + 1f / 256};
        float inverse = 0;
        for (int iteration = 0; iteration < 20; iteration++) {
            float s = AbsmeanQuantizer.scale(TestTensors.matrix(DType.BF16, rows, cols, v), Implementation.REFERENCE)
                    .inverse();
            if (s == inverse) {
                break;
            }
            inverse = s;
            for (int k = 0; k < at.length; k++) {
                float w = bf16(marks[k % marks.length] / s);
                w = bf16Step(w, k / marks.length % 3 - 1);
                v[at[k]] = k % 2 == 0 ? w : -w;
            }
        }
        return TestTensors.matrix(DType.BF16, rows, cols, v);
    }

    private static void assertFusedEqualsReference(Tensor w, TernaryLayout layout, String where) {
        int rows = (int) w.dim(0);
        int cols = (int) w.dim(1);
        Ternarization t = AbsmeanQuantizer.ternarize(w, Implementation.REFERENCE);
        MemorySegment expected = MemorySegment.ofArray(new byte[(int) layout.packedSize(rows, cols)]);
        Optional<Float> expectedScale = layout.pack(t.tensor(), expected, Implementation.REFERENCE);
        MemorySegment actual = MemorySegment.ofArray(new byte[(int) layout.packedSize(rows, cols)]);
        actual.fill((byte) 0xA5); // every byte must be written
        PackedTernarization fused = AbsmeanQuantizer.ternarizeAndPack(w, layout, actual, Implementation.FAST);
        int block = switch (layout) {
            case Tq2Layout l -> Tq2Layout.BLOCK_BYTES;
            case Tq1Layout l -> Tq1Layout.BLOCK_BYTES;
            case I2sLayout l -> I2sLayout.BLOCK_BYTES;
            case Hf2BitLayout l -> Math.min(cols, 64); // a packed row can be long: report 64-byte pieces
        };
        Bytes.assertBlocksEqual(Bytes.toArray(expected), Bytes.toArray(actual), block, where);
        assertEquals(t.stats(), fused.stats(), where + " counts");
        assertEquals(t.scale(), fused.scale(), where);
        assertEquals(expectedScale, fused.scaleTensor(), where);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void fusedEqualsReferenceAtTheThresholds(long seed) {
        for (TernaryLayout layout : LayoutPropertyTest.LAYOUTS) {
            SplittableRandom rnd = new SplittableRandom(seed * 7919 + layout.hashCode());
            int[] shape = shape(rnd, layout);
            Tensor w = atTheThresholds(rnd, shape[0], shape[1]);
            Ternarization t = AbsmeanQuantizer.ternarize(w, Implementation.REFERENCE);
            String where = "seed " + seed + ", " + layout + " " + shape[0] + "x" + shape[1];
            assertTrue(t.stats().nearThreshold() > (long) shape[0] * shape[1] / 16, where + ": " + t.stats());
            assertFusedEqualsReference(w, layout, where);
        }
    }

    /**
     * Blocks whose trits are all zero next to blocks with a single nonzero trit, at positions 37 apart from block to
     * block and shifted by the seed (so over the seeds in many lanes and code positions of the packed bytes), of
     * either sign: the fold-mode d is 0 for the first and gamma for the second.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void fusedEqualsReferenceWithAllZeroAndSingleTritBlocks(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int rows = 16;
        int cols = 256 * 4;
        for (TernaryLayout layout : LayoutPropertyTest.LAYOUTS) {
            float[] v = TestTensors.latent(rnd, rows * cols, 0.02f);
            int blocks = v.length / 256;
            for (int b = 0; b < blocks; b++) {
                int kind = b % 3; // 0: dense, 1: all zero, 2: one nonzero trit
                if (kind == 0) {
                    continue;
                }
                for (int i = 0; i < 256; i++) {
                    v[256 * b + i] = bf16(v[256 * b + i] * 1e-4f);
                }
                if (kind == 2) {
                    int at = (int) ((b * 37L + seed * 101) % 256);
                    v[256 * b + at] = b % 2 == 0 ? 0.05f : -0.05f;
                }
            }
            Tensor w = TestTensors.matrix(DType.BF16, rows, cols, v);
            assertFusedEqualsReference(w, layout, "seed " + seed + ", " + layout);
        }
    }

    /** Scales at the ends of the float range: some near-threshold ranges are empty, s may be subnormal. */
    @ParameterizedTest
    @MethodSource("seeds")
    void fusedEqualsReferenceAtTheEdgesOfTheFloatRange(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (float magnitude : new float[] {3e38f, 1e-38f, 1e-30f, 1e-6f}) {
            for (TernaryLayout layout : List.of(Tq2Layout.FOLD, Tq2Layout.TENSOR_SCALE, Tq1Layout.TENSOR_SCALE,
                    I2sLayout.INSTANCE, Hf2BitLayout.AUTOBITLINEAR)) {
                int rows = 1 + rnd.nextInt(9);
                int cols = layout instanceof Hf2BitLayout ? 1 + rnd.nextInt(200) : 256 * (1 + rnd.nextInt(2));
                float[] v = new float[rows * cols];
                for (int i = 0; i < v.length; i++) {
                    float x = (float) (magnitude * (0.2 + rnd.nextDouble()) * (rnd.nextBoolean() ? 1 : -1));
                    v[i] = Float.isFinite(x) ? x : Float.MAX_VALUE;
                }
                Tensor w = TestTensors.matrix(DType.BF16, rows, cols, v);
                String where = "seed " + seed + ", " + layout + " " + rows + "x" + cols + ", |w| ~ " + magnitude;
                if (layout instanceof Tq2Layout(ScaleMode m) && m == ScaleMode.FOLD && magnitude > 1e5f) {
                    continue; // gamma beyond fp16: fold mode refuses it (LayoutErrorTest)
                }
                assertFusedEqualsReference(w, layout, where);
            }
        }
    }
}
