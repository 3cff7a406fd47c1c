package dev.ternpack.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What the layouts refuse, and how they say it; and the edge rules (padding, tails, zero scales). */
class LayoutErrorTest {

    private static TernaryTensor zeros(String name, int rows, int cols, float gamma) {
        return TernaryTensor.of(name, TestTensors.FILE, rows, cols, new byte[rows * cols], gamma);
    }

    @Test
    void tqRowsMustBeAMultipleOf256() {
        for (TernaryLayout layout : new TernaryLayout[] {Tq2Layout.FOLD, Tq1Layout.TENSOR_SCALE}) {
            TernaryTensor t = zeros("model.layers.3.mlp.down_proj.weight", 4, 3200, 1f);
            BadInputException e = assertThrows(BadInputException.class,
                    () -> layout.pack(t, MemorySegment.ofArray(new byte[1 << 16])));
            assertEquals("test.safetensors: tensor model.layers.3.mlp.down_proj.weight: row length (in_features) 3200 is"
                    + " not a multiple of 256; " + layout.displayName() + " packs whole 256-element blocks along a row."
                    + " Use I2_S or HF 2-bit, or keep this tensor in F16", e.getMessage());
            // The fused path refuses from the shape, before reading a weight (this tensor is all NaN).
            float[] nan = new float[4 * 3200];
            java.util.Arrays.fill(nan, Float.NaN);
            Tensor w = TestTensors.tensor("model.layers.3.mlp.down_proj.weight", DType.BF16, new long[] {4, 3200}, nan);
            e = assertThrows(BadInputException.class,
                    () -> AbsmeanQuantizer.ternarizeAndPack(w, layout, MemorySegment.ofArray(new byte[1 << 16])));
            assertTrue(e.getMessage().contains("row length (in_features) 3200"), e.getMessage());
        }
    }

