package dev.ternpack.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every possible group of trits through every byte code: the 243 five-trit groups of a TQ1_0 byte (in both
 * {@code qs} regions), the 81 four-trit groups of a TQ1_0 {@code qh} byte, and the 81 four-trit groups of a
 * 2-bit byte in the TQ2_0, I2_S and HF bit orders. The expected byte is computed here from the FORMATS.md
 * formula for that one byte, and unpacking must give the group back.
 */
class ExhaustiveCodeTest {

    /** Digit n (0 = most significant) of group g in base 3, as a trit. */
    private static int trit(int g, int n, int digits) {
        int v = g;
        for (int k = digits - 1; k > n; k--) {
            v /= 3;
        }
        return v % 3 - 1;
    }

    private static byte[] packAndCheckRoundTrip(TernaryLayout layout, TernaryTensor t, Implementation impl) {
        MemorySegment dst = MemorySegment.ofArray(new byte[(int) layout.packedSize(t.rows(), t.cols())]);
        Optional<Float> scaleTensor = layout.pack(t, dst, impl);
        TernaryTensor back = layout.unpack(new PackedTensor(t.name(), null, t.rows(), t.cols(), dst, scaleTensor), impl);
        Bytes.assertTritsEqual(t.trits(), back.trits(), t.cols(), layout.displayName() + " " + impl);
        return Bytes.toArray(dst);
    }

    /** Row g of a 243-row tensor holds group g at the elements of qs[0], qs[32] and (first 81 rows) qh[0]. */
    @ParameterizedTest
    @EnumSource(Implementation.class)
    void tq1AllFiveTritGroups(Implementation impl) {
        byte[] trits = new byte[243 * 256];
        for (int g = 0; g < 243; g++) {
            for (int n = 0; n < 5; n++) {
                trits[g * 256 + 32 * n] = (byte) trit(g, n, 5);          // qs[0]: x[0], x[32], ..., x[128]
                trits[g * 256 + 160 + 16 * n] = (byte) trit(g, n, 5);   // qs[32]: x[160], x[176], ..., x[224]
            }
            if (g < 81) {
                for (int n = 0; n < 4; n++) {
                    trits[g * 256 + 240 + 4 * n] = (byte) trit(g, n, 4); // qh[0]: x[240], x[244], x[248], x[252]
                }
            }
        }
        byte[] packed = packAndCheckRoundTrip(Tq1Layout.FOLD, TernaryTensor.of("tq1", null, 243, 256, trits, 1f), impl);
        for (int g = 0; g < 243; g++) {
            int block = g * Tq1Layout.BLOCK_BYTES;
            int expected = (g * 256 + 242) / 243; // group value v = g, byte = ceil(v * 256 / 243)
            assertEquals(expected, packed[block] & 0xFF, "qs[0] of group " + g);
            assertEquals(expected, packed[block + 32] & 0xFF, "qs[32] of group " + g);
            int qhValue = g < 81 ? 3 * g : 3 * 40; // four codes shifted up one digit; 40 = all-zero group
            assertEquals((qhValue * 256 + 242) / 243, packed[block + 48] & 0xFF, "qh[0] of group " + g);
            for (int n = 0; n < 5; n++) {
                // ggml's decoding: q = (uint8)(b * 3^n), digit = (q * 3) >> 8
                int q = (packed[block] & 0xFF) * (int) Math.pow(3, n) & 0xFF;
                assertEquals(trit(g, n, 5) + 1, (q * 3) >> 8, "digit " + n + " of group " + g);
            }
        }
    }

    /** Row g of an 81-row tensor holds group g at the four trits of the first 2-bit byte. */
    @ParameterizedTest
    @EnumSource(Implementation.class)
    void twoBitAllFourTritGroups(Implementation impl) {
        // TQ2_0: qs[0] bits 1:0, 3:2, 5:4, 7:6 = x[0], x[32], x[64], x[96].
        byte[] tq2 = new byte[81 * 256];
        // I2_S: byte 0 bits 7:6, 5:4, 3:2, 1:0 = x[0], x[32], x[64], x[96].
        byte[] i2s = new byte[81 * 128];
        // HF: packed row j, column c bits 1:0, 3:2, 5:4, 7:6 = W[j, c], W[j+P, c], W[j+2P, c], W[j+3P, c]; P = 81.
        byte[] hf = new byte[4 * 81];
        for (int g = 0; g < 81; g++) {
            for (int n = 0; n < 4; n++) {
                tq2[g * 256 + 32 * n] = (byte) trit(g, n, 4);
                i2s[g * 128 + 32 * n] = (byte) trit(g, n, 4);
                hf[n * 81 + g] = (byte) trit(g, n, 4);
            }
        }
        byte[] p2 = packAndCheckRoundTrip(Tq2Layout.FOLD, TernaryTensor.of("tq2", null, 81, 256, tq2, 1f), impl);
        byte[] pi = packAndCheckRoundTrip(I2sLayout.INSTANCE, TernaryTensor.of("i2s", null, 81, 128, i2s, 1f), impl);
        byte[] ph = packAndCheckRoundTrip(Hf2BitLayout.AUTOBITLINEAR, TernaryTensor.of("hf", null, 4 * 81, 1, hf, 1f), impl);
        for (int g = 0; g < 81; g++) {
            int c0 = trit(g, 0, 4) + 1;
            int c1 = trit(g, 1, 4) + 1;
            int c2 = trit(g, 2, 4) + 1;
            int c3 = trit(g, 3, 4) + 1;
            assertEquals(c0 | c1 << 2 | c2 << 4 | c3 << 6, p2[g * Tq2Layout.BLOCK_BYTES] & 0xFF, "TQ2_0 group " + g);
            assertEquals(c0 << 6 | c1 << 4 | c2 << 2 | c3, pi[g * I2sLayout.BLOCK_BYTES] & 0xFF, "I2_S group " + g);
            assertEquals(c0 | c1 << 2 | c2 << 4 | c3 << 6, ph[g] & 0xFF, "HF group " + g);
        }
    }
}
