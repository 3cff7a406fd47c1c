package dev.ternpack.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.DType;
import dev.ternpack.formats.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every layout against the byte vectors and worked examples of FORMATS.md (testdata/golden/formats-md-vectors.txt
 * and the single bytes the sections state), packing and unpacking, with both implementations.
 */
class GoldenVectorTest {

    /** FORMATS.md Appendix A, V1: t[i] = (i % 3) - 1. */
    static byte[] v1(int n) {
        byte[] t = new byte[n];
        for (int i = 0; i < n; i++) {
            t[i] = (byte) (i % 3 - 1);
        }
        return t;
    }

    /** FORMATS.md Appendix A, V2: t[i] = ((i*i + 1) % 3) - 1. */
    static byte[] v2(int n) {
        byte[] t = new byte[n];
        for (int i = 0; i < n; i++) {
            t[i] = (byte) ((i * i + 1) % 3 - 1);
        }
        return t;
    }

    /** The trits of the §1.5 worked example (one 256-element block). */
    static byte[] section15() {
        byte[] t = new byte[256];
        t[0] = 1;
        t[32] = 0;
        t[64] = -1;
        t[96] = 1;
        t[128] = 0;
        t[1] = -1;
        t[129] = 1;
        for (int e : new int[] {160, 176, 192, 208, 224}) {
            t[e] = -1;
        }
        t[240] = 1;
        t[244] = -1;
        t[248] = 0;
        t[252] = 1;
        return t;
    }

    static byte[] pack(TernaryLayout layout, TernaryTensor t, Implementation impl) {
        MemorySegment dst = MemorySegment.ofArray(new byte[(int) layout.packedSize(t.rows(), t.cols())]);
        dst.fill((byte) 0xEE); // every byte must be written
        layout.pack(t, dst, impl);
        return Bytes.toArray(dst);
    }

