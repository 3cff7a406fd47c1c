package dev.ternpack.verify.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The bit planes built a word at a time equal the one-trit-at-a-time reference, tails and errors included. */
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
        TernaryMatrix m = TernaryMatrix.fromTrits(trits, rows, cols, 0.5f);
        assertArrayEquals(ref[0], m.plusPlane(), "plus");
        assertArrayEquals(ref[1], m.minusPlane(), "minus");
    }

    @ParameterizedTest(name = "{2} at column {1} of {0}")
    @CsvSource({"256,70,2", "256,255,-2", "100,99,5", "128,0,-128", "64,63,127"})
    void aValueThatIsNoTritIsNamedWithItsColumn(int cols, int column, byte value) {
        byte[] trits = new byte[2 * cols];
        trits[cols + column] = value;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TernaryMatrix.fromTrits(trits, 2, cols, 1f));
        assertEquals("not a trit: " + value + " at row 1, column " + column, e.getMessage());
    }
}
