package dev.ternpack.pack;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

/** Test helpers: readable hex golden vectors, and byte comparisons that say where they differ. */
final class Bytes {
    private Bytes() {
    }

    /**
     * Bytes of a hex string as FORMATS.md writes them: whitespace and {@code |} separate groups,
     * {@code hh×n} repeats one byte n times, any other token is plain hex.
     */
    static byte[] hex(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String token : text.trim().split("[\\s|]+")) {
            if (token.isEmpty()) {
                continue;
            }
            int times = token.indexOf('×');
            if (times >= 0) {
                byte b = HexFormat.of().parseHex(token.substring(0, times))[0];
                int n = Integer.parseInt(token.substring(times + 1));
                for (int i = 0; i < n; i++) {
                    out.write(b);
                }
            } else {
                out.writeBytes(HexFormat.of().parseHex(token));
            }
        }
        return out.toByteArray();
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    static byte[] toArray(MemorySegment seg) {
        return seg.toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * Fails unless {@code actual} equals {@code expected}; the message names the block of {@code blockBytes}
     * bytes where they first differ, the byte inside it, both values, and both blocks in hex.
     */
    static void assertBlocksEqual(byte[] expected, byte[] actual, int blockBytes, String what) {
        int n = Math.min(expected.length, actual.length);
        int first = -1;
        for (int i = 0; i < n; i++) {
            if (expected[i] != actual[i]) {
                first = i;
                break;
            }
        }
        if (first < 0 && expected.length == actual.length) {
            return;
        }
        if (first < 0) {
            fail(what + ": length " + actual.length + ", expected " + expected.length + " (equal up to byte " + n + ")");
        }
        int block = first / blockBytes;
        int from = block * blockBytes;
        int badBlocks = 0;
        for (int b = 0; b * blockBytes < n; b++) {
            for (int i = b * blockBytes; i < Math.min(n, (b + 1) * blockBytes); i++) {
                if (expected[i] != actual[i]) {
                    badBlocks++;
                    break;
                }
            }
        }
        fail(String.format("%s: %d block(s) of %d bytes differ; first is block %d, byte %d of it (offset %d):"
                        + " expected %02x, got %02x%n  expected block %s%n  actual   block %s",
                what, badBlocks, blockBytes, block, first - from, first, expected[first] & 0xFF, actual[first] & 0xFF,
                hex(java.util.Arrays.copyOfRange(expected, from, Math.min(expected.length, from + blockBytes))),
                hex(java.util.Arrays.copyOfRange(actual, from, Math.min(actual.length, from + blockBytes)))));
    }

    /** Fails unless the trit arrays are equal; names the first differing row and column. */
    static void assertTritsEqual(byte[] expected, byte[] actual, int cols, String what) {
        if (expected.length != actual.length) {
            fail(what + ": " + actual.length + " trits, expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                int diffs = 0;
                for (int j = i; j < expected.length; j++) {
                    diffs += expected[j] != actual[j] ? 1 : 0;
                }
                fail(what + ": " + diffs + " trit(s) differ; first at row " + i / cols + ", column " + i % cols
                        + " (flat " + i + ", block of 256: " + i / 256 + "): expected " + expected[i] + ", got "
                        + actual[i]);
            }
        }
    }
}
