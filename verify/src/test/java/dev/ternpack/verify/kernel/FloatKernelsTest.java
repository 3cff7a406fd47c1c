package dev.ternpack.verify.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FloatKernelsTest {

    /**
     * The lane sum is a fixed butterfly (lane i + lane i^(n/2), then ^(n/4), ...), the same bits whether the
     * JIT has compiled the kernel or not: checked against that order written out in scalar code, on values
     * where the order of float additions changes the result, before and after many warm-up calls.
     */
    @org.junit.jupiter.api.Test
    void laneSumHasOneFixedOrder() {
        var species = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        int n = species.length();
        Random rnd = new Random(3);
        float[][] cases = new float[64][n];
        for (float[] c : cases) {
            for (int i = 0; i < n; i++) {
                c[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
            }
        }
        float[] first = new float[cases.length];
        for (int round = 0; round < 20_000; round++) {
            for (int k = 0; k < cases.length; k++) {
                float got = FloatKernels.sumLanes(jdk.incubator.vector.FloatVector.fromArray(species, cases[k], 0));
                if (round == 0) {
                    float[] v = cases[k].clone();
                    for (int d = n / 2; d >= 1; d /= 2) {
                        float[] w = new float[n];
                        for (int i = 0; i < n; i++) {
                            w[i] = v[i] + v[i ^ d];
                        }
                        v = w;
                    }
                    assertEquals(Float.floatToRawIntBits(v[0]), Float.floatToRawIntBits(got), "case " + k);
                    first[k] = got;
                } else if (Float.floatToRawIntBits(first[k]) != Float.floatToRawIntBits(got)) {
                    assertEquals(first[k], got, "case " + k + " changed after " + round + " calls");
                }
            }
        }
    }

    /** The transposed lane sums of 16 and of 8 spilled vectors equal the vector butterfly of each, bit for bit. */
    @ParameterizedTest(name = "{0} vectors")
    @CsvSource({"16", "8", "1"})
    void spilledLaneSumsEqualTheButterfly(int n) {
        var species = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        int lanes = species.length();
        Random rnd = new Random(n);
        for (int round = 0; round < 200; round++) {
            float[] spill = new float[16 * lanes];
            for (int i = 0; i < spill.length; i++) {
                spill[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
            }
            float[] want = new float[n];
            for (int k = 0; k < n; k++) {
                want[k] = FloatKernels.sumLanes(jdk.incubator.vector.FloatVector.fromArray(species, spill, k * lanes));
            }
            FloatKernels.sumLanes(spill, n);
            for (int k = 0; k < n; k++) {
                assertEquals(Float.floatToRawIntBits(want[k]), Float.floatToRawIntBits(spill[k]),
                        "round " + round + ", vector " + k + ": " + want[k] + " vs " + spill[k]);
            }
        }
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    /** Naive double-precision sum, independent of both kernels. */
    private static double naive(float[] x, int t, float[] w, int r, int cols) {
        double s = 0;
        for (int c = 0; c < cols; c++) {
            s += (double) x[t * cols + c] * w[r * cols + c];
        }
        return s;
    }

    // Both paths add each lane's products in column order and end with the same butterfly (the blocked one
    // transposed, four or sixteen accumulators at a time), so they agree bit for bit.
    @ParameterizedTest(name = "{0} tokens x {1}x{2}, {3} threads")
    @CsvSource({"1,1,1,1", "2,4,16,2", "3,5,17,1", "5,37,100,2", "8,64,256,2", "7,33,2560,2", "4,70,31,1", "0,9,64,2",
            "6,8,48,1"})
    void blockedDenseEqualsReferenceBitForBit(int tokens, int rows, int cols, int threads) {
        Random rnd = new Random(tokens * 1000L + rows * 7L + cols);
        float[] w = gaussian(rnd, rows * cols);
        if (rows > 2) {
            java.util.Arrays.fill(w, cols, 2 * cols, 0f); // an all-zero row
        }
        float[] x = gaussian(rnd, tokens * cols);
        DenseMatrix m = DenseMatrix.of(w, rows, cols);
        float[] ref = new float[tokens * rows];
        float[] fast = new float[tokens * rows];
        try (Parallel p = new Parallel(threads)) {
            FloatKernels.matmulReference(x, tokens, m, ref, p);
            FloatKernels.matmul(x, tokens, m, fast, p);
        }
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                int i = t * rows + r;
                assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(fast[i]),
                        "token " + t + " row " + r + ": " + ref[i] + " vs " + fast[i]);
                assertEquals(naive(x, t, w, r, cols), ref[i], 1e-4 * Math.sqrt(cols) + 1e-5, "naive, token " + t);
            }
        }
    }

    @ParameterizedTest(name = "F16 {0} tokens x {1}x{2}")
    @CsvSource({"3,41,96", "6,128,2560"})
    void blockedDenseOnF16EqualsReference(int tokens, int rows, int cols) {
        Random rnd = new Random(rows);
        float[] w = gaussian(rnd, rows * cols);
        float[] x = gaussian(rnd, tokens * cols);
        try (Arena arena = Arena.ofShared(); Parallel p = new Parallel(2)) {
            MemorySegment seg = arena.allocate(2L * w.length);
            var u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < w.length; i++) {
                seg.set(u16, 2L * i, Float.floatToFloat16(w[i]));
            }
            DenseMatrix m = DenseMatrix.of(seg, DenseMatrix.Encoding.F16, rows, cols);
            float[] ref = new float[tokens * rows];
            float[] fast = new float[tokens * rows];
            FloatKernels.matmulReference(x, tokens, m, ref, p);
            FloatKernels.matmul(x, tokens, m, fast, p);
            for (int i = 0; i < ref.length; i++) {
                assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(fast[i]),
                        "index " + i + ": " + ref[i] + " vs " + fast[i]);
            }
        }
    }
}
