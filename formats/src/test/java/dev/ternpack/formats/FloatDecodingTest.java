package dev.ternpack.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class FloatDecodingTest {

    @Test
    void bf16IsTheUpperHalfOfFloat32() {
        // Hand-worked: 0x3F80 = 1.0, 0xC000 = -2.0, 0x3F1D = 0.61328125 (FORMATS.md §4.3), 0x7F80 = +inf.
        assertEquals(1.0f, FloatDecoding.bf16ToFloat((short) 0x3F80));
        assertEquals(-2.0f, FloatDecoding.bf16ToFloat((short) 0xC000));
        assertEquals(0.61328125f, FloatDecoding.bf16ToFloat((short) 0x3F1D));
        assertEquals(Float.POSITIVE_INFINITY, FloatDecoding.bf16ToFloat((short) 0x7F80));
    }

    @Test
    void f16KnownValues() {
        // IEEE half: 0x3C00 = 1, 0x3800 = 0.5, 0x38E6 = 0.6123047 (FORMATS.md §4.3), 0x0001 = 2^-24 subnormal.
        assertEquals(1.0f, FloatDecoding.f16ToFloat((short) 0x3C00));
        assertEquals(0.5f, FloatDecoding.f16ToFloat((short) 0x3800));
        assertEquals(0.6123047f, FloatDecoding.f16ToFloat((short) 0x38E6), 1e-7f);
        assertEquals(0x1p-24f, FloatDecoding.f16ToFloat((short) 0x0001));
    }

    @Test
    void decodesLittleEndianSegments() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(8);
            s.copyFrom(MemorySegment.ofArray(new byte[] {(byte) 0x80, 0x3F, 0x00, (byte) 0xC0, 0, 0, 0, 0}));
            float[] out = new float[2];
            FloatDecoding.decode(s, DType.BF16, 0, out, 0, 2);
            assertEquals(1.0f, out[0]);
            assertEquals(-2.0f, out[1]);
            // The same 4 bytes as one F32: 0xC0003F80 little-endian.
            assertEquals(Float.intBitsToFloat(0xC0003F80), FloatDecoding.get(s, DType.F32, 0));
        }
    }
}
