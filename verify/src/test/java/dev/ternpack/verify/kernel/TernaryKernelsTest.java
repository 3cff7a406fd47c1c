package dev.ternpack.verify.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TernaryKernelsTest {

    private static byte[] randomTrits(Random rnd, int n) {
        byte[] t = new byte[n];
        for (int i = 0; i < n; i++) {
            t[i] = (byte) (rnd.nextInt(3) - 1);
        }
        return t;
    }

    private static float[] randomActivations(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian() * (i % 97 == 0 ? 20f : 1f);
        }
        return x;
    }

    /** Plain long arithmetic straight from the trits, independent of the bit planes. */
    private static long naiveDot(byte[] trits, int r, int cols, QuantizedActivations qa, int t, int from, int to) {
        long s = 0;
        for (int c = from; c < to; c++) {
            s += (long) trits[r * cols + c] * qa.q(t, c);
        }
        return s;
    }

    @ParameterizedTest(name = "{0} tokens x {1}x{2}, seed {3}")
    @CsvSource({"1,3,64,1", "5,70,256,2", "9,130,2560,3", "4,64,17000,4", "7,33,100,5", "8,128,255,6", "13,260,6912,7",
            "4,129,258,8", "12,640,2561,9"})
    void vectorPathEqualsReferencePerToken(int tokens, int rows, int cols, long seed) {
        Random rnd = new Random(seed);
        byte[] trits = randomTrits(rnd, rows * cols);
        TernaryMatrix w = TernaryMatrix.fromTrits(trits, rows, cols, 0.0123f);
        QuantizedActivations qa = QuantizedActivations.perToken(randomActivations(rnd, tokens * cols), tokens, cols);
        float[] ref = new float[tokens * rows];
        float[] fast = new float[tokens * rows];
        TernaryKernels.matmulReference(qa, w, ref);
        try (Parallel p = new Parallel(2)) {
            TernaryKernels.matmul(qa, w, fast, p);
        }
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                long dot = naiveDot(trits, r, cols, qa, t, 0, cols);
                float expected = (float) dot / qa.tokenScale(t) * 0.0123f;
                assertEquals(expected, ref[t * rows + r], "reference, token " + t + " row " + r);
                assertEquals(expected, fast[t * rows + r], "vector, token " + t + " row " + r);
            }
        }
    }

    /**
     * Both bit-plane paths, whichever this machine would pick: the planes as masks, and (on machines with at most
     * 16 int16 lanes, i.e. AVX2) decoded into trit lanes; per-token scales, per-block weight scales and runtime
     * Q8_K activations; tokens not a multiple of the 8 held at once; rows and columns with ragged ends. Each equals
     * the reference bit for bit.
     */
    @ParameterizedTest(name = "lane trits {0}: {1} tokens x {2}x{3}")
    @CsvSource({"false,9,130,2560,31", "true,9,130,2560,31", "false,13,70,6912,32", "true,13,70,6912,32",
            "false,3,5,100,33", "true,3,5,100,33", "true,17,64,4097,34", "false,17,64,4097,34"})
    void bitPlanePathsEqualReference(boolean laneTrits, int tokens, int rows, int cols, long seed) {
        org.junit.jupiter.api.Assumptions.assumeTrue(!laneTrits || ShortVectorLanes.AT_MOST_16,
                "trit lanes need at most 16 int16 lanes");
        Random rnd = new Random(seed);
        byte[] trits = randomTrits(rnd, rows * cols);
        TernaryMatrix perTensor = TernaryMatrix.fromTrits(trits, rows, cols, 0.0123f);
        int blocks = (cols + 255) / 256;
        float[] blockScales = new float[rows * blocks];
        for (int i = 0; i < blockScales.length; i++) {
            blockScales[i] = 0.5f + rnd.nextFloat();
        }
        TernaryMatrix blocked = cols % 256 == 0 ? TernaryMatrix.fromTrits(trits, rows, cols, 0.25f, blockScales) : null;
        float[] x = randomActivations(rnd, tokens * cols);
        List<Object[]> cases = new java.util.ArrayList<>();
        cases.add(new Object[] {QuantizedActivations.perToken(x, tokens, cols), perTensor, "per-token"});
        if (blocked != null) {
            cases.add(new Object[] {QuantizedActivations.perToken(x, tokens, cols), blocked, "block scales"});
            cases.add(new Object[] {QuantizedActivations.q8k(x, tokens, cols), blocked, "runtime Q8_K"});
        }
        for (Object[] c : cases) {
            QuantizedActivations qa = (QuantizedActivations) c[0];
            TernaryMatrix w = (TernaryMatrix) c[1];
            float[] ref = new float[tokens * rows];
            float[] fast = new float[tokens * rows];
            TernaryKernels.matmulReference(qa, w, ref);
            try (Parallel p = new Parallel(2)) {
                TernaryKernels.matmulBitPlanes(qa, w, fast, p, laneTrits);
            }
            for (int i = 0; i < ref.length; i++) {
                assertEquals(ref[i], fast[i], c[2] + ", token " + i / rows + " row " + i % rows);
            }
        }
    }

    /** The trit lanes of one 16-bit slice: +1 where plus has the bit, -1 where minus has it, else 0. */
    @org.junit.jupiter.api.Test
    void tritLanesDecodeEachBit() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ShortVectorLanes.AT_MOST_16, "trit lanes need at most 16 lanes");
        long plus = 0b1000_0000_0000_0101L << 16;
        long minus = 0b0100_0000_0000_1010L << 16;
        short[] lanes = TernaryKernels.tritLanes(plus, minus, 16).toArray();
        for (int i = 0; i < lanes.length; i++) {
            int expected = (plus >>> (16 + i) & 1) == 1 ? 1 : (minus >>> (16 + i) & 1) == 1 ? -1 : 0;
            assertEquals(expected, lanes[i], "lane " + i);
        }
        assertEquals(1, lanes[0]);
        assertEquals(-1, lanes[1]);
        if (lanes.length == 16) {
            assertEquals(1, lanes[15], "bit 15, the sign bit of the broadcast short");
            assertEquals(-1, lanes[14]);
        }
    }

    /** Whether this machine's preferred int16 vectors have at most 16 lanes. */
    private static final class ShortVectorLanes {
        static final boolean AT_MOST_16 = jdk.incubator.vector.ShortVector.SPECIES_PREFERRED.length() <= 16;
    }

    /**
     * The worst case for the int16 accumulators of the table-lookup path: every activation at 127 and every trit
     * of a row equal, over many flush periods; the dot product is then cols * 127 * trit exactly.
     */
    @ParameterizedTest(name = "all trits {0}, {1} columns")
    @CsvSource({"1,17000", "-1,17000", "1,255", "-1,256"})
    void extremeSumsStayExact(int trit, int cols) {
        int tokens = 9;
        int rows = 140;
        byte[] trits = new byte[rows * cols];
        java.util.Arrays.fill(trits, (byte) trit);
        float[] x = new float[tokens * cols];
        java.util.Arrays.fill(x, 0.75f);
        QuantizedActivations qa = QuantizedActivations.perToken(x, tokens, cols);
        assertEquals(127, qa.q(0, cols - 1));
        TernaryMatrix w = TernaryMatrix.fromTrits(trits, rows, cols, 0.5f);
        float expected = (float) ((long) cols * 127 * trit) / qa.tokenScale(0) * 0.5f;
        for (int path = 0; path < 3; path++) {
            if (path == 2 && !ShortVectorLanes.AT_MOST_16) {
                continue;
            }
            float[] fast = new float[tokens * rows];
            try (Parallel p = new Parallel(2)) {
                if (path == 0) {
                    TernaryKernels.matmul(qa, w, fast, p);
                } else {
                    TernaryKernels.matmulBitPlanes(qa, w, fast, p, path == 2);
                }
            }
            for (int i = 0; i < fast.length; i++) {
                assertEquals(expected, fast[i], "path " + path + ", token " + i / rows + " row " + i % rows);
            }
        }
    }

    /**
     * The group codes are the base-3 codes of the trits, zero trits past the last column: the vector build (21
     * groups per 64-byte load, then the rest of the row one by one) and the scalar one, on rows shorter than one
     * load, exactly one load, and ending inside or just past a load.
     */
    @ParameterizedTest(name = "{0} columns")
    @CsvSource({"130", "17", "63", "64", "65", "127", "2560", "2561", "6912"})
    void groupCodesAreBase3OfThreeTrits(int cols) {
        Random rnd = new Random(21 + cols);
        int rows = 37;
        byte[] trits = randomTrits(rnd, rows * cols);
        int groups = (cols + 2) / 3;
        for (boolean vector : new boolean[] {true, false}) {
            byte[] codes = TritGroupKernels.buildCodes(trits, rows, cols, vector);
            assertEquals(2 * groups * 32, codes.length);
            for (int r = 0; r < 64; r++) {
                for (int g = 0; g < groups; g++) {
                    int expected = 0;
                    for (int i = 2; i >= 0; i--) {
                        int c = 3 * g + i;
                        expected = expected * 3 + (r < rows && c < cols ? trits[r * cols + c] : 0) + 1;
                    }
                    assertEquals(expected, codes[((r / 32) * groups + g) * 32 + r % 32],
                            (vector ? "vector" : "scalar") + ", row " + r + " group " + g);
                }
            }
        }
    }

    @ParameterizedTest(name = "runtime Q8_K {0} tokens x {1}x{2}")
    @CsvSource({"3,5,256,11", "6,67,1024,12"})
    void vectorPathEqualsReferenceWithBlocks(int tokens, int rows, int cols, long seed) {
        Random rnd = new Random(seed);
        byte[] trits = randomTrits(rnd, rows * cols);
        float[] blockScales = new float[rows * (cols / 256)];
        for (int i = 0; i < blockScales.length; i++) {
            blockScales[i] = 0.5f + rnd.nextFloat();
        }
        TernaryMatrix w = TernaryMatrix.fromTrits(trits, rows, cols, 0.25f, blockScales);
        for (QuantizedActivations qa : new QuantizedActivations[] {
                QuantizedActivations.q8k(randomActivations(rnd, tokens * cols), tokens, cols),
                QuantizedActivations.perToken(randomActivations(rnd, tokens * cols), tokens, cols)}) {
            float[] ref = new float[tokens * rows];
            float[] fast = new float[tokens * rows];
            TernaryKernels.matmulReference(qa, w, ref);
            try (Parallel p = new Parallel(2)) {
                TernaryKernels.matmul(qa, w, fast, p);
            }
            for (int i = 0; i < ref.length; i++) {
                assertEquals(ref[i], fast[i], "token " + i / rows + " row " + i % rows);
            }
        }
    }

    @Test
    void q8kMatchesTheGgmlFormula() {
        // Hand-worked case from quantize_row_q8_K_ref: the value of largest magnitude is -2, so
        // iscale = -127 / -2 = 63.5 and d = 1 / 63.5; x = 1 gives 63.5 -> 64 (half to even), x = -2 gives -127.
        float[] x = new float[256];
        x[0] = -2f;
        x[1] = 1f;
        x[2] = 0.5f; // 31.75 -> 32
        x[3] = -1f; // -63.5 -> -64
        QuantizedActivations qa = QuantizedActivations.q8k(x, 1, 256);
        assertEquals(-127, qa.q(0, 0));
        assertEquals(64, qa.q(0, 1));
        assertEquals(32, qa.q(0, 2));
        assertEquals(-64, qa.q(0, 3));
        assertEquals(0, qa.q(0, 4));
        // Positive extreme: iscale = -127 / 2 = -63.5, so x = 2 maps to -127 and the sign rides on d.
        x[0] = 2f;
        QuantizedActivations qb = QuantizedActivations.q8k(x, 1, 256);
        assertEquals(-127, qb.q(0, 0));
        assertEquals(-64, qb.q(0, 1));
    }
}
