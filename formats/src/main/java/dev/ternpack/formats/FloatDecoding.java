package dev.ternpack.formats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Exact decoding of floating-point tensor elements to float. BF16 is the upper half of an IEEE float32, so
 * it widens by a 16-bit shift; F16 goes through {@link Float#float16ToFloat}; F64 is narrowed with Java's
 * round-to-nearest cast (the only lossy case). All data is little-endian, as safetensors and GGUF store it.
 */
public final class FloatDecoding {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FloatDecoding() {
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** Element {@code index} of a segment holding {@code type} values. */
    public static float get(MemorySegment seg, DType type, long index) {
        return switch (type) {
            case F32 -> seg.getAtIndex(F32, index);
            case BF16 -> bf16ToFloat(seg.getAtIndex(U16, index));
            case F16 -> f16ToFloat(seg.getAtIndex(U16, index));
            case F64 -> (float) seg.getAtIndex(F64, index);
            default -> throw new IllegalArgumentException("not a floating-point dtype: " + type);
        };
    }

    /** Decodes {@code count} elements starting at element {@code from} into {@code dst[off..off+count)}. */
    public static void decode(MemorySegment seg, DType type, long from, float[] dst, int off, int count) {
        switch (type) {
            case F32 -> MemorySegment.copy(seg, F32, from * 4, dst, off, count);
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = bf16ToFloat(seg.getAtIndex(U16, from + i));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = f16ToFloat(seg.getAtIndex(U16, from + i));
                }
            }
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = (float) seg.getAtIndex(F64, from + i);
                }
            }
            default -> throw new IllegalArgumentException("not a floating-point dtype: " + type);
        }
    }

    /** Decodes a whole tensor; for tensors small enough to hold in one array. */
    public static float[] decodeAll(Tensor t) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new BadInputException(t.file(), "tensor " + t.name() + " has " + n
                    + " elements, too many to decode into one array");
        }
        float[] out = new float[(int) n];
        decode(t.data(), t.dtype(), 0, out, 0, (int) n);
        return out;
    }
}