    @Test
    void aTernaryTensorHoldsOnlyTrits() {
        byte[] t = new byte[3 * 100];
        t[2 * 100 + 71] = 2;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TernaryTensor.of("w", null, 3, 100, t, 1f));
        assertEquals("w: 2 is not a trit (row 2, column 71)", e.getMessage());
        t[2 * 100 + 71] = 0;
        t[299] = -2; // in the scalar tail
        assertThrows(IllegalArgumentException.class, () -> TernaryTensor.of("w", null, 3, 100, t, 1f));
        t[299] = 0;
        t[5] = (byte) 0x80;
        e = assertThrows(IllegalArgumentException.class, () -> TernaryTensor.of("w", null, 3, 100, t, 1f));
        assertEquals("w: -128 is not a trit (row 0, column 5)", e.getMessage());
    }

    /** 65536 x 32768 = 2^31 trits do not fit one byte array: refused from the shape, before any byte is read. */
    @Test
    void unpackRefusesMoreTritsThanOneArrayHolds() {
        for (TernaryLayout layout : LayoutPropertyTest.LAYOUTS) {
            PackedTensor huge = new PackedTensor("model.embed_tokens.weight", TestTensors.FILE, 65536, 32768,
                    MemorySegment.ofArray(new byte[0]), layout.hasScaleTensor() ? Optional.of(1f) : Optional.empty());
            BadInputException e = assertThrows(BadInputException.class, () -> layout.unpack(huge));
            assertEquals("test.safetensors: tensor model.embed_tokens.weight [65536, 32768] has 2147483648 elements;"
                    + " ternpack unpacks at most 2147483639 (2^31 - 9) elements per tensor", e.getMessage(),
                    layout.toString());
        }
    }

    @Test
    void i2sRowsMustBeAMultipleOf128() {
        BadInputException e = assertThrows(BadInputException.class,
                () -> I2sLayout.INSTANCE.requireShape("t", TestTensors.FILE, 8, 200));
        assertTrue(e.getMessage().contains("row length (in_features) 200 is not a multiple of 128"), e.getMessage());
    }

    @Test
    void destinationMustHaveThePackedSize() {
        TernaryTensor t = zeros("w", 2, 256, 1f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tq2Layout.FOLD.pack(t, MemorySegment.ofArray(new byte[131])));
        assertEquals("w: TQ2_0 of 2x256 needs 132 bytes, the destination has 131", e.getMessage());
    }

    @Test
    void packedSizesFollowFromTheShape() {
        assertEquals(2560L / 256 * 66 * 6912, Tq2Layout.FOLD.packedSize(6912, 2560));
        assertEquals(6912L / 256 * 54 * 2560, Tq1Layout.FOLD.packedSize(2560, 6912));
        assertEquals(2560L * 6912 / 4 + 32, I2sLayout.INSTANCE.packedSize(2560, 6912));
        assertEquals(640L * 6912, Hf2BitLayout.AUTOBITLINEAR.packedSize(2560, 6912), "ik_llama's {6912, 640}");
        assertEquals(3L * 5, Hf2BitLayout.AUTOBITLINEAR.packedSize(9, 5), "ceil(9 / 4) = 3 packed rows");
        assertThrows(IllegalArgumentException.class, () -> Tq1Layout.FOLD.packedSize(2, 300));
    }

    @Test
    void packedInputOfTheWrongSizeIsBadInput() {
        BadInputException e = assertThrows(BadInputException.class, () -> I2sLayout.INSTANCE.unpack(
                PackedTensor.of("w", TestTensors.FILE, 2, 128, MemorySegment.ofArray(new byte[64]))));
        assertEquals("test.safetensors: tensor w: 64 bytes, but I2_S of shape [2, 128] takes 96", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Hf2BitLayout.BITLINEAR.unpack(
                PackedTensor.of("w", TestTensors.FILE, 4, 4, MemorySegment.ofArray(new byte[4]))), "no weight_scale");
    }

    /** Code 3 is never written; reading it is an error naming the block and the byte, on both paths. */
    @ParameterizedTest
    @EnumSource(Implementation.class)
    void codeThreeIsRefusedWithItsPosition(Implementation impl) {
        // TQ2_0: two blocks of one row; block 1, qs[37] bits 5:4 = 3.
        byte[] tq2 = new byte[2 * 66];
        java.util.Arrays.fill(tq2, (byte) 0x55);
        tq2[66 + 37] = (byte) 0x75;
        BadInputException e = assertThrows(BadInputException.class, () -> Tq2Layout.FOLD.unpack(
                PackedTensor.of("w", TestTensors.FILE, 1, 512, MemorySegment.ofArray(tq2)), impl));
        assertEquals("test.safetensors: tensor w: TQ2_0 block 1 (row 0), byte qs[37] bits 5:4 hold code 3, which is not"
                + " a trit", e.getMessage());
        // I2_S: 2x128, block 1 byte 40 (offset 40 overall) bits 1:0 = 3.
        byte[] i2s = new byte[96];
        java.util.Arrays.fill(i2s, 0, 64, (byte) 0x55);
        i2s[40] = 0x57;
        e = assertThrows(BadInputException.class, () -> I2sLayout.INSTANCE.unpack(
                PackedTensor.of("w", TestTensors.FILE, 2, 128, MemorySegment.ofArray(i2s)), impl));
        assertEquals("test.safetensors: tensor w: I2_S block 1 (row 1), byte 40 bits 1:0 hold code 3, which is not a"
                + " trit", e.getMessage());
        // HF: 8x40, packed [2, 40]; byte [1, 33] bits 7:6 (row 1 + 3*2 = 7) = 3.
        byte[] hf = new byte[80];
        java.util.Arrays.fill(hf, (byte) 0x55);
        hf[40 + 33] = (byte) 0xD5;
        e = assertThrows(BadInputException.class, () -> Hf2BitLayout.AUTOBITLINEAR.unpack(
                PackedTensor.of("w", TestTensors.FILE, 8, 40, MemorySegment.ofArray(hf), 1f), impl));
        assertEquals("test.safetensors: tensor w: HF 2-bit byte [1, 33] bits 7:6 (row 7) hold code 3, which is not a"
                + " trit", e.getMessage());
    }

    /**
     * HF padding (rows % 4 != 0): ternpack writes code 1 (trit 0) there; transformers' pack_weights leaves 00.
     * Unpacking ignores those bit pairs whatever they hold, even 3.
     */
    @ParameterizedTest
    @EnumSource(Implementation.class)
    void hfPaddingRowsAreCodeOneAndIgnoredOnRead(Implementation impl) {
        byte[] trits = new byte[5 * 3]; // 5 rows: P = 2, slab 2 has one row (4), slab 3 none
        java.util.Arrays.fill(trits, (byte) -1);
        TernaryTensor t = TernaryTensor.of("w", null, 5, 3, trits, 2f);
        MemorySegment dst = MemorySegment.ofArray(new byte[6]);
        Hf2BitLayout.AUTOBITLINEAR.pack(t, dst, impl);
        // Packed row 0 holds rows 0, 2, 4 (codes 0) and padding (code 1 at bits 7:6); row 1 holds rows 1, 3 and two pads.
        assertEquals("404040505050", Bytes.hex(Bytes.toArray(dst)));
        byte[] transformers = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
        byte[] garbage = {(byte) 0xC0, (byte) 0xC0, (byte) 0xC0, (byte) 0xF0, (byte) 0xF0, (byte) 0xF0};
        for (byte[] packed : new byte[][] {transformers, garbage}) {
            TernaryTensor back = Hf2BitLayout.AUTOBITLINEAR.unpack(
                    PackedTensor.of("w", null, 5, 3, MemorySegment.ofArray(packed), 2f), impl);
            Bytes.assertTritsEqual(trits, back.trits(), 3, "padding " + Bytes.hex(packed));
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void i2sTailAfterTheScaleIsNotRead(Implementation impl) {
        byte[] packed = new byte[96];
        java.util.Arrays.fill(packed, (byte) 0x55);
        MemorySegment.ofArray(packed).set(I2sLayout.F32, 64, 0.25f);
        TernaryTensor back = I2sLayout.INSTANCE.unpack(PackedTensor.of("w", null, 2, 128, MemorySegment.ofArray(packed)), impl);
        assertEquals(0.25f, back.tensorScale());
        packed[64] = 0;
        packed[67] = (byte) 0x7F;
        packed[66] = (byte) 0xC0; // f32 NaN
        BadInputException e = assertThrows(BadInputException.class, () -> I2sLayout.INSTANCE.unpack(
                PackedTensor.of("w", null, 2, 128, MemorySegment.ofArray(packed)), impl));
        assertTrue(e.getMessage().contains("I2_S scale at byte 64 is NaN"), e.getMessage());
    }

    @Test
    void tqBlockScalesMustBeFiniteAndOneInTensorMode() {
        TernaryTensor t = TernaryTensor.of("w", null, 1, 512, GoldenVectorTest.v1(512), 0.5f);
        MemorySegment packed = MemorySegment.ofArray(new byte[2 * 66]);
        Optional<Float> scale = Tq2Layout.TENSOR_SCALE.pack(t, packed);
        assertEquals(Optional.of(0.5f), scale);
        assertEquals((short) 0x3C00, packed.get(TqScales.FP16, 64), "tensor mode: d = 1.0");
        packed.set(TqScales.FP16, 66 + 64, Float.floatToFloat16(0.5f));
        BadInputException e = assertThrows(BadInputException.class, () -> Tq2Layout.TENSOR_SCALE.unpack(
                PackedTensor.of("w", null, 1, 512, packed, 0.5f)));
        assertTrue(e.getMessage().contains("TQ2_0 block 1 (row 0) has d = 0.5 beside a separate scale tensor"), e.getMessage());
        packed.set(TqScales.FP16, 66 + 64, (short) 0x7E00); // fp16 NaN
        e = assertThrows(BadInputException.class, () -> Tq2Layout.FOLD.unpack(PackedTensor.of("w", null, 1, 512, packed)));
        assertTrue(e.getMessage().contains("block 1 (row 0) has a non-finite scale d = 0x7e00"), e.getMessage());
    }

    @Test
    void foldingAScaleBeyondFp16IsRefused() {
        TernaryTensor t = TernaryTensor.of("w", TestTensors.FILE, 1, 256, GoldenVectorTest.v1(256), 70000f);
        BadInputException e = assertThrows(BadInputException.class,
                () -> Tq1Layout.FOLD.pack(t, MemorySegment.ofArray(new byte[54])));
        assertTrue(e.getMessage().endsWith("scale 70000.0 is beyond the fp16 range of a TQ1_0 block scale; use tensor"
                + " scale mode"), e.getMessage());
        assertEquals(Optional.of(70000f), Tq1Layout.TENSOR_SCALE.pack(t, MemorySegment.ofArray(new byte[54])));
        // Below half the smallest fp16 subnormal (2^-24) the block scale would be 0 and erase the weights.
        TernaryTensor tiny = TernaryTensor.of("w", TestTensors.FILE, 1, 256, GoldenVectorTest.v1(256), 0x1p-26f);
        e = assertThrows(BadInputException.class, () -> Tq2Layout.FOLD.pack(tiny, MemorySegment.ofArray(new byte[66])));
        assertTrue(e.getMessage().endsWith("scale 1.4901161E-8 rounds to 0 as the fp16 block scale of TQ2_0; use tensor"
                + " scale mode"), e.getMessage());
        // 1e-5, the quantizer's smallest nonzero scale, is an fp16 subnormal: kept, with 8 significant bits.
        TernaryTensor small = TernaryTensor.of("w", TestTensors.FILE, 1, 256, GoldenVectorTest.v1(256), 1e-5f);
        MemorySegment block = MemorySegment.ofArray(new byte[66]);
        Tq2Layout.FOLD.pack(small, block);
        assertEquals((short) 0x00A8, block.get(TqScales.FP16, Tq2Layout.D_OFFSET), "fp16(1e-5) = 168 * 2^-24");
    }

    /** An all-zero tensor: d = 0 in every TQ block, and bitlinear's 1/gamma is +Infinity, which reads back as 0. */
    @Test
    void allZeroTensorAcrossLayouts() {
        TernaryTensor t = zeros("w", 4, 256, 0f);
        MemorySegment tq = MemorySegment.ofArray(new byte[4 * 66]);
        Tq2Layout.FOLD.pack(t, tq);
        for (int b = 0; b < 4; b++) {
            assertEquals(0, tq.get(TqScales.FP16, b * 66L + 64));
        }
        assertEquals(0f, Tq2Layout.FOLD.unpack(PackedTensor.of("w", null, 4, 256, tq)).tensorScale());
        MemorySegment hf = MemorySegment.ofArray(new byte[256]);
        Optional<Float> ws = Hf2BitLayout.BITLINEAR.pack(t, hf);
        assertEquals(Optional.of(Float.POSITIVE_INFINITY), ws);
        assertEquals(0f, Hf2BitLayout.BITLINEAR.unpack(PackedTensor.of("w", null, 4, 256, hf, ws.get())).tensorScale());
        BadInputException e = assertThrows(BadInputException.class, () -> Hf2BitLayout.BITLINEAR.unpack(
                PackedTensor.of("w", TestTensors.FILE, 4, 256, hf, 0f)));
        assertTrue(e.getMessage().contains("weight_scale 0.0 under linear_class bitlinear gives scale Infinity"));
    }

    @Test
    void linearClassesAreInverseConventions() {
        assertEquals(0.25f, LinearClass.AUTOBITLINEAR.weightScale(0.25f));
        assertEquals(4f, LinearClass.BITLINEAR.weightScale(0.25f));
        assertEquals(0.25f, LinearClass.BITLINEAR.gamma(4f));
        assertEquals(LinearClass.AUTOBITLINEAR, LinearClass.fromConfigName("autobitlinear"));
        assertEquals(LinearClass.BITLINEAR, LinearClass.fromConfigName("BitLinear"));
        assertEquals(null, LinearClass.fromConfigName("linear"));
        EncodedScale s = Hf2BitLayout.BITLINEAR.encodeWeightScale(0.25f, DType.BF16);
        assertEquals("8040", Bytes.hex(s.bytes()), "bf16 4.0 = 0x4080");
        assertTrue(s.exact());
    }

    @Test
    void scaleEncodingRoundsToNearestEvenAndSaysSo() {
        // 1 + 2^-8 is halfway between bf16 1.0 (0x3F80) and 1.0078125 (0x3F81): ties to even, 0x3F80.
        EncodedScale tie = EncodedScale.encode(Float.intBitsToFloat(0x3F808000), DType.BF16);
        assertEquals("803f", Bytes.hex(tie.bytes()));
        assertEquals(1f, tie.decoded());
        assertTrue(!tie.exact());
        // 0x3F818000 is halfway between 0x3F81 and 0x3F82: ties to the even 0x3F82.
        assertEquals("823f", Bytes.hex(EncodedScale.encode(Float.intBitsToFloat(0x3F818000), DType.BF16).bytes()));
        assertEquals("813f", Bytes.hex(EncodedScale.encode(Float.intBitsToFloat(0x3F808001), DType.BF16).bytes()));
        assertTrue(EncodedScale.encode(1.5546875f, DType.BF16).exact(), "2B-4T's weight_scale ~1.555 is a bf16 value");
        assertTrue(EncodedScale.encode(1.5546875f, DType.F16).exact(), "and exactly an fp16 value");
        assertTrue(EncodedScale.encode(0.0123f, DType.F32).exact());
        assertTrue(EncodedScale.encode(0.0123f, DType.F64).exact());
        assertEquals(8, EncodedScale.encode(0.0123f, DType.F64).bytes().length);
        assertTrue(Float.isNaN(EncodedScale.encode(Float.NaN, DType.BF16).decoded()));
        assertEquals(Float.POSITIVE_INFINITY, EncodedScale.encode(Float.POSITIVE_INFINITY, DType.BF16).decoded());
        assertEquals(Float.POSITIVE_INFINITY, EncodedScale.encode(Float.MAX_VALUE, DType.BF16).decoded(), "rounds up to inf");
        assertThrows(IllegalArgumentException.class, () -> EncodedScale.encode(1f, DType.I8));
        assertEquals(0x3F1D, MemorySegment.ofArray(EncodedScale.encode(0.6125f, DType.BF16).bytes())
                .get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0));
    }
}
