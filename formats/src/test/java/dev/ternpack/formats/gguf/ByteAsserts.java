package dev.ternpack.formats.gguf;

import static org.junit.jupiter.api.Assertions.fail;

/** Byte comparisons that report where two arrays differ, instead of a bare "arrays differ". */
final class ByteAsserts {
    private ByteAsserts() {
    }

    static void assertBytes(byte[] expected, byte[] actual, String what) {
        int n = Math.min(expected.length, actual.length);
        for (int i = 0; i < n; i++) {
            if (expected[i] != actual[i]) {
                fail(String.format("%s: first difference at byte %d (0x%x): expected 0x%02X, got 0x%02X"
                        + " (lengths %d, %d)", what, i, i, expected[i] & 0xFF, actual[i] & 0xFF, expected.length,
                        actual.length));
            }
        }
        if (expected.length != actual.length) {
            fail(what + ": same first " + n + " bytes but lengths differ: expected " + expected.length + ", got "
                    + actual.length);
        }
    }
}
