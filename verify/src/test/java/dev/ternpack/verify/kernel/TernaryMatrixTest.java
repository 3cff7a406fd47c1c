package dev.ternpack.verify.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The bit planes equal the one-trit-at-a-time reference, tails and errors included, however they are made: a word at
 * a time from trits ({@link TernaryMatrix#planesOf}, and matrices with block scales), or derived from the group codes
 * of a matrix that holds only those.
 */
class TernaryMatrixTest {

    /** The reference planes, straight from the definition: bit c % 64 of word r * words + c / 64. */
    private static long[][] referencePlanes(byte[] trits, int rows, int cols) {
        int words = TernaryMatrix.wordsPerRow(cols);
        long[] plus = new long[rows * words];
        long[] minus = new long[rows * words];
        for (int r = 0; r < rows; r++) {
            TernaryMatrix.planesScalar(trits, r * cols, 0, cols, plus, minus, r * words, r);
        }
        return new long[][] {plus, minus};
    }

    @ParameterizedTest(name = "{0}x{1}, seed {2}")
    @CsvSource({"1,64,1", "3,128,2", "5,2560,3", "7,100,4", "2,63,5", "4,1,6", "3,6912,7", "2,320,8"})
    void planesEqualTheReference(int rows, int cols, long seed) {
        Random rnd = new Random(seed);
        byte[] trits = new byte[rows * cols];
        for (int i = 0; i < trits.length; i++) {
            trits[i] = (byte) (rnd.nextInt(3) - 1);
        }
        if (cols >= 64) {
            java.util.Arrays.fill(trits, 0, 64, (byte) 1); // a word of all +1 (the sign bit of the long too)
        }
        long[][] ref = referencePlanes(trits, rows, cols);
        long[][] direct = TernaryMatrix.planesOf(trits, rows, cols);
        assertArrayEquals(ref[0], direct[0], "plus, from trits");
        assertArrayEquals(ref[1], direct[1], "minus, from trits");
        TernaryMatrix m = TernaryMatrix.fromTrits(trits, rows, cols, 0.5f);
        if (TritGroupKernels.AVAILABLE) {
            assertEquals(TritGroupKernels.rowBlocks(rows) * TritGroupKernels.groups(cols) * TritGroupKernels.ROWS,
                    m.byteSize(), "a matrix with group codes holds only those until its planes are asked for");
        }
        assertArrayEquals(ref[0], m.plusPlane(), "plus, " + (TritGroupKernels.AVAILABLE ? "from the codes" : "from trits"));
        assertArrayEquals(ref[1], m.minusPlane(), "minus");
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                assertEquals(trits[r * cols + c], m.trit(r, c), "trit at " + r + ", " + c);
            }
        }
        float[] blockScales = new float[rows * TernaryMatrix.blocksPerRow(cols)];
        java.util.Arrays.fill(blockScales, 2f);
        TernaryMatrix b = TernaryMatrix.fromTrits(trits, rows, cols, 0.5f, blockScales);
        assertArrayEquals(ref[0], b.plusPlane(), "plus, with block scales");
        assertArrayEquals(ref[1], b.minusPlane(), "minus, with block scales");
    }

    @ParameterizedTest(name = "{2} at column {1} of {0}")
    @CsvSource({"256,70,2", "256,255,-2", "100,99,5", "128,0,-128", "64,63,127"})
    void aValueThatIsNoTritIsNamedWithItsColumn(int cols, int column, byte value) {
        byte[] trits = new byte[2 * cols];
        trits[cols + column] = value;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TernaryMatrix.fromTrits(trits, 2, cols, 1f));
        assertEquals("not a trit: " + value + " at row 1, column " + column, e.getMessage());
        float[] blockScales = new float[2 * TernaryMatrix.blocksPerRow(cols)];
        e = assertThrows(IllegalArgumentException.class, () -> TernaryMatrix.fromTrits(trits, 2, cols, 1f, blockScales));
        assertEquals("not a trit: " + value + " at row 1, column " + column, e.getMessage(), "with block scales");
    }

    /**
     * Counts, mismatches and the first differing row, from the group codes and from the planes, against the
     * trits themselves: shapes with partial row blocks and partial groups, and differences in the last rows of a
     * block (the codes of a block are interleaved by row, so the first differing byte is not always the first row).
     */
    @ParameterizedTest(name = "{0}x{1}, seed {2}")
    @CsvSource({"1,64,1", "33,100,2", "64,2560,3", "70,7,4", "31,3,5", "96,320,6"})
    void auditsFromCodesAndPlanesEqualTheTrits(int rows, int cols, long seed) {
        Random rnd = new Random(seed);
        byte[] a = new byte[rows * cols];
        for (int i = 0; i < a.length; i++) {
            a[i] = (byte) (rnd.nextInt(3) - 1);
        }
        for (int flips : new int[] {0, 1, 5, 200}) {
            byte[] b = a.clone();
            for (int f = 0; f < flips; f++) {
                int at = f == 0 ? a.length - 1 : rnd.nextInt(a.length);
                b[at] = (byte) ((b[at] + 2) % 3 - 1);
            }
            long expected = 0;
            int firstRow = -1;
            for (int i = 0; i < a.length; i++) {
                if (a[i] != b[i]) {
                    expected++;
                    firstRow = firstRow < 0 ? i / cols : firstRow;
                }
            }
            long[] counts = new long[3];
            for (byte t : b) {
                counts[t + 1]++;
            }
            float[] ones = new float[rows * TernaryMatrix.blocksPerRow(cols)];
            java.util.Arrays.fill(ones, 1f);
            TernaryMatrix[][] pairs = {
                {TernaryMatrix.fromTrits(a, rows, cols, 1f), TernaryMatrix.fromTrits(b, rows, cols, 1f)},
                {TernaryMatrix.fromTrits(a, rows, cols, 1f, ones), TernaryMatrix.fromTrits(b, rows, cols, 1f, ones)},
                {TernaryMatrix.fromTrits(a, rows, cols, 1f), TernaryMatrix.fromTrits(b, rows, cols, 1f, ones)}};
            for (int p = 0; p < pairs.length; p++) {
                String where = flips + " flips, pair " + p;
                assertEquals(expected, pairs[p][1].countMismatches(pairs[p][0]), where + ": mismatches");
                assertEquals(expected, pairs[p][0].countMismatches(pairs[p][1]), where + ": mismatches, reversed");
                assertEquals(firstRow, pairs[p][1].firstMismatchRow(pairs[p][0]), where + ": first differing row");
                assertArrayEquals(counts, pairs[p][1].tritCounts(), where + ": counts");
            }
        }
    }
}