    private static void check(TernaryLayout layout, TernaryTensor t, String golden, int blockBytes, Implementation impl) {
        byte[] expected = Fixtures.golden(golden);
        MemorySegment dst = MemorySegment.ofArray(new byte[(int) layout.packedSize(t.rows(), t.cols())]);
        dst.fill((byte) 0xEE); // every byte must be written
        Optional<Float> scaleTensor = layout.pack(t, dst, impl);
        Bytes.assertBlocksEqual(expected, Bytes.toArray(dst), blockBytes, golden + " " + impl);
        TernaryTensor back = layout.unpack(new PackedTensor(t.name(), null, t.rows(), t.cols(),
                MemorySegment.ofArray(expected), scaleTensor), impl);
        Bytes.assertTritsEqual(t.trits(), back.trits(), t.cols(), golden + " unpacked " + impl);
        boolean folded = layout instanceof Tq1Layout(ScaleMode m) && m == ScaleMode.FOLD
                || layout instanceof Tq2Layout(ScaleMode m2) && m2 == ScaleMode.FOLD;
        float scale = folded ? Float.float16ToFloat(Float.floatToFloat16(t.tensorScale())) : t.tensorScale();
        assertEquals(scale, back.tensorScale(), golden + " scale (fold mode rounds it to fp16)");
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void appendixAVector1(Implementation impl) {
        TernaryTensor t = TernaryTensor.of("v1", null, 1, 256, v1(256), 1.0f);
        check(Tq1Layout.FOLD, t, "appendix-a.v1.tq1_0", Tq1Layout.BLOCK_BYTES, impl);
        check(Tq2Layout.FOLD, t, "appendix-a.v1.tq2_0", Tq2Layout.BLOCK_BYTES, impl);
        check(I2sLayout.INSTANCE, t, "appendix-a.v1.i2_s", I2sLayout.BLOCK_BYTES, impl);
        // Scale 1.0 folded is also what tensor mode writes for any nonzero block.
        check(Tq2Layout.TENSOR_SCALE, t, "appendix-a.v1.tq2_0", Tq2Layout.BLOCK_BYTES, impl);
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void appendixAVector2(Implementation impl) {
        TernaryTensor t = TernaryTensor.of("v2", null, 1, 256, v2(256), 0.0123f);
        assertEquals(0x224C, Float.floatToFloat16(0.0123f), "FORMATS.md: fp16(0.0123) = 0x224C");
        check(Tq1Layout.FOLD, t, "appendix-a.v2.tq1_0", Tq1Layout.BLOCK_BYTES, impl);
        check(Tq2Layout.FOLD, t, "appendix-a.v2.tq2_0", Tq2Layout.BLOCK_BYTES, impl);
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void section15WorkedExample(Implementation impl) {
        TernaryTensor t = TernaryTensor.of("s15", null, 1, 256, section15(), 0.5f);
        byte[] tq1 = pack(Tq1Layout.FOLD, t, impl);
        assertEquals(0xCF, tq1[0] & 0xFF, "TQ1_0 qs[0] (codes 2,1,0,2,1, v = 196)");
        assertEquals(0x80, tq1[2] & 0xFF, "TQ1_0 all-zero qs byte (v = 121)");
        assertEquals(0xBB, tq1[48] & 0xFF, "TQ1_0 qh[0] (codes 2,0,1,2, v = 177)");
        assertEquals(0x7F, tq1[49] & 0xFF, "TQ1_0 all-zero qh byte (v = 120)");
        byte[] tq2 = pack(Tq2Layout.FOLD, t, impl);
        assertEquals(0x86, tq2[0] & 0xFF, "TQ2_0 qs[0] (codes 2,1,0,2)");
        assertEquals(0x55, tq2[2] & 0xFF, "TQ2_0 all-zero byte");
        check(Tq1Layout.FOLD, t, "section-1.5.tq1_0", Tq1Layout.BLOCK_BYTES, impl);
        check(Tq2Layout.FOLD, t, "section-1.5.tq2_0", Tq2Layout.BLOCK_BYTES, impl);
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void section31I2sWorkedExample(Implementation impl) {
        byte[] trits = new byte[2 * 128];
        trits[0] = 1;
        trits[32] = 0;
        trits[64] = -1;
        trits[96] = 1;
        trits[1] = -1;
        trits[128 + 127] = 1;
        TernaryTensor t = TernaryTensor.of("s31", null, 2, 128, trits, 0.5f);
        byte[] packed = pack(I2sLayout.INSTANCE, t, impl);
        assertEquals(96, packed.length, "2*128/4 + 32");
        assertEquals(0x92, packed[0] & 0xFF);
        assertEquals(0x15, packed[1] & 0xFF);
        assertEquals(0x55, packed[2] & 0xFF);
        assertEquals(0x56, packed[63] & 0xFF);
        check(I2sLayout.INSTANCE, t, "section-3.1.i2_s", I2sLayout.BLOCK_BYTES, impl);
        TernaryTensor back = I2sLayout.INSTANCE.unpack(PackedTensor.of("s31", null, 2, 128, MemorySegment.ofArray(packed)), impl);
        assertEquals(0.5f, back.tensorScale());
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void section41HfDocstringExample(Implementation impl) {
        byte[] w = {0, -1, -1, 1, -1, 1, -1, 1, 1, 0, 0, -1, 1, -1, 1, -1};
        TernaryTensor t = TernaryTensor.of("hf", null, 8, 2, w, 0.25f);
        List<byte[]> rows = Fixtures.goldenVectors().get("section-4.1.hf");
        assertEquals(2, rows.size(), "P = ceil(8 / 4) packed rows");
        check(Hf2BitLayout.AUTOBITLINEAR, t, "section-4.1.hf", 2, impl);
        assertEquals(0b10100001, rows.get(0)[0] & 0xFF, "the docstring's binary literal");
    }

    /** FORMATS.md §4.3: W = [0.3, -0.05, 0.9, -1.2] gives mean 0.6125 and trits [0, 0, 1, -1]. */
    @ParameterizedTest
    @EnumSource(Implementation.class)
    void section43QuantizerExample(Implementation impl) {
        float[] w = {0.3f, -0.05f, 0.9f, -1.2f};
        MemorySegment data = MemorySegment.ofArray(new byte[16]);
        for (int i = 0; i < 4; i++) {
            data.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, w[i]);
        }
        Ternarization r = AbsmeanQuantizer.ternarize(new Tensor("w", DType.F32, new long[] {1, 4}, data, null), impl);
        assertEquals(0.6125f, r.gamma(), "mean |W| = 2.45 / 4");
        assertEquals(1 / 0.6125f, r.scale().inverse(), "s = 1.632653");
        Bytes.assertTritsEqual(new byte[] {0, 0, 1, -1}, r.tensor().trits(), 4, "§4.3 trits");
        assertEquals(new TritStats(1, 2, 1, 0), r.stats());
        // The stored scale of the example in the two 16-bit dtypes, as §4.3 states them.
        EncodedScale bf16 = EncodedScale.encode(r.gamma(), DType.BF16);
        assertEquals("1d3f", Bytes.hex(bf16.bytes()), "bf16 0x3F1D");
        assertEquals(0.61328125f, bf16.decoded());
        EncodedScale f16 = EncodedScale.encode(r.gamma(), DType.F16);
        assertEquals("e638", Bytes.hex(f16.bytes()), "fp16 0x38E6");
        assertTrue(!bf16.exact() && !f16.exact());
        assertEquals(Optional.of(0.6125f), Hf2BitLayout.AUTOBITLINEAR.pack(r.tensor(),
                MemorySegment.ofArray(new byte[4]), impl));
    }
}
